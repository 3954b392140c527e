"""The terminal closes under a run (its ssh session drops, its window is closed): at a
prompt or while a command runs, the run ends interrupted and resumable, its ending
journaled and its report written, exit 130 — never an internal error. Writing to a
closed terminal fails with EIO, not the EPIPE of a closed pipe."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import cli_env, only_report, only_run_dir, run_cli

pytestmark = pytest.mark.integration

RUNBOOK = """\
id: t
title: Closed terminal
steps:
  - id: first
    run: echo first-{{{{ 1 + 1 }}}}
  - id: slow
    run: {slow}
    interactive: {interactive}
  - id: cause
    ask: What caused it?
    var: cause
  - id: last
    run: echo "cause {{{{ cause }}}}"
"""


def _until(fd: int, needle: bytes, deadline: float = 30.0) -> bytes:
    """Read the terminal until `needle` shows up (the run reached that point)."""
    seen, end = b"", time.monotonic() + deadline
    while needle not in seen:
        left = end - time.monotonic()
        assert left > 0, f"gave up waiting for {needle!r}: {seen[-500:]!r}"
        if select.select([fd], [], [], left)[0]:
            seen += os.read(fd, 65536)
    return seen


def _exit_code(pid: int, deadline: float = 30.0) -> int:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    raise AssertionError("the run did not end after its terminal closed")


@pytest.mark.parametrize(("slow", "interactive", "close_at"), [
    ("echo ok", "false", b"What caused it?"),  # at a prompt
    # while a command runs: its output, not the command line shown before it starts
    ("echo slow-started; sleep 30", "false", b"slow-started\r\n"),
    ("echo slow-started; sleep 30", "true", b"slow-started\r\n"),  # in an interactive session
])
def test_a_closed_terminal_leaves_an_interrupted_resumable_run_with_its_report(
        tmp_path: Path, slow: str, interactive: str, close_at: bytes) -> None:
    (tmp_path / "t.yaml").write_text(RUNBOOK.format(slow=slow, interactive=interactive))
    state, reports = tmp_path / "state", tmp_path / "reports"
    env = {**cli_env(state), "TERM": "xterm"}
    stderr = tmp_path / "stderr.txt"
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT, 0o600), 2)
        os.execve(sys.executable, [sys.executable, "-m", "runbookctl", "run",
                                   str(tmp_path / "t.yaml"), "--report-dir", str(reports)], env)
    try:
        _until(fd, close_at)
    finally:
        os.close(fd)  # the terminal goes away
    assert _exit_code(pid) == 130, stderr.read_text()
    events = [json.loads(line) for line in
              (only_run_dir(state) / "journal.jsonl").read_text().splitlines()]
    ended = [e for e in events if e["type"] == "run_interrupted"]
    assert len(ended) == 1 and ended[0]["data"]["reason"] in (
        "interrupted by SIGHUP", "the terminal was closed"), ended
    report = only_report(reports)
    assert 'status: "interrupted"' in report and "internal error" not in report
    run_id = only_run_dir(state).name
    assert stderr.read_text() == {  # the run's one line: no traceback, no asyncio noise
        "interrupted by SIGHUP": f"runbookctl: interrupted by SIGHUP; resume with: "
                                 f"runbookctl resume {run_id}\n",
        "the terminal was closed": f"runbookctl: the terminal was closed; resume with: "
                                   f"runbookctl resume {run_id}\n"}[ended[0]["data"]["reason"]]
    # the run stopped inside `slow` (after its command started) or after it, at `cause`
    (tmp_path / "answers.yaml").write_text("cause: a closed laptop lid\nslow: {resume: done}\n")
    again = run_cli(["resume", only_run_dir(state).name, "--no-input", "--answers",
                     str(tmp_path / "answers.yaml")], cwd=tmp_path, state=state)
    assert again.code == 0, again.output
    assert "cause a closed laptop lid" in again.output


def test_a_terminal_closed_at_the_inputs_prompt_is_an_interruption(tmp_path: Path) -> None:
    """Before the run exists (its inputs are asked first): exit 130, nothing left behind,
    no crash log — whether the hang-up or the failed write comes first."""
    (tmp_path / "p.yaml").write_text("id: p\ntitle: p\ninputs:\n  who: {type: str}\n"
                                     "steps:\n  - {id: a, run: 'echo {{ who }}'}\n")
    state = tmp_path / "state"
    stderr = tmp_path / "stderr.txt"
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT, 0o600), 2)
        os.execve(sys.executable, [sys.executable, "-m", "runbookctl", "run",
                                   str(tmp_path / "p.yaml")], {**cli_env(state), "TERM": "xterm"})
    try:
        _until(fd, b"who")
    finally:
        os.close(fd)
    assert _exit_code(pid) == 130, stderr.read_text()
    assert stderr.read_text() in ("runbookctl: stopped by SIGHUP\n", ""), stderr.read_text()
    assert not (state / "runs").exists() and not (state / "crash").exists()
