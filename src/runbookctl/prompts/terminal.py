"""Prompters: the terminal (questionary), the answers file (+ --yes), and refusal.

`make_prompter` builds the chain. It fails closed: a person is asked only when
stdin is a terminal in the foreground, stdout is a terminal and --no-input is
not given; otherwise every prompt needs an explicit answer or stops the run.
"""

from __future__ import annotations

import contextlib
import os
import sys
import termios
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from runbookctl.errors import NoAnswerError
from runbookctl.prompts.protocol import (
    MANUAL_DONE,
    MANUAL_FAILED,
    MANUAL_SKIPPED,
    ORIGIN_TERMINAL,
    Answer,
    Prompter,
)
from runbookctl.runbook.model import InputSpec
from runbookctl.runbook.values import yes_no_word

NO_TERMINAL = "no terminal to ask (--no-input or stdin is not a terminal)"

from runbookctl.prompts.answers_file import (  # noqa: E402
    MANUAL_STATUSES,
    AnswersFile,
    choice_label,
    choice_words,
    coerce_answer,
    read_answers_file,
)
from runbookctl.prompts.answers_prompter import AnswersPrompter  # noqa: E402

# --- refusal -----------------------------------------------------------------


class RefusingPrompter:
    """No one to ask: every prompt raises NoAnswerError naming the step and answers key."""

    def __init__(self, reason: str = NO_TERMINAL) -> None:
        self.reason = reason

    @property
    def interactive(self) -> bool:
        return False

    def confirm(
        self, key: str, question: str, *, dangerous: bool, no_means: str,
        detail: str | None = None, default: bool = False,
    ) -> Answer:
        extra = " (--yes does not answer dangerous steps)" if dangerous else ""
        what = f"confirm: {_quote(question)}; no: {no_means}"
        raise self._refuse(key, what, f"{key}: yes|no", extra)

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        value = " | ".join(spec.choices) if spec.type == "choice" else "<value>"
        value = "yes|no" if spec.type == "bool" else value
        if spec.type == "action_items":
            value = '[{action: ..., owner: ..., due: ..., ticket: ...}]  (or "none")'

        raise self._refuse(key, f"ask: {_quote(question)}", f"{key}: {value}")

    def manual(self, key: str, text: str) -> Answer:
        hint = f"{key}: done | skipped | failed"
        raise self._refuse(key, f"manual: {_quote(text)}", hint)

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        hint = f"{key}: {{on_failure: {choice_words(choices)}}}"
        raise self._refuse(key, f"step failed: {_quote(message)}", hint)

    def resume_answer(self, key: str) -> Answer | None:
        return None

    def on_resume(self, key: str, question: str, choices: Sequence[str]) -> Answer:
        hint = f"{key}: {{resume: {' | '.join(choices)}}}"
        raise self._refuse(key, f"resume: {_quote(question)}", hint)

    def hand_over(self, key: str, command: str) -> Answer:
        raise NoAnswerError(
            f"step '{key}' is interactive (it needs a terminal: {_quote(command)}): "
            f"{self.reason}. Add \"{key}: {{session: skip}}\" to an answers file (--answers "
            f"FILE) to skip it, or run it at a terminal."
        )

    def secret(self, key: str, prompt: str) -> str:
        """`key` is the environment variable that provides the secret."""
        raise NoAnswerError(
            f"secret {key} needs a value ({_quote(prompt)}): {self.reason}. "
            f"Set the environment variable {key}."
        )

    def _refuse(self, key: str, what: str, hint: str, extra: str = "") -> NoAnswerError:
        return NoAnswerError(
            f"step '{key}' needs an answer ({what}): {self.reason}. "
            f'Add "{hint}" to an answers file (--answers FILE){extra}.'
        )


def _quote(text: str, limit: int = 80) -> str:
    lines = text.strip().splitlines() or [""]
    first = lines[0]
    if len(first) > limit or len(lines) > 1:
        first = first[:limit].rstrip() + "…"
    return f'"{first}"'


# --- the terminal ------------------------------------------------------------


class TerminalPrompter:
    """Asks the person at the terminal through questionary (imported when asking)."""

    def __init__(self, operator: str, stdin_fd: int = 0, output: TextIO | None = None) -> None:
        self.operator = operator
        self.stdin_fd = stdin_fd
        self.output = output
        self._input: Any = None

    @property
    def interactive(self) -> bool:
        return True

    def confirm(
        self, key: str, question: str, *, dangerous: bool, no_means: str,
        detail: str | None = None, default: bool = False,
    ) -> Answer:
        if detail:
            self._say(detail)
        if not dangerous:
            return self._answer(self._yes(with_no_means(question, no_means), default=default))
        self._say(f"{question}\nThis step is dangerous.")
        return self._answer(self._typed_step_id(key, no_means))

    def _typed_step_id(self, key: str, no_means: str) -> bool:
        """Yes only for the exact step id, no only for an explicit no: anything else is a
        slip of the fingers, not an answer, and is asked again (Ctrl-C still interrupts)."""
        while True:
            typed = str(self._prompt("text", f"Type the step id '{key}' to run it, "
                                             f"or no (no: {no_means}):"))
            if typed == key:
                return True
            if yes_no_word(typed) is False:  # the one no vocabulary (values.NO_WORDS)
                return False
            why = "nothing typed" if not typed.strip() else f"{typed!r} is not {key!r}"
            self._say(f"{why} — type the step id to run it, or choose no ({no_means})")

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        if spec.help:
            self._say(spec.help)
        if spec.type == "action_items":
            return self._answer(self._action_items(question))
        if spec.type == "bool":
            raw = self._yes(question, default=spec.default is True)
        elif spec.type == "choice":
            default = spec.default if spec.default in spec.choices else None
            raw = self._prompt("select", question, choices=list(spec.choices), default=default)
        else:
            kind = "password" if spec.secret else "text"
            default_text = "" if spec.default is None else str(spec.default)
            raw = self._prompt(kind, question, default=default_text, validate=_validator(spec))
        return self._answer(coerce_answer(spec, raw))

    def manual(self, key: str, text: str) -> Answer:
        # `text` is already on screen: the engine shows each instruction in a box first.
        labels = {MANUAL_DONE: "done", MANUAL_SKIPPED: "skipped (give a reason)"}
        choices = [{"name": labels.get(s, s), "value": s} for s in MANUAL_STATUSES]
        status = self._prompt("select", f"{key}: done, skipped or failed?", choices=choices)
        note: str | None = None
        if status == MANUAL_SKIPPED:
            note = self._prompt("text", "Why is it skipped?", validate=_need_text).strip()
        elif status == MANUAL_FAILED:
            note = self._prompt("text", "What failed? (a note for the record)").strip() or None
        return self._answer(status, note)

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        self._say(message)
        options = [{"name": choice_label(c), "value": c} for c in choices]
        return self._answer(self._prompt("select", "What now?", choices=options))

    def resume_answer(self, key: str) -> Answer | None:
        return None  # nothing written: asked (on_resume)

    def on_resume(self, key: str, question: str, choices: Sequence[str]) -> Answer:
        return self.on_failure(key, question, choices)

    def secret(self, key: str, prompt: str) -> str:
        return str(self._prompt("password", prompt))

    def hand_over(self, key: str, command: str) -> Answer:
        return self._answer("run")  # the operator is at the terminal the program gets

    def choose(self, question: str, options: Sequence[tuple[str, str]]) -> str:
        """One of `options` (label, value): not an answer to a step, so not recorded."""
        choices = [{"name": label, "value": value} for label, value in options]
        return str(self._prompt("select", question, choices=choices))

    def _action_items(self, question: str) -> list[dict[str, str]]:
        """One item at a time: what, who, by when, which ticket; an empty action ends."""
        self._say(question)
        items: list[dict[str, str]] = []
        while True:
            n = len(items) + 1
            action = str(self._prompt("text", f"Action item {n} — what is to be done? "
                                      "(empty: no more items)")).strip()
            if not action:
                return items
            item = {"action": action,
                    "owner": str(self._prompt("text", f"Action item {n} — owner?",
                                              validate=_need_owner)).strip(),
                    "due": str(self._prompt("text", f"Action item {n} — due date "
                                            "(e.g. 2026-12-15)?")).strip(),
                    "ticket": str(self._prompt("text", f"Action item {n} — ticket "
                                               "(link or id, optional)?")).strip()}
            items.append({k: v for k, v in item.items() if v})

    def _yes(self, question: str, default: bool) -> bool:
        # One key: y or n answers at once (questionary's auto_enter), Enter takes the
        # default. Only a real True is a yes: Esc+Enter makes prompt_toolkit return
        # the empty buffer.
        return self._prompt("confirm", question, default=default, auto_enter=True) is True

    def _prompt(self, kind: str, message: str, **kwargs: Any) -> Any:
        """Flush keys typed before the prompt was shown, then ask; Ctrl-C raises."""
        import questionary

        question = getattr(questionary, kind)(message, **kwargs, **self._io())
        self._flush()
        result = question.unsafe_ask()
        if result is None:  # questionary's "cancelled": never an answer
            raise KeyboardInterrupt
        return result

    def _flush(self) -> None:
        from prompt_toolkit.input.typeahead import clear_typeahead

        # Not a terminal: nothing a person typed ahead can be queued.
        with contextlib.suppress(termios.error, OSError):
            termios.tcflush(self.stdin_fd, termios.TCIFLUSH)
        # prompt_toolkit keeps keys read after the last prompt ended for the next one.
        clear_typeahead(self._io()["input"])

    def _io(self) -> dict[str, Any]:
        if self._input is None:
            from prompt_toolkit.input import create_input

            stdin = sys.stdin if self.stdin_fd == 0 else open(self.stdin_fd, closefd=False)  # noqa: SIM115
            self._input = create_input(stdin)
        io: dict[str, Any] = {"input": self._input}
        if self.output is not None:
            from prompt_toolkit.output import create_output

            io["output"] = create_output(self.output)
        return io

    def _say(self, text: str) -> None:
        out = self.output or sys.stdout
        out.write(text.rstrip("\n") + "\n")
        out.flush()

    def _answer(self, value: object, note: str | None = None) -> Answer:
        return Answer(value, ORIGIN_TERMINAL, self.operator, note)


def with_no_means(question: str, no_means: str) -> str:
    """The question with what a no does at the end of its first line."""
    first, sep, rest = question.partition("\n")
    return f"{first.rstrip()} (no: {no_means}){sep}{rest}"


def _need_text(text: str) -> bool | str:
    return bool(text.strip()) or "a reason is required"


def _need_owner(text: str) -> bool | str:
    return bool(text.strip()) or "an action item needs an owner"


def _validator(spec: InputSpec) -> Any:
    def check(text: str) -> bool | str:
        try:
            coerce_answer(spec, text)
        except ValueError as exc:
            return str(exc)
        return True

    return check


# --- choosing the chain ------------------------------------------------------


def is_foreground_tty(fd: int) -> bool:
    """Whether `fd` is a terminal whose foreground process group is ours."""
    try:
        return os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:  # not our controlling terminal
        return False


def make_prompter(
    *,
    operator: str,
    answers_path: Path | None,
    yes: bool,
    no_input: bool,
    stdin_isatty: bool | None = None,
    stdout_isatty: bool | None = None,
) -> Prompter:
    """The prompter chain for a run: [answers file / --yes] -> terminal or refusal.

    The terminal is used only when both ends are terminals, stdin's is in the
    foreground (checked here whatever `stdin_isatty` says) and not `no_input`.
    """
    reason = _no_terminal_reason(no_input, stdin_isatty, stdout_isatty)
    base: Prompter = RefusingPrompter(reason) if reason else TerminalPrompter(operator)
    if answers_path is None and not yes:
        return base
    answers = AnswersFile.from_data({}) if answers_path is None else read_answers_file(answers_path)
    return AnswersPrompter(answers, yes, base, operator=operator)


def _no_terminal_reason(
    no_input: bool, stdin_isatty: bool | None, stdout_isatty: bool | None
) -> str | None:
    if no_input:
        return "no terminal to ask (--no-input)"
    if stdin_isatty is False or not os.isatty(0):
        return "no terminal to ask (stdin is not a terminal)"
    if stdout_isatty is False or (stdout_isatty is None and not os.isatty(1)):
        return "no terminal to ask (stdout is not a terminal)"
    if not is_foreground_tty(0):
        return "no terminal to ask (the run is in the background)"
    return None
