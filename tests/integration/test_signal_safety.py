"""A complete, consistent record after any signal at any moment (#12.7), through the CLI:
signals during a (slowed) fsync, a second signal during the write-up, a kill during the
write-up, journals torn at start-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, cli_env, run_cli
from tests.waiting import wait_event, wait_for

pytestmark = pytest.mark.integration

HOOK = str(ROOT / "tests" / "crashhook")
RUNBOOK = """\
id: steady
title: Steady
steps:
  - id: one
    run: echo one >> {out}/side
  - id: two
    run: echo two >> {out}/side
"""


def slowed_env(tmp_path: Path, delay: float) -> dict[str, str]:
    path = os.pathsep.join(p for p in (HOOK, os.environ.get("PYTHONPATH")) if p)
    return cli_env(tmp_path / "state", PYTHONPATH=path, RUNBOOKCTL_TEST_SLOW_FSYNC=str(delay),
                   RUNBOOKCTL_TEST_FSYNC_MARK=str(tmp_path / "fsyncs"))


def start_run(tmp_path: Path, delay: float) -> subprocess.Popen[str]:
    (tmp_path / "steady.yaml").write_text(RUNBOOK.format(out=tmp_path))
    return subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "steady.yaml"), "--no-input",
         "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path, env=slowed_env(tmp_path, delay), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def in_fsync(tmp_path: Path, proc: subprocess.Popen[str], nth: int) -> None:
    """Wait until runbookctl has begun its `nth` fsync (it then sleeps in it)."""
    marks = tmp_path / "fsyncs"

    def begun() -> bool:
        lines = marks.read_text().split() if marks.exists() else []
        return lines.count(str(proc.pid)) > 0 and len(lines) // 2 >= nth
    wait_for(f"fsync {nth}", begun, alive=lambda: proc.poll() is None)


def run_ids(state: Path) -> list[str]:
    return sorted(p.name for p in (state / "runs").iterdir())


def report_is_current(tmp_path: Path, run_id: str) -> bool:
    journal = (tmp_path / "state" / "runs" / run_id / "journal.jsonl").read_text().splitlines()
    head = json.loads(journal[-1])["hash"] if journal else ""
    for report in (tmp_path / "r").rglob("*.md"):
        text = report.read_text()
        if f'run_id: "{run_id}"' in text:
            return f'journal_hash: "{head}"' in text
    return False


def assert_record_complete(tmp_path: Path) -> None:
    """Every journal verifies; `runs` leaves every run with a current report."""
    state = tmp_path / "state"
    listed = run_cli(["runs"], tmp_path, state)
    assert listed.code == 0, listed.output
    for run_id in run_ids(state):
        checked = run_cli(["verify", run_id], tmp_path, state)
        assert checked.code == 0, checked.output
        assert report_is_current(tmp_path, run_id), run_id


@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5])  # 1: before run_started; 5: run_finished
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_fsync_never_reuses_a_sequence_number(
        tmp_path: Path, nth: int, sig: signal.Signals) -> None:
    proc = start_run(tmp_path, 0.3)
    in_fsync(tmp_path, proc, nth)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and "internal error" not in err, err
    # At run_finished the run has completed: the signal waits for the record, then the
    # process ends with the run's own code, not 130 ("interrupted, resumable").
    assert proc.returncode == (0 if nth == 5 else 130), err
    assert_record_complete(tmp_path)


def test_a_second_signal_during_the_write_up_still_leaves_the_report(tmp_path: Path) -> None:
    proc = start_run(tmp_path, 0.3)
    # step_finished is written without its own fsync: the next fsync is run_finished's.
    wait_event(tmp_path / "state", "step_finished", "two", alive=lambda: proc.poll() is None)
    marks = tmp_path / "fsyncs"
    in_fsync(tmp_path, proc, len(marks.read_text().splitlines()) + 1)
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    [run_id] = run_ids(tmp_path / "state")
    assert report_is_current(tmp_path, run_id)  # written by the run itself, not rebuilt
    assert_record_complete(tmp_path)


@pytest.mark.parametrize("command", [["runs"], ["resume"], ["report"]])
def test_a_kill_during_the_write_up_leaves_a_report_that_is_rebuilt(
        tmp_path: Path, command: list[str]) -> None:
    """Killed after run_finished was journaled, before (or while) the report was written:
    runs, resume and report rebuild it from the journal."""
    proc = start_run(tmp_path, 0.0)
    assert proc.wait(timeout=60) == 0
    [run_id] = run_ids(tmp_path / "state")
    report = next((tmp_path / "r").glob("*.md"))
    stale = report.read_text().replace('journal_hash: "', 'journal_hash: "0')
    report.write_text(stale)  # as left by a kill during the previous write-up
    args = [*command, run_id] if command != ["runs"] else command
    result = run_cli(args, tmp_path, tmp_path / "state")
    assert result.code == (2 if command == ["resume"] else 0), result.output
    assert report_is_current(tmp_path, run_id)
    if command == ["resume"]:
        assert "already ended (completed)" in result.output
        assert f"the report of {run_id} was behind its journal: rebuilt" in result.output
    report.unlink()
    run_cli(args, tmp_path, tmp_path / "state")
    assert report_is_current(tmp_path, run_id)


def test_a_journal_torn_at_start_up_never_blocks_resume_of_other_runs(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = start_run(tmp_path, 0.3)
    in_fsync(tmp_path, proc, 4)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130
    [real] = run_ids(state)
    for name, content in (("99991231T235958Z-steady-0000", b""),
                          ("99991231T235959Z-steady-ffff", b'{"seq":1,"ts":"2')):
        (state / "runs" / name).mkdir()
        (state / "runs" / name / "journal.jsonl").write_bytes(content)
    listed = run_cli(["runs"], tmp_path, state)
    assert listed.code == 0 and "Traceback" not in listed.output, listed.output
    (tmp_path / "answers.yaml").write_text("one: {resume: rerun}\ntwo: {resume: rerun}\n")
    resumed = run_cli(["resume", "--answers", str(tmp_path / "answers.yaml")], tmp_path, state)
    assert resumed.code == 0, resumed.output
    assert f"resuming {real}" in resumed.output
    empty = run_cli(["resume", "99991231T235958Z-steady-0000"], tmp_path, state)
    assert empty.code == 2
    assert "no run_started event (empty, or cut off as the run began)" in empty.output
    assert (tmp_path / "side").read_text().count("two") == 1
