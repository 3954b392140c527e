"""Ctrl-C in a real terminal: the first stops the command (its whole process group) and asks
retry / skip / abort; a second one stops the run at once, resumable (exit 130)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import cli_env, only_report

pytestmark = pytest.mark.integration

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"

RUNBOOK = """\
id: sleepy
title: Sleepy
steps:
  - id: nap
    run: echo $$ > {out}/nap.pid; sleep 60 & sleep 60; wait
  - id: after
    run: echo after > {out}/after
"""


def _spawn(tmp_path: Path) -> pexpect.spawn:
    (tmp_path / "sleepy.yaml").write_text(RUNBOOK.format(out=tmp_path))
    env = cli_env(tmp_path / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    return pexpect.spawn(sys.executable, ["-m", "runbookctl", "run", str(tmp_path / "sleepy.yaml"),
                                          "--report-dir", str(tmp_path / "r")],
                         cwd=str(tmp_path), env=env, dimensions=(40, 120), timeout=20,
                         encoding="utf-8")


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _wait_started(child: pexpect.spawn, tmp_path: Path) -> int:
    child.expect_exact("sleep 60 & sleep 60; wait")
    pid_file = tmp_path / "nap.pid"
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        child.expect(pexpect.TIMEOUT, timeout=0.05)
    raise AssertionError("the command never started")


def test_first_ctrl_c_stops_the_command_and_asks(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    pgid = _wait_started(child, tmp_path)
    child.send(CTRL_C)
    child.expect(r"nap was interrupted \(Ctrl-C\).*abort")
    assert not _group_alive(pgid)  # both sleeps are gone, not only the shell
    child.send(DOWN + ENTER)  # retry, [skip], abort
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "after").read_text() == "after\n"
    report = only_report(tmp_path / "r")
    assert "skipped after failure: interrupted" in report


def test_second_ctrl_c_stops_the_run_resumable(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    pgid = _wait_started(child, tmp_path)
    child.send(CTRL_C)
    child.expect(r"nap was interrupted \(Ctrl-C\).*abort")
    child.send(CTRL_C)
    child.expect_exact("runbookctl resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert not _group_alive(pgid)
    assert not (tmp_path / "after").exists()
    report = only_report(tmp_path / "r")
    assert 'status: "interrupted"' in report
    assert os.path.isdir(tmp_path / "state" / "runs")
