"""Signals that stop a run: naming them for the record, and holding them off
while the record is being written (a run must leave a complete, consistent
journal and report whenever it is stopped, even by a second signal)."""

from __future__ import annotations

import errno
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from runbookctl.errors import InterruptedRun

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# What writing to an output nobody reads any more fails with: a pipe whose reader left
# (`| head`), a terminal that was closed (EIO: its ssh session or window is gone) — the
# write's side of a SIGHUP.
CLOSED = frozenset({errno.EPIPE, errno.EIO, errno.ENXIO})
_depth = 0  # nesting of deferred(): only the outermost swaps the handlers


class Signalled(InterruptedRun):
    """SIGTERM or SIGHUP stopped the run; `signum` says which."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


def describe(exc: BaseException) -> str:
    """What stopped the run, for the record: "SIGINT (Ctrl-C)", "SIGTERM", ..."""
    if isinstance(exc, KeyboardInterrupt):
        return "SIGINT (Ctrl-C)"
    if isinstance(exc, Signalled):
        return signal.Signals(exc.signum).name
    if isinstance(exc, BrokenPipeError):
        return "a closed output (broken pipe)"
    message = str(getattr(exc, "message", "") or exc)
    # engine.decide_interrupt's InterruptedRun already says "interrupted by ...".
    return message.removeprefix("interrupted by ") or type(exc).__name__


def stopped_command(exc: BaseException) -> str | None:
    """How an executor stopped the running command before `exc` left it (see mark_stopped)."""
    value = getattr(exc, "runbookctl_command_stopped", None)
    return value if isinstance(value, str) else None


def mark_stopped(exc: BaseException, how: str) -> None:
    """Tell the engine that the command was stopped (its process group is gone): `how`
    is e.g. "command stopped with SIGTERM"."""
    exc.runbookctl_command_stopped = how  # type: ignore[attr-defined]


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends, then deliver them.

    Handlers are swapped for ones that only note the signal (a process-wide
    signal mask would not do: with threads, another thread takes the signal and
    Python still runs the handler in the main thread). No-op outside the main thread.
    """
    global _depth
    if _depth or threading.current_thread() is not threading.main_thread():
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    pending: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        pending.append(signum)

    _depth += 1
    old: dict[signal.Signals, Any] = {}
    try:
        for sig in STOP_SIGNALS:
            old[sig] = signal.signal(sig, note)
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        _depth -= 1
        for signum in dict.fromkeys(pending):  # once each: the run stops at the first
            signal.raise_signal(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the run at once (raising Signalled), like a second Ctrl-C."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Signalled(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def output_gone(exc: BaseException) -> bool:
    """Whether `exc` says the output or the terminal is gone: CLOSED from a write, or from
    termios (an interactive session's terminal, closed under it)."""
    import termios

    code = exc.errno if isinstance(exc, OSError) else (
        exc.args[0] if isinstance(exc, termios.error) and exc.args else None)
    return code in CLOSED
