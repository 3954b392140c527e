"""One rule for every prompt kind: a prompt that needs an answer and has none in a
non-interactive run stops the run with exit 2, naming the step and the answers-file key;
the run is resumable, and resuming with that answer goes on from there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import journal_events, only_run_dir, run_cli

FAILED_HINT = "{on_failure: retry | skip | abort | <step id>}"

# (case, step yaml, first answers, extra args, step key, answers-key hint, answer to resume with)
CASES = [
    ("confirm", "  - id: gate\n    confirm: Go on?\n", "", (), "gate", "gate: yes|no", "gate: yes"),
    ("command confirm", "  - id: restart\n    confirm: Restart?\n    run: echo restarted\n", "",
     (), "restart", "restart: yes|no", "restart: yes"),
    ("dangerous confirm under --yes", "  - id: kill\n    confirm: Kill?\n    dangerous: true\n"
     "    run: echo killed\n", "", ("--yes",), "kill", "kill: yes|no", "kill: yes"),
    ("question", "  - id: cause\n    ask: What was the root cause?\n", "", (), "cause",
     "cause: <value>", "cause: a leak"),
    ("manual check", "  - id: sentry\n    manual: Check Sentry\n", "", (), "sentry",
     "sentry: done | skipped | failed", "sentry: done"),
    ("failure prompt", "  - id: check\n    run: exit 3\n", "", (), "check",
     f"check: {FAILED_HINT}", "check: {on_failure: skip}"),
    ("failure prompt after retries", "  - id: check\n    run: exit 3\n    retries: 1\n"
     "    retry_delay: 0s\n", "", (), "check", f"check: {FAILED_HINT}",
     "check: {on_failure: skip}"),
    ("failure prompt of a manual check", "  - id: sentry\n    manual: Check Sentry\n",
     "sentry: {status: failed, note: still erroring}\n", (), "sentry", f"sentry: {FAILED_HINT}",
     "sentry: {status: failed, note: still erroring, on_failure: skip}"),
]


@pytest.mark.parametrize(("case", "steps", "first", "args", "key", "hint", "later"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_prompt_with_no_answer_exits_2_naming_the_step_and_key_and_resumes(
        tmp_path: Path, case: str, steps: str, first: str, args: tuple[str, ...], key: str,
        hint: str, later: str) -> None:
    (tmp_path / "rb.yaml").write_text("id: rb\ntitle: No answer\nsteps:\n" + steps +
                                      "  - id: after\n    run: echo after >> log\n")
    (tmp_path / "first.yaml").write_text(first or "{}\n")
    result = run_cli(["run", str(tmp_path / "rb.yaml"), "--no-input", "--answers",
                      str(tmp_path / "first.yaml"), "--report-dir", str(tmp_path / "r"), *args],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert f"step '{key}' needs an answer" in result.output
    assert f'Add "{hint}" to an answers file (--answers FILE)' in result.output
    assert not (tmp_path / "log").exists()
    events = journal_events(only_run_dir(tmp_path / "state"))
    assert events[-1]["type"] == "run_interrupted"  # resumable, not aborted
    assert not [e for e in events if e["type"] == "answer" and e["step"] == key
                and e["data"].get("origin") != "answers-file"]  # nothing was assumed

    run_id = re.search(r"Run interrupted \((\S+)\)", result.output)
    assert run_id, result.output
    (tmp_path / "later.yaml").write_text(later + "\n")
    resumed = run_cli(["resume", run_id.group(1), "--no-input", "--answers",
                       str(tmp_path / "later.yaml")], cwd=tmp_path, state=tmp_path / "state")
    assert resumed.code == 0, resumed.output
    assert (tmp_path / "log").read_text() == "after\n"


@pytest.mark.parametrize(("steps", "bad", "problem", "good"), [
    ("  - id: gate\n    confirm: Go on?\n", "gate: maybe\n",
     "1:7: gate: a confirmation is answered yes or no, got 'maybe'", "gate: yes\n"),
    ("  - id: kill\n    run: echo killed\n    dangerous: true\n", "kill: kill\n",
     "1:7: kill: a confirmation is answered yes or no, got 'kill'", "kill: yes\n"),
    ("  - id: check\n    run: exit 3\n", "check: {on_failure: later}\n",
     "1:21: check: on_failure: 'later' is not one of", "check: {on_failure: skip}\n"),
])
def test_a_bad_answer_met_mid_run_is_bad_input_not_an_internal_error(
        tmp_path: Path, steps: str, bad: str, problem: str, good: str) -> None:
    """The answers file's answer for a step is read when the run gets there: a value of the
    wrong shape stops the run there with exit 2, the journal and report say which answer,
    and resume with a corrected file goes on (it was journaled as 'internal error:
    ValidationError(...)', and bare resume listed it so)."""
    (tmp_path / "rb.yaml").write_text("id: rb\ntitle: Bad answer\nsteps:\n  - id: first\n"
                                      "    run: echo first >> log\n" + steps +
                                      "  - id: after\n    run: echo after >> log\n")
    (tmp_path / "bad.yaml").write_text(bad)
    result = run_cli(["run", str(tmp_path / "rb.yaml"), "--no-input", "--answers",
                      str(tmp_path / "bad.yaml"), "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert f"bad.yaml:{problem}" in result.output  # at the value, where the fix goes
    events = journal_events(only_run_dir(tmp_path / "state"))
    assert events[-1]["type"] == "run_interrupted"
    assert problem in events[-1]["data"]["reason"]
    listed = run_cli(["resume", "--no-input"], cwd=tmp_path, state=tmp_path / "state",
                     stdin="")
    for text in (result.output, listed.output, *(p.read_text() for p in
                                                 (tmp_path / "r").rglob("*.md"))):
        assert "internal error" not in text and "ValidationError" not in text
    (tmp_path / "good.yaml").write_text(good)
    resumed = run_cli(["resume", "--no-input", "--answers", str(tmp_path / "good.yaml")],
                      cwd=tmp_path, state=tmp_path / "state")
    assert resumed.code == 0, resumed.output
    assert (tmp_path / "log").read_text().split() == ["first", "after"]


UNRENDERABLE = """\
id: h
title: H
steps:
  - id: find
    run: echo 42
    when: false
    capture: pid
  - id: gate
    {kind}: 'Stop process {{{{ pid }}}}?'
  - id: after
    run: echo after > after.txt
"""


@pytest.mark.parametrize(("kind", "col"), [("confirm", 14), ("ask", 10)])
def test_a_question_that_cannot_be_rendered_stops_the_run_naming_step_and_place(
        tmp_path: Path, kind: str, col: int) -> None:
    """`on_failure` does not apply to a confirm or ask step (validate refuses it there), so
    a failure to render its text asks nothing about it: the run stops, resumable."""
    book = tmp_path / "h.yaml"
    book.write_text(UNRENDERABLE.format(kind=kind))
    assert run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state").code == 0
    (tmp_path / "a.yaml").write_text("gate: {on_failure: skip}\n")  # never read for it
    result = run_cli(["run", str(book), "--no-input", "--answers", str(tmp_path / "a.yaml"),
                      "--report-dir", str(tmp_path / "r")], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert (f"✘ step 'gate' ({kind}, {book}:9:{col}) cannot be asked: cannot render question "
            "'Stop process {{ pid }}?': 'pid' is undefined; fix the runbook or the value, then "
            "resume\n") in result.output
    assert "on_failure" not in result.output and not (tmp_path / "after.txt").exists()
    run_dir = only_run_dir(tmp_path / "state")
    assert f"resume with: runbookctl resume {run_dir.name}" in result.output
    ends = [(e["type"], e.get("step")) for e in journal_events(run_dir)
            if e["type"] in ("step_skipped", "step_finished", "step_interrupted", "run_interrupted")]
    assert ends == [("step_skipped", "find"), ("step_interrupted", "gate"),
                    ("run_interrupted", None)]
    book.write_text(UNRENDERABLE.format(kind=kind).replace("{{ pid }}",
                                                           '{{ pid | default("unknown") }}'))
    (tmp_path / "b.yaml").write_text("gate: yes\n" if kind == "confirm" else "gate: 42\n")
    resumed = run_cli(["resume", run_dir.name, "--no-input", "--force", "--answers",
                       str(tmp_path / "b.yaml")], cwd=tmp_path, state=tmp_path / "state")
    assert resumed.code == 0, resumed.output
    assert (tmp_path / "after.txt").read_text() == "after\n"
