"""Asks scripted questions through the real prompters, for test_prompts_pty.py.

Usage: prompt_driver.py MODE. Each answer is printed as `ANSWER {json}`.
Exit 130 on KeyboardInterrupt, 2 on NoAnswerError (with the message).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

from runbookctl.errors import NoAnswerError
from runbookctl.prompts.protocol import Answer, Prompter
from runbookctl.prompts.terminal import TerminalPrompter, make_prompter
from runbookctl.runbook.model import InputSpec


def show(answer: Answer) -> None:
    print("ANSWER " + json.dumps(dataclasses.asdict(answer)), flush=True)


def sequence(p: Prompter) -> None:
    show(p.confirm("restart", "Restart the worker?", dangerous=False, no_means="skip this step",
                   detail="$ restart worker"))
    show(p.confirm("kill-queries", "Terminate 3 queries?", dangerous=True, no_means="skip this step"))
    show(p.ask("workers", "How many workers?", InputSpec(name="workers", type="int", default=4)))
    envs = ("staging", "production", "dev")
    show(p.ask("env", "Which environment?", InputSpec(name="env", type="choice", choices=envs)))
    show(p.manual("sentry", "Check the error rate in Sentry."))
    show(p.on_failure("ready", "ready failed: exit 1", ["retry", "skip", "abort", "goto:db-down"]))


def dangerous(p: Prompter) -> None:
    show(p.confirm("kill-queries", "Terminate 3 queries?", dangerous=True, no_means="skip this step"))


def gate(p: Prompter) -> None:
    show(p.confirm("restart", "Restart the worker?", dangerous=False, no_means="skip this step"))


def typeahead(p: Prompter) -> None:
    print("RUNNING a command", flush=True)
    wait_typed_ahead(2)  # keys typed while the "command" runs must not answer the next prompt
    gate(p)
    show(p.confirm("second", "Second gate?", dangerous=False, no_means="skip this step"))


def wait_typed_ahead(count: int, deadline: float = 10.0) -> None:
    """Stand in for a running command until `count` typed keys wait unread on the terminal:
    the keys themselves, not a sleep that a slow test machine could outlast."""
    import fcntl
    import struct
    import termios

    end = time.monotonic() + deadline
    while struct.unpack("i", fcntl.ioctl(0, termios.FIONREAD, b"\0" * 4))[0] < count:
        if time.monotonic() > end:
            raise SystemExit(f"no {count} keys typed ahead within {deadline:g}s")
        time.sleep(0.01)


def notes(p: Prompter) -> None:
    """Every kind of question, with notes taken (printed as `NOTE [key, text]`)."""
    assert isinstance(p, TerminalPrompter)
    p.notes = lambda key, text: print("NOTE " + json.dumps([key, text]), flush=True)
    gate(p)
    dangerous(p)
    show(p.ask("workers", "How many workers?", InputSpec(name="workers", type="int", default=4)))
    show(p.manual("sentry", "Check the error rate in Sentry."))
    show(p.on_failure("ready", "ready failed: exit 1", ["retry", "skip", "abort"]))


def made(p: Prompter) -> None:
    print(f"PROMPTER {type(p).__name__}", flush=True)
    gate(p)


def main() -> int:
    mode = sys.argv[1]
    if mode == "make":
        prompter = make_prompter(operator="alice", answers_path=None, yes=False, no_input=False)
    else:
        prompter = TerminalPrompter("alice")
    modes = {"sequence": sequence, "gate": gate, "dangerous": dangerous}
    modes |= {"typeahead": typeahead, "make": made, "notes": notes}
    try:
        modes[mode](prompter)
    except KeyboardInterrupt:
        print("interrupted: KeyboardInterrupt", flush=True)
        return 130
    except NoAnswerError as exc:
        print(f"NoAnswerError: {exc.message}", flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
