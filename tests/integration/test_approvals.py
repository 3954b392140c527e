"""The two-person rule (#17.3) with real processes: a run waits at a step that needs
approval; a second person approves or rejects it with `runbookctl approve` /
`reject` from another process; self-approval is refused; no decision in time
aborts or escalates; a run killed while it waits is approved while down and resumed
without asking again. The report names who decided."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import (
    cli_env,
    journal_events,
    only_report,
    only_run_dir,
    run_cli,
    spawn_cli,
    write,
)
from tests.waiting import wait_event

pytestmark = pytest.mark.integration

RUNBOOK = """\
    title: Drop the replica
    {top}
    steps:
      - id: drop
        run: echo dropped
        approval: required
        {extra}
      - id: after
        run: echo after
      - id: page
        run: echo paged
"""


def _runbook(tmp_path: Path, extra: str = "", top: str = "") -> Path:
    return write(tmp_path / "rb.yaml", RUNBOOK.format(extra=extra, top=top))


def _background_run(tmp_path: Path, state: Path, *more: str) -> subprocess.Popen[str]:
    """`runbookctl run --no-input` by alice, as a second process: an approval is not an
    input, so it waits too."""
    return subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "rb.yaml"), "--no-input",
         "--operator", "alice", "--report-dir", str(tmp_path / "reports"), *more],
        cwd=tmp_path, env=cli_env(state), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


def test_a_waiting_run_approved_from_another_terminal_goes_on_and_the_report_names_the_approver(
        tmp_path: Path) -> None:
    _runbook(tmp_path)
    state, reports = tmp_path / "state", tmp_path / "reports"
    child = spawn_cli(["run", str(tmp_path / "rb.yaml"), "--report-dir", str(reports),
                       "--operator", "alice"], tmp_path, state)
    child.expect_exact("waiting for approval of drop: anyone but alice may approve it")
    run_id = only_run_dir(state).name
    child.expect_exact(f"on the web: http://127.0.0.1:8765/runs/{run_id}")
    child.expect_exact(f"runbookctl approve {run_id} drop --as NAME")
    child.expect_exact(f"runbookctl reject {run_id} drop --as NAME --reason TEXT")
    approved = run_cli(["approve", run_id[:24], "drop", "--as", "bob"], tmp_path, state)
    assert approved.code == 0, approved.output
    assert f"approved step drop of {run_id} as bob" in approved.output
    child.expect_exact("approved by bob (cli)")
    child.expect_exact("dropped")
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    report = only_report(reports)
    assert "| **Responders** | approved by bob ·" in report
    assert "| `drop` | approved | bob |" in report
    assert "| command line |" in report
    assert run_cli(["verify", str(only_run_dir(state))], tmp_path, state).code == 0


def test_self_approval_a_second_decision_and_unknown_targets_are_refused_with_exit_2(
        tmp_path: Path) -> None:
    _runbook(tmp_path)
    state = tmp_path / "state"
    proc = _background_run(tmp_path, state)
    wait_event(state, "approval_requested", "drop", alive=lambda: proc.poll() is None)
    run_id = only_run_dir(state).name

    own = run_cli(["approve", run_id, "drop"], tmp_path, state, RUNBOOKCTL_OPERATOR="alice")
    assert (own.code, own.stderr) == (2, "runbookctl: the approver must not be the run's "
                                         "operator (alice): a second person approves "
                                         "(--as NAME)\n")
    as_alice = run_cli(["reject", run_id, "drop", "--as", "alice", "--reason", "no"], tmp_path,
                       state)
    assert as_alice.code == 2 and "must not be the run's operator (alice)" in as_alice.stderr
    missing = run_cli(["approve", "20991231T000000Z-nope", "drop", "--as", "bob"], tmp_path, state)
    assert missing.code == 2 and "no run '20991231T000000Z-nope'" in missing.stderr
    not_waiting = run_cli(["approve", run_id, "after", "--as", "bob"], tmp_path, state)
    assert not_waiting.code == 2
    assert "step after is not waiting for approval (waiting now: drop)" in not_waiting.stderr

    assert run_cli(["approve", run_id, "drop", "--as", "bob"], tmp_path, state).code == 0
    again = run_cli(["reject", run_id, "drop", "--as", "carol", "--reason", "late"], tmp_path,
                    state)
    assert again.code == 2 and "step drop was already decided: approved by bob" in again.stderr
    code, out = _finish(proc)
    assert code == 0, out
    decided = [e for e in journal_events(only_run_dir(state)) if e["type"] == "approval_decided"]
    assert [(e["actor"], e["data"]["decision"]) for e in decided] == [("bob", "approve")]


def test_a_rejection_follows_on_no_and_the_reason_is_reported(tmp_path: Path) -> None:
    _runbook(tmp_path, "on_no: page")
    state = tmp_path / "state"
    proc = _background_run(tmp_path, state)
    wait_event(state, "approval_requested", "drop", alive=lambda: proc.poll() is None)
    run_id = only_run_dir(state).name
    rejected = run_cli(["reject", run_id, "drop", "--as", "bob", "--reason", "peak traffic"],
                       tmp_path, state)
    assert rejected.code == 0, rejected.output
    code, out = _finish(proc)
    assert code == 0, out
    assert "rejected by bob (cli): peak traffic" in out
    walked = [e["step"] for e in journal_events(only_run_dir(state)) if e["type"] == "step_started"]
    assert walked == ["drop", "page"]  # on_no: page, the command never ran
    assert "dropped" not in out
    report = only_report(tmp_path / "reports")
    assert "| `drop` | rejected | bob |" in report and "| peak traffic |" in report


@pytest.mark.parametrize(("extra", "code", "ran"), [
    ("", 1, []),
    ("on_approval_timeout: page", 0, ["paged"]),
])
def test_no_decision_in_time_aborts_or_escalates(tmp_path: Path, extra: str, code: int,
                                                 ran: list[str]) -> None:
    _runbook(tmp_path, extra, top="approval_timeout: 1s")
    state = tmp_path / "state"
    result = run_cli(["run", str(tmp_path / "rb.yaml"), "--no-input", "--operator", "alice",
                      "--report-dir", str(tmp_path / "reports")], tmp_path, state)
    assert result.code == code, result.output
    events = journal_events(only_run_dir(state))
    timed_out = [e for e in events if e["type"] == "approval_timed_out"]
    assert [e["data"]["then"] for e in timed_out] == [extra.split(": ")[1] if extra else "abort"]
    assert "no approval after 1." in result.output
    assert "dropped" not in result.output
    assert [word for word in ("paged",) if word in result.output] == ran
    assert "| `drop` | timed out |" in only_report(tmp_path / "reports")


def test_a_run_killed_while_waiting_approved_while_down_resumes_without_asking_again(
        tmp_path: Path) -> None:
    _runbook(tmp_path)
    state = tmp_path / "state"
    proc = _background_run(tmp_path, state)
    wait_event(state, "approval_requested", "drop", alive=lambda: proc.poll() is None)
    proc.send_signal(signal.SIGTERM)
    code, out = _finish(proc)
    assert code == 130, out
    run_id = only_run_dir(state).name
    assert run_cli(["approve", run_id, "drop", "--as", "bob"], tmp_path, state).code == 0
    resumed = run_cli(["resume", run_id, "--no-input", "--operator", "alice"], tmp_path, state)
    assert resumed.code == 0, resumed.output
    assert "approved by bob (cli)" in resumed.output and "dropped" in resumed.output
    types = [e["type"] for e in journal_events(only_run_dir(state))]
    assert types.count("approval_requested") == 1 and types.count("approval_decided") == 1
