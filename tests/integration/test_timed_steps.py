"""Timed steps through the real CLI: `wait:` and `at:` journal their deadline, and a run
stopped while it waits resumes waiting for the same instant, without running again the
checkpoints that finished (the 48-hour launch watch is made of such steps)."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import cli_env, journal_events, only_report, only_run_dir, run_cli, write
from tests.waiting import read_until, wait_event

pytestmark = pytest.mark.integration

RUNBOOK = """\
id: checkpoints
title: Checkpoints
steps:
  - {{id: t0, run: echo t0 >> {out}/ran}}
  - {{id: later, title: Check again, wait: 2s, run: echo later >> {out}/ran}}
  - {{id: t2s, at: 2s, run: echo t2s >> {out}/ran}}
"""


def _epoch(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def test_a_run_stopped_while_waiting_resumes_the_same_wait(tmp_path: Path) -> None:
    state = tmp_path / "state"
    runbook = write(tmp_path / "checkpoints.yaml", RUNBOOK.format(out=tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(runbook), "--no-input",
         "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path, env=cli_env(state), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    shown = read_until(proc.stdout, b" left)\n")  # the operator is told how long, then stop it
    first = wait_event(state, "waiting", "later")
    assert f"waiting until {first['data']['until'][11:19]} UTC (wait: 2s; ".encode() in shown
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err

    run_id = only_run_dir(state).name
    resumed = run_cli(["resume", run_id, "--no-input"], tmp_path, state)
    assert resumed.code == 0, resumed.output
    assert (tmp_path / "ran").read_text() == "t0\nlater\nt2s\n"  # t0 once: it had finished

    events = journal_events(only_run_dir(state))
    waits = [e for e in events if e["type"] == "waiting"]
    assert [(e["step"], e["data"]["why"]) for e in waits] == [
        ("later", "wait: 2s"), ("later", "wait: 2s"), ("t2s", "at: T+2s")]
    assert waits[1]["data"]["until"] == first["data"]["until"]  # the same instant, not 2s more
    started = {e["step"]: e["ts"] for e in events if e["type"] == "command_started"}
    assert _epoch(started["later"]) >= _epoch(first["data"]["until"])
    run_start = _epoch(events[0]["ts"])
    assert 2 <= _epoch(waits[2]["data"]["until"]) - run_start < 3  # T+2s of the first start
    assert _epoch(started["t2s"]) >= _epoch(waits[2]["data"]["until"])
    report = only_report(tmp_path / "r")
    assert f"waiting until {first['data']['until'][11:19]} UTC (wait: 2s)" in report


def test_validate_refuses_a_wait_that_is_not_a_duration(tmp_path: Path) -> None:
    runbook = write(tmp_path / "bad.yaml", "id: bad\ntitle: Bad\nsteps:\n"
                                          "  - {id: a, wait: soon, run: 'true'}\n")
    result = run_cli(["validate", str(runbook)], tmp_path, tmp_path / "state")
    assert result.code == 2
    assert "bad.yaml:4:" in result.output and "wait" in result.output
