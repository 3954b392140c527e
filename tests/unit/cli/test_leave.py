"""Leaving the process without the interpreter's teardown: the exit status SystemExit
would give, output flushed, non-daemon threads and atexit functions still run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runbookctl.cli.leave import FLUSH_FAILED, exit_status, flushed


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), (2, 2), (256, 0),
                                             (-1, 255), (True, 1)])
def test_the_status_is_the_one_system_exit_gives(code: object, status: int) -> None:
    assert exit_status(code) == status
    assert subprocess.run([sys.executable, "-c", f"raise SystemExit({code!r})"]
                          ).returncode == status


def test_a_message_is_printed_on_stderr_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status("no such runbook") == 1
    assert capsys.readouterr().err == "no such runbook\n"


class _Broken(io.StringIO):
    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_failed_flush_exits_120_unless_the_status_already_says_failure(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _Broken())
    assert flushed(0) == FLUSH_FAILED == 120
    assert flushed(4) == 4
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert flushed(0) == 0


LEAVER = textwrap.dedent("""\
    import atexit, sys, threading
    from pathlib import Path
    from runbookctl.cli.leave import leave
    out = Path(sys.argv[1])
    started = threading.Event()
    go = threading.Event()

    def late_writer():
        started.set()
        go.wait(60)
        (out / "thread").write_text("done")

    def at_exit():
        # the interpreter joins non-daemon threads before its atexit functions
        (out / "atexit").write_text("after thread: " + str((out / "thread").exists()))

    atexit.register(at_exit)
    threading.Thread(target=late_writer).start()
    threading.Thread(target=threading.Event().wait, daemon=True).start()  # never ends
    started.wait(60)
    for i in range(100000):
        print(f"line {i}")
    go.set()
    leave(7)
    """)


def test_leave_runs_what_the_teardown_would_and_loses_no_output(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", LEAVER, str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 7, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 100000 and lines[-1] == "line 99999"
    assert (tmp_path / "thread").read_text() == "done"
    assert (tmp_path / "atexit").read_text() == "after thread: True"


def test_output_to_a_closed_pipe_exits_120_without_a_traceback() -> None:
    script = ("import sys\nfrom runbookctl.cli.leave import leave\n"
              "print('ready', file=sys.stderr, flush=True)\nsys.stdin.readline()\n"
              "print('buffered')\nleave(0)\n")  # the reader is gone before the flush
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    assert proc.stderr.readline() == b"ready\n"
    proc.stdout.close()
    proc.stdin.write(b"go\n")
    proc.stdin.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == FLUSH_FAILED
    assert b"Traceback" not in err


def test_ctrl_c_while_threads_are_waited_for_keeps_the_status(tmp_path: Path) -> None:
    """The interrupt lands inside the wait for threads (threading's own exit hook sends
    it): the wait is given up, atexit functions still run, the status stands."""
    script = textwrap.dedent("""\
        import atexit, os, signal, sys, threading
        from pathlib import Path
        from runbookctl.cli.leave import leave
        threading.Thread(target=threading.Event().wait, args=(60,)).start()  # not a daemon
        threading._register_atexit(lambda: os.kill(os.getpid(), signal.SIGINT))
        atexit.register(lambda: Path(sys.argv[1]).write_text("ran"))
        leave(5)
        """)
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "atexit")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 5, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "atexit").read_text() == "ran"
