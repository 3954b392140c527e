"""Crash-safe resume: runs killed at many points continue to completion, each side effect
happening exactly once for completed steps and per the operator's choice for UNKNOWN ones."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, cli_env, only_report, only_run_dir, run_cli
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

RUNBOOKS = FIXTURES / "resume"


def _args(work: Path, answers: str | None = None) -> list[str]:
    args = ["--runbooks", str(RUNBOOKS), "run", "counted", "--var", f"out={work / 'out'}",
            "--no-input", "--report-dir", str(work / "reports")]
    if answers is not None:
        (work / "answers.yaml").write_text(answers)
        args += ["--answers", str(work / "answers.yaml")]
    return args


def _resume(work: Path, answers: str | None = None, *extra: str) -> tuple[int, str]:
    args = ["--runbooks", str(RUNBOOKS), "resume", "--no-input", *extra]
    if answers is not None:
        (work / "resume.yaml").write_text(answers)
        args += ["--answers", str(work / "resume.yaml")]
    result = run_cli(args, cwd=work, state=work / "state")
    return result.code, result.output


def _log(work: Path) -> list[str]:
    return (work / "out" / "log").read_text().splitlines()


def _kill_during_two(work: Path) -> None:
    """Start a run, SIGKILL it while step two's command sleeps, then kill that command too."""
    (work / "out" / "slow").write_text("")
    proc = subprocess.Popen([sys.executable, "-m", "runbookctl", *_args(work, "gate: yes\n")],
                            cwd=work, env=cli_env(work / "state"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid_file = work / "out" / "two.pid"
    wait_for("step two's command", lambda: pid_file.exists() and pid_file.read_text().strip(),
             alive=lambda: proc.poll() is None)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    os.killpg(int(pid_file.read_text()), signal.SIGKILL)  # its command outlived it
    (work / "out" / "slow").unlink()


@pytest.mark.parametrize(("choice", "expected", "status"), [
    ("rerun", ["one", "two-start", "two-start", "two-end", "three"], "ok"),
    ("done", ["one", "two-start", "three"], "ok"),
    ("skip", ["one", "two-start", "three"], "skipped"),
])
def test_killed_mid_command_resumes_per_the_operators_choice(
        work: Path, choice: str, expected: list[str], status: str) -> None:
    _kill_during_two(work)
    assert _log(work) == ["one", "two-start"]
    code, out = _resume(work, f"two: {{resume: {choice}}}\ngate: yes\n")
    assert code == 0, out
    assert _log(work) == expected, out
    assert "Report:" in out, out
    report = only_report(work / "reports")
    assert 'status: "completed"' in report
    assert "run resumed" in report
    events = [json.loads(x) for x in (only_run_dir(work / "state") / "journal.jsonl")
              .read_text().splitlines()]
    finished = [e for e in events if e["type"] == "step_finished" and e["step"] == "two"]
    assert finished[-1]["data"]["status"] == status


def test_unknown_step_without_an_answer_exits_2_naming_the_key(work: Path) -> None:
    _kill_during_two(work)
    code, out = _resume(work)
    assert code == 2
    assert "two: {resume: rerun | done | failed | skip}" in out
    assert _log(work) == ["one", "two-start"]


def test_a_resume_stopped_by_its_own_unanswered_question_is_left_interrupted(
        work: Path) -> None:
    """The resume question (rerun/done/failed/skip) with no answer ends the resume like any
    unanswered prompt: journaled as interrupted, the report rewritten, `runs` says so, and
    the next resume says it follows an interruption (it was left 'running', as if killed)."""
    _kill_during_two(work)
    code, out = _resume(work)
    assert code == 2, out
    events = [json.loads(x) for x in (only_run_dir(work / "state") / "journal.jsonl")
              .read_text().splitlines()]
    assert [e["type"] for e in events][-2:] == ["run_resumed", "run_interrupted"]
    assert "two: {resume: rerun | done | failed | skip}" in events[-1]["data"]["reason"]
    listed = run_cli(["runs", "--json"], cwd=work, state=work / "state")
    assert [r["status"] for r in json.loads(listed.stdout)] == ["interrupted"]
    assert 'status: "interrupted"' in only_report(work / "reports")
    code, out = _resume(work, "two: {resume: done}\ngate: yes\n")
    assert code == 0, out
    assert "after an interruption" in out and "killed?" not in out
    assert _log(work) == ["one", "two-start", "three"]


def test_marked_failed_follows_the_failure_policy(work: Path) -> None:
    _kill_during_two(work)
    code, out = _resume(work, "two: {resume: failed, on_failure: skip}\ngate: yes\n")
    assert code == 0, out
    assert _log(work) == ["one", "two-start", "three"]


def test_stopped_at_an_unanswered_prompt_resumes_without_rerunning_anything(work: Path) -> None:
    result = run_cli(_args(work), cwd=work, state=work / "state")
    assert result.code == 2 and "gate" in result.output
    assert _log(work) == ["one", "two-start", "two-end"]
    code, out = _resume(work, "gate: yes\n")
    assert code == 0, out
    assert _log(work) == ["one", "two-start", "two-end", "three"]
    report = only_report(work / "reports")
    assert "interrupted" in report and "run resumed" in report


def test_a_malformed_var_on_resume_is_a_usage_error(work: Path) -> None:
    assert run_cli(_args(work), cwd=work, state=work / "state").code == 2
    code, out = _resume(work, None, "--var", "bad")
    assert code == 2, out
    assert "--var 'bad': expected NAME=VALUE" in out and "internal error" not in out
    assert _log(work) == ["one", "two-start", "two-end"]  # nothing ran


def _complete_then_cut(work: Path, keep_until: str) -> Path:
    """A finished run whose journal is cut just after the first `keep_until` event of step two."""
    result = run_cli(_args(work, "gate: yes\n"), cwd=work, state=work / "state")
    assert result.code == 0, result.output
    journal = only_run_dir(work / "state") / "journal.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines)
               if json.loads(line)["type"] == keep_until and json.loads(line)["step"] == "two")
    journal.write_text("".join(lines[: cut + 1]))
    (work / "out" / "log").write_text("one\ntwo-start\ntwo-end\n")
    return journal


def test_killed_after_the_command_exited_before_its_end_event(work: Path) -> None:
    _complete_then_cut(work, "command_finished")
    code, out = _resume(work, "two: {resume: done}\ngate: yes\n")
    assert code == 0, out
    assert _log(work) == ["one", "two-start", "two-end", "three"]


def test_killed_after_a_step_finished_continues_with_the_next_one(work: Path) -> None:
    _complete_then_cut(work, "step_finished")
    code, out = _resume(work, "gate: yes\n")
    assert code == 0, out
    assert _log(work) == ["one", "two-start", "two-end", "three"]


def test_torn_last_event_is_reported_and_earlier_events_kept(work: Path) -> None:
    journal = _complete_then_cut(work, "step_finished")
    with journal.open("a") as fh:
        fh.write('{"seq": 99, "ts": "2026-')  # killed in the middle of writing an event
    code, out = _resume(work, "gate: yes\n")
    assert code == 0, out
    assert "incomplete" in out
    assert _log(work) == ["one", "two-start", "two-end", "three"]
    verified = run_cli(["verify", str(journal)], cwd=work, state=work / "state")
    assert verified.code == 0, verified.output


def test_resume_refuses_a_changed_runbook_unless_forced(work: Path, tmp_path: Path) -> None:
    runbooks = tmp_path / "rb"
    runbooks.mkdir()
    (runbooks / "counted.yaml").write_text((RUNBOOKS / "counted.yaml").read_text())
    args = ["--runbooks", str(runbooks), "run", "counted", "--var", f"out={work / 'out'}",
            "--no-input", "--report-dir", str(work / "reports")]
    assert run_cli(args, cwd=work, state=work / "state").code == 2
    path = runbooks / "counted.yaml"
    path.write_text(path.read_text().replace("Continue to step three?", "Go on?"))
    result = run_cli(["--runbooks", str(runbooks), "resume", "--no-input"], cwd=work,
                     state=work / "state")
    assert result.code == 2
    assert "the runbook changed since the run began" in result.output
    assert result.output.count("sha256 ") == 2
    (work / "go.yaml").write_text("gate: yes\n")
    forced = run_cli(["--runbooks", str(runbooks), "resume", "--no-input", "--force",
                      "--answers", str(work / "go.yaml")], cwd=work, state=work / "state")
    assert forced.code == 0, forced.output
    assert _log(work)[-1] == "three"


def _own_runbook(work: Path, edit: tuple[str, str] = ("", "")) -> Path:
    """A copy of counted.yaml (with one edit) that a test may change under a run."""
    folder = work / "rb"
    folder.mkdir(exist_ok=True)
    path = folder / "counted.yaml"
    path.write_text((RUNBOOKS / "counted.yaml").read_text().replace(*edit))
    return path


def _run_own(work: Path, answers: str | None = None) -> int:
    args = ["--runbooks", str(work / "rb"), *_args(work, answers)[2:]]
    return run_cli(args, cwd=work, state=work / "state").code


def _events(work: Path) -> list[str]:
    return (only_run_dir(work / "state") / "journal.jsonl").read_text().splitlines()


@pytest.mark.parametrize(("stop", "change", "where"), [
    ("prompt", ("id: gate", "id: go"), "it stopped at step 'gate'"),
    ("prompt", ("  - id: gate\n    confirm: Continue to step three?\n", ""),
     "it stopped at step 'gate'"),
    ("command", ("id: two", "id: second"), "it stopped at step 'two'"),
    ("on_no", ("id: three", "id: last"), "after step 'gate' it goes to step 'three'"),
])
def test_resume_force_after_the_stop_point_was_renamed_or_removed_exits_2(
        work: Path, stop: str, change: tuple[str, str], where: str) -> None:
    on_no = ("Continue to step three?", "Continue?\n    on_no: three")
    path = _own_runbook(work, on_no if stop == "on_no" else ("", ""))
    if stop == "prompt":
        assert _run_own(work) == 2  # stopped at the gate: no answer
    else:
        assert _run_own(work, "gate: no\n" if stop == "on_no" else "gate: yes\n") == 0
        keep = ("step_finished", "gate") if stop == "on_no" else ("command_started", "two")
        journal = only_run_dir(work / "state") / "journal.jsonl"
        lines = journal.read_text().splitlines(keepends=True)
        cut = next(i for i, line in enumerate(lines)
                   if (json.loads(line)["type"], json.loads(line)["step"]) == keep)
        journal.write_text("".join(lines[: cut + 1]))
    path.write_text(path.read_text().replace(*change))
    before = _events(work)
    result = run_cli(["--runbooks", str(work / "rb"), "resume", "--no-input", "--force"],
                     cwd=work, state=work / "state")
    assert result.code == 2, result.output
    assert f"cannot resume run {only_run_dir(work / 'state').name}: {where}, which the " \
           "runbook no longer has" in result.output
    assert "put the step back" in result.output
    assert "runbookctl run counted --from STEP" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert _events(work) == before  # refused before anything was journaled


def test_resume_refuses_an_included_runbook_broken_since_the_run_began(tmp_path: Path) -> None:
    """The runbook's own sha256 is unchanged when only what it includes changed: resume
    checks it as run does, instead of dying at the child's bad jump mid-run."""
    books = tmp_path / "books"
    books.mkdir()
    (books / "parent.yaml").write_text("id: parent\ntitle: p\nsteps:\n  - {id: a, include: child}\n")
    child = books / "child.yaml"
    child.write_text("id: child\ntitle: c\nsteps:\n  - {id: s, run: 'exit 1'}\n"
                     "  - {id: t, run: echo t}\n")
    state = tmp_path / "state"
    first = run_cli(["--runbooks", str(books), "run", "parent", "--no-input", "--report-dir",
                     str(tmp_path / "reports")], cwd=tmp_path, state=state)
    assert first.code == 2, first.output  # the failure prompt had no answer: resumable
    journal = only_run_dir(state) / "journal.jsonl"
    before = journal.read_bytes()
    child.write_text(child.read_text().replace("run: 'exit 1'}", "run: 'exit 1', next: nowhere}"))
    again = run_cli(["--runbooks", str(books), "resume", only_run_dir(state).name, "--no-input"],
                    cwd=tmp_path, state=state)
    assert again.code == 2, again.output
    assert (f"include: runbook 'child' has problems of its own: {child}:4:" in again.output
            and "next: no step 'nowhere'" in again.output)
    assert "internal error" not in again.output and journal.read_bytes() == before


CAPTURED = """id: cd
title: Captured
steps:
  - id: find
    run: echo 101 102; sleep 60
    capture: pids
  - id: use
    run: echo "killing {{ pids }}"
"""


def test_done_on_a_killed_capture_step_asks_for_its_value_as_run_from_does(
        tmp_path: Path) -> None:
    """`done` for a capture step whose command was cut short: what it captures is not
    known. It is asked for (answers file `find: {capture: VALUE}`, as `run --from` takes
    it); with nobody to ask the resume stops, exit 2, the step still open — never the next
    step failing on an unset name."""
    from tests.waiting import wait_event

    (tmp_path / "cd.yaml").write_text(CAPTURED)
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "cd.yaml"), "--no-input",
         "--report-dir", str(tmp_path / "r")], cwd=tmp_path, env=cli_env(state),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pgid = wait_event(state, "command_process", "find", alive=lambda: proc.poll() is None)
    proc.kill()
    proc.wait(timeout=30)
    os.killpg(pgid["data"]["pgid"], signal.SIGKILL)
    run_id = only_run_dir(state).name
    answers = tmp_path / "answers.yaml"
    answers.write_text("find: {resume: done}\n")
    asked = run_cli(["resume", run_id, "--no-input", "--answers", str(answers)], tmp_path, state)
    assert asked.code == 2, asked.output
    assert ("step find is marked done on resume: its command did not run to its end, so what "
            "it captures into pids is not known") in asked.output
    assert '"find: {capture: VALUE}" in an answers file' in asked.output
    assert "killing" not in asked.output and "is undefined" not in asked.output
    answers.write_text('find: {resume: done, capture: "101 102"}\n')
    done = run_cli(["resume", run_id, "--no-input", "--answers", str(answers)], tmp_path, state)
    assert done.code == 0, done.output
    assert "killing 101 102" in done.output
    captured = [e for e in map(json.loads, (only_run_dir(state) / "journal.jsonl").read_text()
                               .splitlines()) if e["type"] == "captured"]
    assert [(e["step"], e["data"]["value"]) for e in captured] == [("find", "101 102")]
