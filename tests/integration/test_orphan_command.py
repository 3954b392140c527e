"""kill -9 leaves the step's command running (#12.5): resume finds it (process group +
start time from the journal) and waits for it or stops it before anything else — never
two copies of a step's command at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from runbookctl.executors import procs
from tests.helpers import cli_env, journal_events, only_run_dir, run_cli
from tests.waiting import group_alive, wait_event, wait_for

pytestmark = pytest.mark.integration

DOWN = "\x1b[B"
ENTER = "\r"

# `flock -n` on a lock only one copy can hold: a second live copy writes OVERLAP.
RUNBOOK = """\
id: orphan
title: Orphan
steps:
  - id: work
    run: >-
      exec 9>>{out}/work.lock; flock -n 9 || echo OVERLAP >> {out}/side;
      echo start >> {out}/side;
      while [ ! -e {out}/go ]; do sleep 0.05; done; echo end >> {out}/side
  - id: after
    run: echo after >> {out}/side
"""


def _killed_run(tmp_path: Path) -> tuple[str, int]:
    """A run killed -9 while `work` runs; (run id, the orphaned command's process group)."""
    (tmp_path / "orphan.yaml").write_text(RUNBOOK.format(out=tmp_path))
    state = tmp_path / "state"
    run = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "orphan.yaml"), "--no-input",
         "--report-dir", str(tmp_path / "r")], cwd=tmp_path, env=cli_env(state),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    event = wait_event(state, "command_process", "work", alive=lambda: run.poll() is None)
    wait_for("the command's start", lambda: (tmp_path / "side").exists())
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    pgid = int(event["data"]["pgid"])
    assert group_alive(pgid)  # the command outlived runbookctl
    assert event["data"]["start"] == procs.start_time(pgid)
    return only_run_dir(state).name, pgid


def test_without_an_answer_resume_says_the_command_still_runs(tmp_path: Path) -> None:
    run_id, pgid = _killed_run(tmp_path)
    try:
        result = run_cli(["resume", run_id, "--no-input"], tmp_path, tmp_path / "state")
        assert result.code == 2, result.output
        assert (f"work: its command is still running (process group {pgid}), left by the run "
                'that stopped: add "work: {resume: rerun | done | failed | skip}" to an answers '
                "file (--answers FILE; the command is stopped first), or resume in a terminal "
                "to wait for it") in result.output
        assert group_alive(pgid)  # nothing decided, nothing stopped
    finally:
        os.killpg(pgid, signal.SIGKILL)


def test_an_answers_file_stops_the_old_copy_before_the_rerun(tmp_path: Path) -> None:
    run_id, pgid = _killed_run(tmp_path)
    state = tmp_path / "state"
    (tmp_path / "answers.yaml").write_text("work: {resume: rerun}\n")
    resume = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "resume", run_id, "--answers",
         str(tmp_path / "answers.yaml")], cwd=tmp_path, env=cli_env(state),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_event(state, "command_process", "work", nth=2, alive=lambda: resume.poll() is None)
    assert not group_alive(pgid)  # stopped before the second copy was started
    (tmp_path / "go").touch()
    out, _ = resume.communicate(timeout=60)
    assert resume.returncode == 0, out
    assert "work: its command stopped on resume: command stopped with SIGTERM" in out
    assert (tmp_path / "side").read_text().splitlines() == ["start", "start", "end", "after"]
    events = journal_events(only_run_dir(state))
    stop = next(e for e in events if e["type"] == "answer" and e["data"]["kind"] == "resume")
    assert (stop["data"]["value"], stop["data"]["origin"]) == ("stop", "answers-file")
    assert run_cli(["verify", run_id], tmp_path, state).code == 0


def test_in_a_terminal_the_operator_may_wait_for_it(tmp_path: Path) -> None:
    run_id, pgid = _killed_run(tmp_path)
    env = cli_env(tmp_path / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(sys.executable, ["-m", "runbookctl", "resume", run_id], cwd=str(tmp_path),
                          env=env, dimensions=(40, 160), timeout=30, encoding="utf-8")
    child.expect(r"» wait[\s\S]*?stop")  # the menu itself, not the question above it
    child.send(ENTER)  # [wait], stop
    child.expect_exact("Ctrl-C stops waiting")
    assert group_alive(pgid)
    (tmp_path / "go").touch()
    child.expect_exact("its command ended while resume waited for it")
    child.expect(r"» rerun[\s\S]*?skip")
    child.send(DOWN + ENTER)  # rerun, [done], failed, skip
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "side").read_text().splitlines() == ["start", "end", "after"]


def test_a_reused_pid_is_not_taken_for_the_command() -> None:
    """The journal's start time tells the command from a new process with its old pid."""
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        real = procs.start_time(sleeper.pid)
        assert real is not None and procs.same_group_alive(sleeper.pid, real)
        boot, _, ticks = real.rpartition(":")
        assert not procs.same_group_alive(sleeper.pid, f"{boot}:{int(ticks) - 1}")
        assert not procs.same_group_alive(sleeper.pid, f"another-boot:{ticks}")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not procs.same_group_alive(sleeper.pid, real)
