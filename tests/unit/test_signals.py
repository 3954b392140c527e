"""Signals that stop a run: named for the record, held off while the record is
written and delivered once afterwards."""

from __future__ import annotations

import errno
import os
import signal
import termios

import pytest

from runbookctl.errors import InterruptedRun
from runbookctl.signals import (
    Signalled,
    deferred,
    describe,
    mark_stopped,
    output_gone,
    stop_on_signals,
    stopped_command,
)


@pytest.mark.parametrize(("exc", "text"), [
    (KeyboardInterrupt(), "SIGINT (Ctrl-C)"),
    (Signalled(signal.SIGTERM), "SIGTERM"),
    (BrokenPipeError(), "a closed output (broken pipe)"),
    (InterruptedRun("interrupted by SIGHUP"), "SIGHUP"),
    (RuntimeError(), "RuntimeError"),
])
def test_what_stopped_the_run_is_named(exc: BaseException, text: str) -> None:
    assert describe(exc) == text


def test_how_the_command_was_stopped_travels_on_the_exception() -> None:
    exc = KeyboardInterrupt()
    assert stopped_command(exc) is None
    mark_stopped(exc, "command stopped with SIGTERM")
    assert stopped_command(exc) == "command stopped with SIGTERM"


def test_signals_in_a_deferred_block_arrive_once_after_it() -> None:
    seen: list[int] = []
    old = signal.signal(signal.SIGHUP, lambda signum, frame: seen.append(signum))
    try:
        with deferred():
            with deferred():  # nested: only the outermost delivers
                os.kill(os.getpid(), signal.SIGHUP)
                os.kill(os.getpid(), signal.SIGHUP)
            assert seen == []
        assert seen == [signal.SIGHUP]
    finally:
        signal.signal(signal.SIGHUP, old)


def test_sigterm_stops_the_run_at_once_inside_stop_on_signals() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Signalled) as err, stop_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
    assert err.value.message == "stopped by SIGTERM" and err.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.parametrize(("exc", "gone"), [
    (OSError(errno.EIO, "Input/output error"), True),  # a closed terminal
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), True),  # `| head`
    (termios.error(errno.EIO, "Input/output error"), True),  # a session's terminal
    (OSError(errno.ENOSPC, "No space left on device"), False),
    (RuntimeError("boom"), False),
])
def test_an_output_is_gone_only_when_the_write_says_so(exc: BaseException, gone: bool) -> None:
    assert output_gone(exc) is gone
