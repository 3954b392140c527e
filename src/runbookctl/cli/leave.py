"""Leaving the process once a command is done, without the interpreter's teardown.

At exit CPython frees every object and module one by one. After a 200-host step
that took 100-200 ms, on one core, after the report was already written: paramiko's
transports, their threads and everything the run imported. The console script
(`runbookctl`, `python -m runbookctl`) therefore ends with `leave`, which does what
the teardown does that anyone could notice, then `os._exit`:

- threads that are not daemons are waited for (threading's own exit hooks first:
  concurrent.futures tells its idle workers to stop), as the interpreter would;
- `atexit` functions run (paramiko stops its transports; logging flushes);
- stdout and stderr are flushed; a failed flush exits 120, as Python does.

Files are not left to the teardown: the journal, the report and the logs are
written, synced and closed before a command returns. `main()` itself still raises
SystemExit, so the tests and anyone embedding the app keep their interpreter.

Sockets are: a process that ends with `leave` (`ahead()` says so) lets its exit hang
up the SSH connections a run kept open, all at once, as the kernel closes them. Hung
up one by one they woke a paramiko thread each, which the GIL then ran one after the
other: 20-350 ms after a 200-host run's report, on the CPU its servers needed.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from contextlib import suppress
from typing import NoReturn

# Python's exit status when flushing stdout fails at exit (Py_FinalizeEx).
FLUSH_FAILED = 120

# Set by the console script before the command runs (cli/app.py:entry).
_AHEAD = [False]


def expect() -> None:
    """Say that this process ends with `leave`."""
    _AHEAD[0] = True


def ahead() -> bool:
    """Whether this process ends with `leave`: what its exit closes need not be closed
    before (an embedder's or a test's interpreter goes on: for them, False)."""
    return _AHEAD[0]


def exit_status(code: object) -> int:
    """The status `raise SystemExit(code)` ends a process with: None is 0, an int is
    itself, anything else is printed on stderr and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code % 256
    print(code, file=sys.stderr)
    return 1


def wind_down() -> None:
    """What the interpreter's exit does that matters here: its thread hooks and the
    join of non-daemon threads, then the atexit functions."""
    shutdown = getattr(threading, "_shutdown", None)  # CPython: hooks, then joins
    if shutdown is not None:
        with suppress(KeyboardInterrupt):  # as CPython: the wait is given up, the status stands
            shutdown()
    else:  # pragma: no cover - other interpreters
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
    atexit._run_exitfuncs()


def flushed(status: int) -> int:
    """`status`, or FLUSH_FAILED if stdout or stderr cannot be flushed."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            status = status or FLUSH_FAILED
    return status


def leave(code: object) -> NoReturn:
    """End the process with `code` (as SystemExit would) without the teardown."""
    status = exit_status(code)
    wind_down()
    os._exit(flushed(status))
