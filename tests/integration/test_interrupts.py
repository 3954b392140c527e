"""Ctrl-C in a real terminal: the first stops the command (its whole process group) and asks
retry / skip / abort; a second one stops the run at once, resumable (exit 130)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import cli_env, only_report
from tests.waiting import group_alive as _group_alive
from tests.waiting import read_until, wait_for

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


def _wait_started(child: pexpect.spawn, tmp_path: Path) -> int:
    child.expect_exact("sleep 60 & sleep 60; wait")
    pid_file = tmp_path / "nap.pid"
    text = wait_for("the command's pid", lambda: pid_file.exists() and pid_file.read_text().strip(),
                    alive=child.isalive)
    return int(str(text))


def test_first_ctrl_c_stops_the_command_and_asks(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    pgid = _wait_started(child, tmp_path)
    child.send(CTRL_C)
    child.expect(r"nap was interrupted \(Ctrl-C\).*abort")
    assert not _group_alive(pgid)  # both sleeps are gone, not only the shell
    child.send(DOWN + ENTER)  # retry, [skip], abort
    child.expect_exact("Run completed — 1 step failed (continued)")
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


@pytest.mark.parametrize("command", ["run", "resume"])
def test_an_output_closed_before_the_first_step_still_ends_the_run_resumably(
        tmp_path: Path, command: str) -> None:
    """The reader is gone before the run's header is shown (`| head -1` that already left):
    the run exists by then, so it ends as any run whose output closed (exit 130, the
    ending journaled, a report), never exit 0 with the run left "running"."""
    import subprocess

    from tests.helpers import journal_events, only_run_dir, run_cli

    (tmp_path / "two.yaml").write_text(
        "id: two\ntitle: Two\nsteps:\n"
        "  - id: check\n    confirm: Go on?\n"
        f"  - id: after\n    run: echo after > {tmp_path}/after\n")
    args = ["run", str(tmp_path / "two.yaml"), "--no-input", "--report-dir", str(tmp_path / "r")]
    if command == "resume":  # a run stopped at its question, resumed into a closed output
        assert run_cli(args, cwd=tmp_path, state=tmp_path / "state").code == 2
        args = ["resume", only_run_dir(tmp_path / "state").name, "--yes"]
    proc = subprocess.Popen([sys.executable, "-m", "runbookctl", *args], cwd=tmp_path,
                            env=cli_env(tmp_path / "state"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before its first line: Python takes far longer to start
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 130, stderr
    assert "the output was closed (broken pipe); resume with: runbookctl resume " in stderr
    last = journal_events(only_run_dir(tmp_path / "state"))[-1]
    assert (last["type"], last["data"]["reason"]) == (
        "run_interrupted", "the output was closed (broken pipe)")
    assert not (tmp_path / "after").exists()


def test_a_closed_output_stops_the_run_resumably_and_leaves_no_process(tmp_path: Path) -> None:
    """`runbookctl run ... | head`: the reader leaves mid-step. The run stops as for SIGHUP
    (exit 130, resumable, report written), never as a success and never with a traceback."""
    import subprocess

    from tests.helpers import journal_events, only_run_dir

    (tmp_path / "flood.yaml").write_text(
        "id: flood\ntitle: Flood\nsteps:\n"
        f"  - id: flood\n    run: echo $$ > {tmp_path}/flood.pid; yes 'flood of output'\n"
        f"  - id: after\n    run: echo after > {tmp_path}/after\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "flood.yaml"), "--no-input",
         "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path, env=cli_env(tmp_path / "state"), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    read_until(proc.stdout, b"flood of output")  # fails, not spins, if the run died
    proc.stdout.close()  # the reader leaves
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 130
    assert "the output was closed (broken pipe); resume with: runbookctl resume " in stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    run_dir = only_run_dir(tmp_path / "state")
    last = journal_events(run_dir)[-1]
    assert (last["type"], last["data"]["reason"]) == (
        "run_interrupted", "the output was closed (broken pipe)")
    assert not (tmp_path / "after").exists()
    assert len(list((tmp_path / "r").glob("*.md"))) == 1
    shell = int((tmp_path / "flood.pid").read_text())
    assert not _group_alive(shell)  # the command's whole process group is gone
