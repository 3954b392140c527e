"""A prompt's event loop: a stop signal ends the prompt and reaches the run's handler once
the loop is closed; a clean-up that fails on a closed terminal prints nothing."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import threading
from typing import Any

import pytest

from runbookctl.prompts import prompt_loop
from runbookctl.signals import Signalled, stop_on_signals


class _Question:
    """A questionary Question's shape: `application.run_async()`. Like prompt_toolkit's,
    its clean-up draws the prompt once more, which a closed terminal fails with EIO."""

    def __init__(self, answer: object = None, *, wait: bool = False) -> None:
        self.application = self
        self.answer, self.wait = answer, wait
        self.waiting = threading.Event()
        self.cleaned_up = False

    async def run_async(self) -> object:
        if not self.wait:
            return self.answer
        self.waiting.set()
        try:
            await asyncio.Event().wait()  # a person who never answers
        finally:
            self.cleaned_up = True
            raise OSError(errno.EIO, "Input/output error")
        return None  # never reached


def _send_when_waiting(question: _Question, signum: int) -> threading.Thread:
    def send() -> None:
        assert question.waiting.wait(timeout=10), "the prompt never came up"
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=send)
    thread.start()
    return thread


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_terminal_closed_at_a_prompt_stops_the_run_with_nothing_printed(
        signum: int, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    question = _Question(wait=True)
    with stop_on_signals():
        handler = signal.getsignal(signum)
        thread = _send_when_waiting(question, signum)
        with pytest.raises(Signalled) as stopped, caplog.at_level(logging.WARNING, "asyncio"):
            prompt_loop.ask(question)
        thread.join(timeout=10)
        assert signal.getsignal(signum) is handler  # the run's handler is back
    assert stopped.value.signum == signum and question.cleaned_up
    assert caplog.records == []  # no "unhandled exception during asyncio.run() shutdown"
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Task exception" not in err and err == ""


def test_an_answer_is_returned_and_the_handlers_are_put_back() -> None:
    with stop_on_signals():
        before = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGTERM)}
        assert prompt_loop.ask(_Question("yes")) == "yes"
        assert {s: signal.getsignal(s) for s in before} == before


def test_a_signal_whose_handler_only_notes_it_still_ends_the_prompt() -> None:
    seen: list[int] = []
    old = signal.signal(signal.SIGHUP, lambda signum, _frame: seen.append(signum))
    try:
        question = _Question(wait=True)
        thread = _send_when_waiting(question, signal.SIGHUP)
        with pytest.raises(Signalled):
            prompt_loop.ask(question)
        thread.join(timeout=10)
    finally:
        signal.signal(signal.SIGHUP, old)
    assert seen == [signal.SIGHUP]  # it got the signal too, once


@pytest.mark.parametrize(("exc", "shown"), [
    (OSError(errno.EIO, "Input/output error"), False),
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), False),
    (RuntimeError("boom"), True),
])
def test_the_loop_says_nothing_of_a_closed_terminal_only(
        exc: BaseException, shown: bool, caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    context: dict[str, Any] = {"message": "unhandled exception during asyncio.run() shutdown",
                               "exception": exc}
    try:
        with caplog.at_level(logging.WARNING, "asyncio"):
            prompt_loop.quiet_when_gone(loop, context)
    finally:
        loop.close()
    assert bool(caplog.records) is shown
