"""A command that runbookctl stopped itself (Ctrl-C, SIGTERM) is recorded as interrupted,
with the signal and how the command was stopped — never as "unknown", never a Python None
in the report — and resume offers rerun/done/failed/skip for it as a known interrupted step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import cli_env, journal_events, only_report, only_run_dir, run_cli
from tests.integration.test_interrupts import RUNBOOK
from tests.waiting import group_alive, wait_event, wait_for

pytestmark = pytest.mark.integration

def _start(tmp_path: Path) -> subprocess.Popen[str]:
    (tmp_path / "sleepy.yaml").write_text(RUNBOOK.format(out=tmp_path))
    return subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "sleepy.yaml"), "--no-input",
         "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path, env=cli_env(tmp_path / "state"), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _running_pgid(tmp_path: Path, proc: subprocess.Popen[str]) -> int:
    pid_file = tmp_path / "nap.pid"
    text = wait_for("the command's pid", lambda: pid_file.exists() and pid_file.read_text().strip(),
                    alive=lambda: proc.poll() is None)
    return int(str(text))


@pytest.mark.parametrize(("sig", "by"), [
    (signal.SIGINT, "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM"),
    (signal.SIGTERM, "interrupted by SIGTERM; command stopped with SIGTERM"),
    (signal.SIGHUP, "interrupted by SIGHUP; command stopped with SIGTERM"),
])
def test_a_stopped_command_is_recorded_as_interrupted_with_the_signal(
        tmp_path: Path, sig: signal.Signals, by: str) -> None:
    proc = _start(tmp_path)
    pgid = _running_pgid(tmp_path, proc)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert not group_alive(pgid)
    events = journal_events(only_run_dir(tmp_path / "state"))
    stop = next(e for e in events if e["type"] == "step_interrupted")
    assert (stop["step"], stop["data"]["reason"], stop["data"]["command_stopped"]) == (
        "nap", by, True)
    assert events[-1]["type"] == "run_interrupted"
    report = only_report(tmp_path / "r")
    assert "None" not in report
    assert "no end recorded" not in report
    assert f"| nap | command {by} |" in report  # the timeline names the step by its title
    assert "**Status:** interrupted — " + by in report



SAID = """id: said
title: Said something
steps:
  - id: talk
    run: echo said-before-the-stop; echo $$ > {out}/nap.pid; sleep 60
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_what_a_stopped_command_printed_stays_in_the_record(
        tmp_path: Path, sig: signal.Signals) -> None:
    """A signal that stops the run mid-command keeps the command's output in its record:
    bytes, tail and log in command_finished, and the report shows them (not "0 bytes")."""
    (tmp_path / "said.yaml").write_text(SAID.format(out=tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "said.yaml"), "--no-input",
         "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path, env=cli_env(tmp_path / "state"), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _running_pgid(tmp_path, proc)
    run_dir = wait_for("the run folder", lambda: only_run_dir(tmp_path / "state")
                       if (tmp_path / "state" / "runs").is_dir() else None)
    log = run_dir / "logs" / "0001-talk.log"
    wait_for("the output in the log", lambda: log.is_file() and "said-before" in log.read_text(),
             alive=lambda: proc.poll() is None)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    finished = next(e for e in journal_events(run_dir) if e["type"] == "command_finished")
    host = finished["data"]["hosts"][0]
    assert (host["bytes"], host["tail"], host["log"]) == (
        len("said-before-the-stop\n"), "said-before-the-stop\n", str(log))
    assert host["duration"] > 0 and host["interrupted"] and host["exit_code"] is None
    report = only_report(tmp_path / "r")
    assert "no output, no log" not in report
    assert f"21 bytes · sha256 {host['sha256'][:12]} · full log <code>{log}</code>" in report
    assert "said-before-the-stop</pre>" in report

def test_resume_calls_it_interrupted_not_unknown_and_takes_the_answer(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    _running_pgid(tmp_path, proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    state = tmp_path / "state"
    run_id = only_run_dir(state).name
    asked = run_cli(["resume", run_id, "--no-input"], tmp_path, state)
    assert asked.code == 2, asked.output
    assert ("nap was interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM. Add "
            '"nap: {resume: rerun | done | failed | skip}" to an answers file') in asked.output
    assert "unknown" not in asked.output
    (tmp_path / "answers.yaml").write_text("nap: {resume: skip}\n")
    done = run_cli(["resume", run_id, "--answers", str(tmp_path / "answers.yaml")], tmp_path, state)
    assert done.code == 0, done.output
    assert (tmp_path / "after").read_text() == "after\n"  # once
    report = only_report(tmp_path / "r")
    assert "None" not in report and "no end recorded" not in report
    assert "What now? → skip (answers-file); skipped: marked skip on resume |" in report


def test_ctrl_c_in_a_terminal_then_ctrl_c_at_the_question(tmp_path: Path) -> None:
    """First Ctrl-C stops the command and asks; a second one at the question stops the run.
    The record says the command was stopped, and resume knows the step was interrupted."""
    (tmp_path / "sleepy.yaml").write_text(RUNBOOK.format(out=tmp_path))
    env = cli_env(tmp_path / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(sys.executable, ["-m", "runbookctl", "run", str(tmp_path / "sleepy.yaml"),
                                           "--report-dir", str(tmp_path / "r")],
                          cwd=str(tmp_path), env=env, dimensions=(40, 120), timeout=30,
                          encoding="utf-8")
    pid_file = tmp_path / "nap.pid"
    wait_for("the command's pid", lambda: pid_file.exists() and pid_file.read_text().strip(),
             alive=child.isalive)
    wait_event(tmp_path / "state", "command_process", "nap")
    child.sendintr()
    child.expect(r"nap was interrupted \(Ctrl-C\).*abort")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    report = only_report(tmp_path / "r")
    assert "None" not in report and "no end recorded" not in report
    assert ("| nap | command interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM |"
            in report)
    run_id = only_run_dir(tmp_path / "state").name
    asked = run_cli(["resume", run_id, "--no-input"], tmp_path, tmp_path / "state")
    assert asked.code == 2
    assert "nap was interrupted by SIGINT (Ctrl-C). Add \"nap: {resume:" in asked.output
    assert os.path.exists(tmp_path / "nap.pid")


BETWEEN = """id: between
title: Stopped between attempts
steps:
  - id: wait
    run: echo not yet >> {out}/log; exit 1
{policy}
  - id: after
    run: echo after >> {out}/log
"""


@pytest.mark.parametrize("policy", [
    "    until: result.stdout == 'never'\n    every: 300s\n    within: 900s",
    "    retries: 2\n    retry_delay: 300s",
], ids=["until", "retries"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopped_between_attempts_resumes_as_interrupted_not_failed(
        tmp_path: Path, policy: str, sig: signal.Signals) -> None:
    """Ctrl-C (or SIGTERM) while a polling / retried step waits for its next attempt: the
    step had not failed (more attempts were due), so resume asks rerun/done/failed/skip
    about an interrupted step — it asked the 'step failed' question ('wait failed: exit
    code 1'), as if the step had run out of attempts."""
    (tmp_path / "rb.yaml").write_text(BETWEEN.format(out=tmp_path, policy=policy))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "rb.yaml"), "--no-input",
         "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path, env=cli_env(tmp_path / "state"), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_event(tmp_path / "state", "command_finished", "wait", alive=lambda: proc.poll() is None)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    asked = run_cli(["resume", "--no-input"], cwd=tmp_path, state=tmp_path / "state")
    assert asked.code == 2, asked.output
    assert 'Add "wait: {resume: rerun | done | failed | skip}"' in asked.output
    assert "wait failed" not in asked.output and "on_failure" not in asked.output
    (tmp_path / "done.yaml").write_text("wait: {resume: done}\n")
    done = run_cli(["resume", "--no-input", "--answers", str(tmp_path / "done.yaml")],
                   cwd=tmp_path, state=tmp_path / "state")
    assert done.code == 0, done.output
    assert (tmp_path / "log").read_text().split("\n")[:-1] == ["not yet", "after"]
