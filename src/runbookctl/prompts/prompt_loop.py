"""The event loop a terminal prompt runs on: questionary's `unsafe_ask` on a loop of our
own, which a closed terminal stops cleanly, with nothing on stderr but the run's own
message.

When the terminal closes under a prompt, SIGHUP arrives while prompt_toolkit's loop
waits in select(). The run's handler (signals.py:stop_on_signals) raising there left
asyncio.run to cancel prompt_toolkit's task on the way out; the task's clean-up drew
the prompt once more, on the closed terminal, failed with EIO, and asyncio's default
exception handler printed that as a traceback ("unhandled exception during asyncio.run()
shutdown"). Here the loop takes SIGTERM and SIGHUP itself: it cancels the prompt, and
once the loop is closed and the run's handlers are back, the signal is raised again for
them — the run stops as it would anywhere else. A failure that only says the terminal
is gone (signals.py:output_gone) is not printed by the loop: the run ends for it,
interrupted and resumable, and says so; any other is reported as by default.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from runbookctl.signals import Signalled, output_gone

_STOPS = (signal.SIGTERM, signal.SIGHUP)


def ask(question: Any) -> Any:
    """What `question.unsafe_ask()` returns (a questionary Question). A stop signal that
    came meanwhile is raised again once the prompt is gone: the run's handler raises
    Signalled; a handler that only took note of it gets it, and Signalled is raised."""
    old = _handlers()
    heard: list[int] = []
    runner = asyncio.Runner()  # what asyncio.run uses, with our handlers set
    try:
        loop = runner.get_loop()
        loop.set_exception_handler(quiet_when_gone)
        for signum in old:
            loop.add_signal_handler(signum, _stop, loop, heard, signum)
        return runner.run(question.application.run_async())
    finally:
        with _blocked(old):  # blocked in this thread only: another may still take one
            _give_back(runner, old)
            runner.close()
        for signum in dict.fromkeys(heard):
            signal.raise_signal(signum)
        if heard:
            raise Signalled(heard[0])


def _give_back(runner: asyncio.Runner, old: dict[int, Any]) -> None:
    """The run's handlers back, straight from the loop's: closing the loop with them
    still in it set SIG_DFL first, and a signal the kernel gave another thread then (the
    notify, store or ssh threads) ended the process with no journal ending and no report.
    Taken out of the loop's table, they are not reset by close(); the wakeup fd goes as
    asyncio's remove_signal_handler lets it go."""
    loop = runner.get_loop()
    table = getattr(loop, "_signal_handlers", None)
    for signum, handler in old.items():
        signal.signal(signum, handler)
        if isinstance(table, dict):
            table.pop(signum, None)
    if old and isinstance(table, dict) and not table:  # only the main thread set one
        signal.set_wakeup_fd(-1)


def quiet_when_gone(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loop's exception handler: nothing for a closed terminal, else the default."""
    exc = context.get("exception")
    if isinstance(exc, BaseException) and output_gone(exc):
        return
    loop.default_exception_handler(context)


def _handlers() -> dict[int, Any]:
    """The stop signals the loop takes while it asks, each with the handler to put back:
    none off the main thread (only it gets signals), none ignored (`nohup`) or not set
    from Python."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    found = {signum: signal.getsignal(signum) for signum in _STOPS}
    return {signum: h for signum, h in found.items() if h is not None and h != signal.SIG_IGN}


def _stop(loop: asyncio.AbstractEventLoop, heard: list[int], signum: int) -> None:
    """A stop signal at the prompt: end the prompt (its task cancelled) and remember it."""
    heard.append(signum)
    for task in asyncio.all_tasks(loop):
        task.cancel()


@contextmanager
def _blocked(signals: dict[int, Any]) -> Iterator[None]:
    """Hold `signals` back (delivered when this ends), around a swap of their handlers."""
    if not signals:
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
