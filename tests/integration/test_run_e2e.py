"""A runbook using every action and modifier, run end to end through the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, CliResult, journal_events, only_report, only_run_dir, run_cli

E2E = FIXTURES / "e2e"
TOKEN = "tok-3f9a1c77e2b04d"

EXPECTED_LOG = [
    "start",
    "greet '; touch CANARY #",
    "flaky1",
    "flaky2",
    "hello '; touch CANARY # from out",
    "failing",
    "slow-start",
    "timeout-handled",
    "fast-path",
    "wiped",
    "child",
]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copytree(E2E, tmp_path / "e2e")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "scratch").write_text("x")
    return tmp_path


def _run(work: Path, *extra: str) -> tuple[int, str, str]:
    result = run_cli(
        ["--runbooks", str(work / "e2e" / "runbooks"), "run", "everything", "--var",
         f"out={work / 'out'}", "--answers", str(work / "e2e" / "answers.yaml"), "--no-input",
         "--report-dir", str(work / "reports"), *extra],
        cwd=work, state=work / "state", RB_TEST_TOKEN=TOKEN,
    )
    return result.code, result.stdout, result.stderr


def _run_book(tmp_path: Path, rid: str, steps: str) -> CliResult:
    """`runbookctl run` of a runbook of these steps, reports in tmp_path/r."""
    runbook = tmp_path / f"{rid}.yaml"
    runbook.write_text(f"id: {rid}\ntitle: {rid}\nsteps:\n{steps}")
    return run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp_path / "r")],
                   cwd=tmp_path, state=tmp_path / "state")


def test_every_action_runs_in_graph_order_exactly_once(work: Path) -> None:
    code, out, err = _run(work)
    assert code == 0, out + err
    log = (work / "out" / "log").read_text().splitlines()
    assert log == EXPECTED_LOG
    assert not (work / "out" / "scratch").exists()  # the dangerous step ran once answered
    assert not list(work.rglob("CANARY"))  # answers were never executed


def test_report_shows_outcomes_path_captures_and_answers(work: Path) -> None:
    code, out, err = _run(work)
    assert code == 0, out + err
    report = only_report(work / "reports")
    assert report.startswith("---\nrun_id: ")
    assert 'status: "completed"' in report
    assert 'runbook: "everything"' in report
    # each step's outcome
    # a step skipped by its `when:` is told by its timeline row, with no detail below
    for key, icon in [("count-files", "✅"), ("failing", "❌"), ("not-needed", None),
                      ("slow", "❌"), ("after-slow", None), ("child/write", "✅")]:
        if icon is None:
            assert f"`{key}`" not in report.split("## Steps")[1]
        else:
            assert f"### {icon} `{key}`" in report, key
    assert "timed out after 1s" in report
    assert "when: count > 10 is false" in report
    # the path taken, as Mermaid
    assert "```mermaid\nflowchart TD" in report
    assert "s_slow -->|on_failure" in report or "s_slow -->" in report
    # captured values
    assert "captured <code>chosen</code> = fast" in report  # in the step's one-line summary
    # every answer with its origin
    assert "answers-file" in report
    assert "What was the root cause?" in report and "$(touch CANARY)" in report
    assert "Post-incident review" in report
    # secrets never reach the report; the message was recorded masked
    assert TOKEN not in report
    assert "token ***" in report


def test_secret_never_reaches_journal_logs_or_terminal(work: Path) -> None:
    code, out, err = _run(work)
    assert code == 0
    run_dir = only_run_dir(work / "state")
    assert TOKEN not in out + err
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(errors="replace"), path


def test_journal_is_a_hash_chain_with_answer_origins(work: Path) -> None:
    code, _out, _err = _run(work)
    assert code == 0
    events = journal_events(only_run_dir(work / "state"))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "run_started" and events[-1]["type"] == "run_finished"
    answers = [e for e in events if e["type"] == "answer"]
    assert {a["step"] for a in answers} >= {"gate", "oncall", "optional", "wipe", "dashboard",
                                            "child/ack", "root-cause"}
    assert all(a["data"]["origin"] == "answers-file" for a in answers)
    assert all("answers.yaml (sha256 " in a["actor"] for a in answers)


def test_missing_answer_stops_with_exit_2_naming_step_and_key(work: Path) -> None:
    answers = work / "e2e" / "answers.yaml"
    answers.write_text(answers.read_text().replace("wipe: yes\n", ""))
    code, out, err = _run(work)
    assert code == 2
    assert "wipe" in err + out
    assert "answers" in (err + out).lower()
    log = (work / "out" / "log").read_text().splitlines()
    assert log[-1] == "fast-path"  # nothing after the unanswered step ran
    assert (work / "out" / "scratch").exists()
    report = only_report(work / "reports")
    assert 'status: "interrupted"' in report


def test_yes_does_not_answer_dangerous_steps(work: Path) -> None:
    answers = work / "e2e" / "answers.yaml"
    answers.write_text(answers.read_text().replace("wipe: yes\n", "").replace("gate: yes\n", ""))
    code, out, err = _run(work, "--yes")
    assert code == 2
    assert "wipe" in out + err
    assert (work / "out" / "scratch").exists()


def test_capture_is_kept_when_expect_fails(tmp_path: Path) -> None:
    result = _run_book(tmp_path, "usage", (
        "  - id: usage\n    run: echo 93\n    capture: pct\n    expect: result.stdout | int < 80\n"
        "    on_failure: continue\n"
        "  - id: act\n    when: pct | int >= 80\n    run: echo acting on {{ pct }} > acted\n"))
    assert result.code == 0, result.output
    assert (tmp_path / "acted").read_text() == "acting on 93\n"
    report = only_report(tmp_path / "r")
    assert "expect: result.stdout | int < 80 does not hold" in report
    assert "`pct` = 93" in report


def test_dry_run_executes_only_readonly_steps(work: Path) -> None:
    code, out, err = _run(work, "--dry-run")
    assert code == 0, out + err
    assert (work / "out" / "log").read_text().splitlines() == ["start"]  # the readonly step
    assert (work / "out" / "scratch").exists()
    assert "dry run: would run: rm -f" in out
    report = only_report(work / "reports")
    assert "dry run: only read-only steps executed" in report


def test_a_command_that_cannot_start_is_journaled_with_why_and_the_run_goes_on(
        tmp_path: Path) -> None:
    # The shell is started before its command is journaled (engine/command_step.py):
    # one that never starts still leaves its command, and why, in the record.
    result = _run_book(tmp_path, "nostart", (
        "  - {id: noshell, run: echo a > a, shell: /no/such/shell, on_failure: continue}\n"
        "  - {id: nocwd, run: echo b > b, cwd: /no/such/dir, on_failure: continue}\n"
        "  - {id: fine, run: echo c > c}\n"))
    assert result.code == 0, result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert (tmp_path / "c").read_text() == "c\n"
    events = journal_events(only_run_dir(tmp_path / "state"))
    for step, command, why in [
            ("noshell", "echo a > a", "cannot start /no/such/shell: No such file or directory"),
            ("nocwd", "echo b > b", "cwd does not exist: /no/such/dir")]:
        mine = [e for e in events if e["step"] == step]
        assert [e["type"] for e in mine] == [
            "step_started", "command_started", "command_finished", "step_finished"]
        assert mine[1]["data"]["command"] == command
        assert mine[2]["data"]["hosts"][0]["error"] == why
        assert result.output.count(f"$ {command}") == 1
    assert [e["type"] for e in events if e["step"] == "fine"] == [
        "step_started", "command_started", "command_process", "command_finished", "step_finished"]
    report = only_report(tmp_path / "r")
    assert "cannot start /no/such/shell: No such file or directory" in report
    assert "cwd does not exist: /no/such/dir" in report
