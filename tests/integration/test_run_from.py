"""`run --from STEP` when skipped steps set values later steps read: each is given like an
input (--var, --vars-file, the answers file, the terminal) or the run exits 2 naming them;
resume keeps the starting point. Through the real CLI (and a real pty for the prompt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    FIXTURES,
    expect_completed,
    journal_events,
    only_report,
    only_run_dir,
    run_cli,
    spawn_cli,
)

pytestmark = pytest.mark.integration

RUNBOOKS = FIXTURES / "from"


def _run(work: Path, *extra: str, answers: str | None = None) -> tuple[int, str]:
    args = ["--runbooks", str(RUNBOOKS), "run", "skipped", "--from", "kill", "--var",
            f"out={work / 'out'}", "--no-input", "--report-dir", str(work / "reports"), *extra]
    if answers is not None:
        (work / "answers.yaml").write_text(answers)
        args += ["--answers", str(work / "answers.yaml")]
    result = run_cli(args, cwd=work, state=work / "state")
    return result.code, result.output


def _log(work: Path) -> list[str]:
    path = work / "out" / "log"
    return path.read_text().splitlines() if path.exists() else []


def test_without_the_values_the_run_exits_2_naming_each_before_anything_runs(work: Path) -> None:
    code, out = _run(work)
    assert code == 2, out
    assert "--from kill skips the steps that set values later steps use, and there is no " \
           "terminal to ask (--no-input); give each of them:" in out
    assert '  long_pids (set by step find): --var long_pids=VALUE, or "find: {capture: VALUE}"' \
           in out
    assert '  count (set by step how-many): --var count=VALUE, or "how-many: VALUE"' in out
    assert "internal error" not in out and "Traceback" not in out
    assert _log(work) == [] and not (work / "state" / "runs").exists()


@pytest.mark.parametrize(("how", "extra", "answers", "origin"), [
    ("--var", ["--var", "long_pids=7 8", "--var", "count=2"], "gate: yes\n", "--var"),
    ("--vars-file", ["--vars-file", "VARS"], "gate: yes\n", "--vars-file"),
    ("answers file", [], 'find: {capture: "7 8"}\nhow-many: 2\ngate: yes\n', "answers-file"),
])
def test_each_skipped_value_is_given_like_an_input(
        work: Path, how: str, extra: list[str], answers: str, origin: str) -> None:
    (work / "vars.yaml").write_text('long_pids: "7 8"\ncount: 2\n')
    extra = [str(work / "vars.yaml") if x == "VARS" else x for x in extra]
    code, out = _run(work, *extra, answers=answers)
    assert code == 0, out
    assert _log(work) == ["kill 7 8 x2", "after"]  # find and how-many never ran
    report = only_report(work / "reports")
    assert f"| `long_pids` | 7 8 | {origin}, for skipped step find |" in report
    assert f"| `count` | 2 | {origin}, for skipped step how-many |" in report


def test_a_value_of_the_wrong_type_is_refused_with_exit_2(work: Path) -> None:
    code, out = _run(work, "--var", "long_pids=1", "--var", "count=many")
    assert code == 2, out
    assert "count: 'many' is not an integer (from --var)" in out
    assert _log(work) == []


def test_validate_accepts_a_capture_answer_for_a_capture_step(work: Path) -> None:
    (work / "a.yaml").write_text('find: {capture: "1 2"}\nhow-many: 3\n')
    result = run_cli(["--runbooks", str(RUNBOOKS), "validate", "skipped", "--answers",
                      str(work / "a.yaml")], cwd=work, state=work / "state")
    assert result.code == 0, result.output
    (work / "a.yaml").write_text('gate: {capture: "1 2"}\n')
    result = run_cli(["--runbooks", str(RUNBOOKS), "validate", "skipped", "--answers",
                      str(work / "a.yaml")], cwd=work, state=work / "state")
    assert result.code == 2 and "`capture` does not apply to a confirm step" in result.output


@pytest.mark.parametrize("killed", ["before the first step", "as kill began"])
def test_resume_keeps_the_starting_point_and_the_given_values(work: Path, killed: str) -> None:
    code, out = _run(work, "--var", "long_pids=7 8", "--var", "count=2")
    assert code == 2 and "gate" in out  # stopped at the unanswered gate
    journal = only_run_dir(work / "state") / "journal.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    # as if killed there: only the start and the inputs (and kill's start) are recorded
    keep = next(i for i, line in enumerate(lines) if json.loads(line)["step"])
    journal.write_text("".join(lines[: keep + (killed != "before the first step")]))
    (work / "out" / "log").unlink()
    (work / "go.yaml").write_text("gate: yes\n")
    result = run_cli(["--runbooks", str(RUNBOOKS), "resume", "--no-input", "--answers",
                      str(work / "go.yaml")], cwd=work, state=work / "state")
    assert result.code == 0, result.output
    assert _log(work) == ["kill 7 8 x2", "after"]  # not find: the run began at kill
    started = [e["step"] for e in journal_events(journal.parent) if e["type"] == "step_started"]
    assert started == ["kill", "gate", "after"] if killed == "before the first step" else \
        ["kill", "kill", "gate", "after"]


def test_the_terminal_asks_for_each_value_with_its_type(work: Path) -> None:
    child = spawn_cli(["--runbooks", str(RUNBOOKS), "run", "skipped", "--from", "kill", "--var",
                       f"out={work / 'out'}", "--report-dir", str(work / "reports")],
                      work, work / "state")
    child.expect_exact("long_pids: the value step find would have captured (--from kill skips it)")
    child.send("7 8\r")
    child.expect_exact("count: the value step how-many would have asked for")
    child.send("two\r")
    child.expect_exact("is not an integer")  # typed like the ask step: asked again
    child.send("\x7f\x7f\x7f2\r")
    child.expect_exact("Go on?")
    child.send("y\r")
    expect_completed(child)
    assert _log(work) == ["kill 7 8 x2", "after"]
    assert "| `count` | 2 | terminal, for skipped step how-many |" in only_report(work / "reports")


def test_resume_of_a_run_whose_starting_step_was_renamed_exits_2(work: Path) -> None:
    (work / "rb").mkdir()
    path = work / "rb" / "skipped.yaml"
    path.write_text((RUNBOOKS / "skipped.yaml").read_text())
    args = ["--runbooks", str(work / "rb"), "run", "skipped", "--from", "kill", "--var",
            f"out={work / 'out'}", "--var", "long_pids=1", "--var", "count=2", "--no-input"]
    assert run_cli(args, cwd=work, state=work / "state").code == 2
    journal = only_run_dir(work / "state") / "journal.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(line for line in lines if not json.loads(line)["step"]))
    path.write_text(path.read_text().replace("id: kill", "id: stop"))
    result = run_cli(["--runbooks", str(work / "rb"), "resume", "--no-input", "--force"],
                     cwd=work, state=work / "state")
    assert result.code == 2, result.output
    assert "it was started --from step 'kill', which the runbook no longer has" in result.output


@pytest.mark.parametrize("change", ["renamed", "removed"])
def test_resume_after_the_starting_step_ran_and_was_renamed_or_removed_goes_on(
        work: Path, change: str) -> None:
    """Once the run got past its --from step, resume goes on from where it stopped: the
    starting step's id no longer matters (it was internal error KeyError, exit 3)."""
    (work / "rb").mkdir()
    path = work / "rb" / "skipped.yaml"
    path.write_text((RUNBOOKS / "skipped.yaml").read_text())
    args = ["--runbooks", str(work / "rb"), "run", "skipped", "--from", "kill", "--var",
            f"out={work / 'out'}", "--var", "long_pids=7", "--var", "count=2", "--no-input"]
    first = run_cli(args, cwd=work, state=work / "state")
    assert first.code == 2 and "step 'gate' needs an answer" in first.output, first.output
    text = path.read_text()
    path.write_text(text.replace("id: kill", "id: stop") if change == "renamed" else
                    text.replace("  - id: kill\n    run: echo kill {{ long_pids }} x{{ count }}"
                                 " >> {{ out }}/log\n", ""))
    (work / "go.yaml").write_text("gate: yes\n")
    result = run_cli(["--runbooks", str(work / "rb"), "resume", "--no-input", "--force",
                      "--answers", str(work / "go.yaml")], cwd=work, state=work / "state")
    assert result.code == 0, result.output
    assert "internal error" not in result.output
    assert _log(work) == ["kill 7 x2", "after"]  # kill ran once, before the change


@pytest.mark.parametrize(("start", "names", "log"), [
    ("fix", ["state (set by step check)"], ["fix", "verify restarted", "report was-down"]),
    ("verify", ["state (set by step check)", "fixed (set by step fix)"],
     ["verify was-fixed", "report was-down"]),
])
def test_from_a_step_of_a_branch_asks_what_the_steps_it_goes_back_to_read(
        work: Path, start: str, names: list[str], log: list[str]) -> None:
    """`report` comes before `fix` in the file but runs after it (verify goes back to it):
    what it reads from the skipped `check` is asked too (it failed: 'state' is undefined)."""
    base = ["--runbooks", str(RUNBOOKS), "run", "branch", "--from", start, "--var",
            f"out={work / 'out'}", "--no-input", "--report-dir", str(work / "reports")]
    result = run_cli(base, cwd=work, state=work / "state")
    assert result.code == 2, result.output
    assert [line.split(":")[0].strip() for line in result.output.splitlines()
            if line.startswith("  ")] == names
    assert _log(work) == []
    given = {"state": "was-down", "fixed": "was-fixed"}
    values = [f"--var={name.split()[0]}={given[name.split()[0]]}" for name in names]
    result = run_cli(base + values, cwd=work, state=work / "state")
    assert result.code == 0, result.output
    assert "failed" not in result.output
    assert _log(work) == log
