"""Stop signals and the prompt's own event loop (prompts/prompt_loop.py), found by an
adversarial review: a signal at a second prompt, the run's handlers after prompts, Ctrl-C,
a SIGTERM as the loop closes with other threads alive. Real pseudo-terminals (pexpect),
each wait on the prompt or the command's own output."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import (
    ROOT,
    journal_events,
    only_report,
    only_run_dir,
    prompt_re,
    run_cli,
    spawn_cli,
    write,
)

pytestmark = pytest.mark.integration

ENTER = "\r"
CTRL_C = "\x03"

BOOK = """\
    id: t
    title: Prompt review
    steps:
      - id: first
        confirm: First gate?
      - id: second
        confirm: Second gate?
      - id: slow
        run: echo slow-{{ 'started' }}; test -e resumed || sleep 30
      - id: after
        run: echo after-ran
"""


def _spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    book = write(tmp_path / "t.yaml", BOOK)
    return spawn_cli(["run", str(book), "--report-dir", str(tmp_path / "r"), *args],
                     cwd=tmp_path, state=tmp_path / "state")


def _ended(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None, f"killed by signal {child.signalstatus}"
    return int(child.exitstatus)


def _interrupted_by(tmp_path: Path, reason: str, at_step: str) -> None:
    """Journal: the step and the run ended interrupted by `reason`; the report exists."""
    events = journal_events(only_run_dir(tmp_path / "state"))
    ended = [e for e in events if e["type"] == "run_interrupted"]
    assert [e["data"]["reason"] for e in ended] == [reason], events[-4:]
    stopped = [e for e in events if e["type"] == "step_interrupted"]
    assert [e["step"] for e in stopped] == [at_step]
    assert 'status: "interrupted"' in only_report(tmp_path / "r")


def _resume_completes(tmp_path: Path, answers: str) -> str:
    (tmp_path / "answers.yaml").write_text(answers)
    (tmp_path / "resumed").touch()  # `slow` does not sleep when it runs again
    again = run_cli(["resume", only_run_dir(tmp_path / "state").name, "--no-input",
                     "--answers", str(tmp_path / "answers.yaml")],
                    cwd=tmp_path, state=tmp_path / "state")
    assert again.code == 0, again.output
    return again.output


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGTERM, "SIGTERM"),
                                              (signal.SIGHUP, "SIGHUP")])
def test_a_stop_signal_at_a_second_prompt_ends_the_run_resumable(
        tmp_path: Path, signum: int, name: str) -> None:
    """The first prompt's loop gave the run its handlers back: the second prompt (a new
    loop) still takes the signal, the run journals it and writes its report."""
    child = _at_second_gate(tmp_path)
    child.kill(signum)
    assert _ended(child) == 130
    _interrupted_by(tmp_path, f"interrupted by {name}", "second")
    out = _resume_completes(tmp_path, "second: yes\n")
    assert "after-ran" in out


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGTERM, "SIGTERM"),
                                              (signal.SIGHUP, "SIGHUP")])
def test_after_prompts_a_stop_signal_during_a_command_is_the_runs_again(
        tmp_path: Path, signum: int, name: str) -> None:
    """Two prompts answered: a signal while the next command runs is handled by the run
    (the command stopped, journaled, report written), not by a loop that is gone or by
    SIG_DFL."""
    child = _at_second_gate(tmp_path)
    child.send("y")
    child.expect_exact("slow-started\r\n")  # the command's output: it runs
    child.kill(signum)
    assert _ended(child) == 130
    reason = _reason_of(tmp_path)
    assert reason.startswith(f"interrupted by {name}"), reason
    _interrupted_by(tmp_path, reason, "slow")
    out = _resume_completes(tmp_path, "slow: {resume: done}\n")
    assert "after-ran" in out


def _at_second_gate(tmp_path: Path) -> pexpect.spawn:
    """A run in a pty, its first gate answered, at its second."""
    child = _spawn(tmp_path)
    child.expect(prompt_re("First gate?"))
    child.send("y")
    child.expect(prompt_re("Second gate?"))
    return child


def _reason_of(tmp_path: Path) -> str:
    events = journal_events(only_run_dir(tmp_path / "state"))
    return str(next(e for e in events if e["type"] == "run_interrupted")["data"]["reason"])


def test_ctrl_c_at_a_second_prompt_stops_the_run_resumable(tmp_path: Path) -> None:
    child = _at_second_gate(tmp_path)
    child.send(CTRL_C)
    assert _ended(child) == 130
    _interrupted_by(tmp_path, "interrupted by SIGINT (Ctrl-C)", "second")
    _resume_completes(tmp_path, "second: yes\nslow: {resume: done}\n")


def test_ctrl_c_during_a_command_after_prompts_still_asks_then_a_skip_counts_failed(
        tmp_path: Path) -> None:
    """The first Ctrl-C after two prompt loops still stops only the command and asks; a
    skip there is a completed run with failures, exit 0 (README "Exit codes")."""
    child = _at_second_gate(tmp_path)
    child.send("y")
    child.expect_exact("slow-started\r\n")
    child.send(CTRL_C)
    child.expect_exact("slow was interrupted (Ctrl-C)")
    child.expect(prompt_re("What now?"))
    child.send("\x1b[B" + ENTER)  # retry, [skip], abort
    child.expect_exact("Run completed — 1 step failed (continued)")
    assert _ended(child) == 0
    front = only_report(tmp_path / "r").split("---\n")[1]
    assert 'failed_steps: ["slow"]' in front or "- slow" in front, front


def test_a_sigterm_at_the_note_prompt_ends_the_run_resumable(tmp_path: Path) -> None:
    """Ctrl-N opens a second, nested-in-time question (the note): a SIGTERM there is the
    run's as at any prompt."""
    child = _spawn(tmp_path)
    child.expect(prompt_re("First gate?"))
    child.send("\x0e")  # Ctrl-N
    child.expect(prompt_re("Note for the record"))
    child.kill(signal.SIGTERM)
    assert _ended(child) == 130
    _interrupted_by(tmp_path, "interrupted by SIGTERM", "first")


_WINDOW = """\
    import asyncio, os, signal, sys, threading
    from runbookctl.prompts import prompt_loop
    from runbookctl.signals import Signalled, stop_on_signals

    class Question:  # answered at once, as a person pressing y
        def __init__(self):
            self.application = self
        async def run_async(self):
            return True

    if sys.argv[1] == "thread":  # a notify hook's delivery thread, the store shipper, ssh
        threading.Thread(target=threading.Event().wait, daemon=True).start()
    real_close = asyncio.Runner.close
    def close(self):
        real_close(self)  # the loop is closed: before, it had set SIGTERM to SIG_DFL
        os.kill(os.getpid(), signal.SIGTERM)  # a SIGTERM that comes now
    asyncio.Runner.close = close
    with stop_on_signals():
        try:
            prompt_loop.ask(Question())
        except Signalled:
            print("the run's handler got it")
            sys.exit(0)
    print("the signal was lost")
    sys.exit(1)
"""


@pytest.mark.parametrize("threads", ["none", "thread"])
def test_a_sigterm_as_the_prompts_loop_closes_reaches_the_runs_handler(
        tmp_path: Path, threads: str) -> None:
    """A mask holds a signal back in the main thread only: with another thread alive
    (notify hooks, the store shipper, ssh), the kernel hands it a SIGTERM. Closing the
    loop with its handlers in it set SIG_DFL, and the whole process died: no
    run_interrupted, no report. The run's handlers now go straight back."""
    script = write(tmp_path / "window.py", _WINDOW)
    done = subprocess.run([sys.executable, str(script), threads], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "the run's handler got it\n"


FAILING = """\
    id: f
    title: Failing step
    steps:
      - id: breaks
        run: echo broke-{{ 'now' }}; exit 3
      - id: after
        run: echo after-ran
"""


def test_sigterm_at_the_failure_prompt_then_a_skip_on_resume_is_completed_with_failures(
        tmp_path: Path) -> None:
    """SIGTERM at "What now?" after a failed command: exit 130, journaled, report; resume
    asks the failure question again (answers file) and a skip there is a completed run
    with failures, exit 0 (README "Exit codes")."""
    book = write(tmp_path / "f.yaml", FAILING)
    child = spawn_cli(["run", str(book), "--report-dir", str(tmp_path / "r")],
                      cwd=tmp_path, state=tmp_path / "state")
    child.expect_exact("broke-now\r\n")
    child.expect(prompt_re("What now?"))
    child.kill(signal.SIGTERM)
    assert _ended(child) == 130
    _interrupted_by(tmp_path, "interrupted by SIGTERM", "breaks")
    out = _resume_completes(tmp_path, "breaks: {on_failure: skip}\n")
    assert "after-ran" in out
    assert "Run completed — 1 step failed (continued)" in out
    rows = run_cli(["runs", "--json"], cwd=tmp_path, state=tmp_path / "state").stdout
    assert '"failed_steps": [\n      "breaks"\n    ]' in rows, rows


def test_sigterm_at_the_resume_question_leaves_the_run_resumable(tmp_path: Path) -> None:
    """`resume` asks rerun / done / skip about a step whose command was cut short: a
    SIGTERM at that question (asked inside the run's guard) ends it interrupted again."""
    child = _at_second_gate(tmp_path)
    child.send("y")
    child.expect_exact("slow-started\r\n")
    child.kill(signal.SIGTERM)
    assert _ended(child) == 130
    run_id = only_run_dir(tmp_path / "state").name
    again = spawn_cli(["resume", run_id], cwd=tmp_path, state=tmp_path / "state")
    again.expect(prompt_re(""))  # the resume question (rerun / done / skip ...)
    again.expect_exact("rerun")
    again.kill(signal.SIGTERM)
    assert _ended(again) == 130
    events = journal_events(only_run_dir(tmp_path / "state"))
    ended = [e["data"]["reason"] for e in events if e["type"] == "run_interrupted"]
    assert len(ended) == 2 and ended[1] == "interrupted by SIGTERM", ended
    _resume_completes(tmp_path, "slow: {resume: done}\n")
