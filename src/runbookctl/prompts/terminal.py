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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from runbookctl.prompts.note_key import (
    NOTE,
    NOTE_HINT,
    NOTE_KEY,
    NOTE_PROMPT,
    bind_key,
    with_note_entry,
)
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

# At a confirmation, a failure or a manual check, `!` (or the menu's entry) opens a
# shell (engine/shell_escape.py); when it exits the same question is asked again.
SHELL_KEY = "!"
SHELL_LABEL = "open a shell…"
SHELL_HINT = "(! opens a shell here; exit it to come back to this question)"

from runbookctl.prompts.answers_file import (  # noqa: E402
    MANUAL_STATUSES,
    AnswersFile,
    choice_label,
    coerce_answer,
    read_answers_file,
)
from runbookctl.prompts.answers_prompter import AnswersPrompter  # noqa: E402
from runbookctl.prompts.refusing import NO_TERMINAL, RefusingPrompter  # noqa: E402

__all__ = ["NO_TERMINAL", "RefusingPrompter", "TerminalPrompter", "attach_shell", "make_prompter"]

# --- the terminal ------------------------------------------------------------


class _Shell:
    """What a question returns when `!` or the menu's shell entry was chosen."""


_SHELL = _Shell()


class TerminalPrompter:
    """Asks the person at the terminal through questionary (imported when asking)."""

    def __init__(self, operator: str, stdin_fd: int = 0, output: TextIO | None = None) -> None:
        self.operator = operator
        self.stdin_fd = stdin_fd
        self.output = output
        self._input: Any = None
        # Set once the run's journal exists (engine/planning.py): journals (step key, text).
        self.notes: Callable[[str, str], None] | None = None
        self._at = ""  # the step key of the question being asked: where a note is made
        self._hinted = False
        # Set once the run exists (engine/shell_escape.py): opens a shell at step `key`.
        self.shell: Callable[[str], object] | None = None
        self._shell_at: str | None = None  # the step whose question may open a shell now

    @property
    def interactive(self) -> bool:
        return True

    def confirm(
        self, key: str, question: str, *, dangerous: bool, no_means: str,
        detail: str | None = None, default: bool = False,
    ) -> Answer:
        self._at = key
        if detail:
            self._say(detail)
        with self._shell_offered(key):
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
            if typed.strip() == SHELL_KEY and self._shell_at is not None:
                self._open_shell()  # a step id never holds `!`: typed alone, it is the shell
                continue
            if yes_no_word(typed) is False:  # the one no vocabulary (values.NO_WORDS)
                return False
            why = "nothing typed" if not typed.strip() else f"{typed!r} is not {key!r}"
            self._say(f"{why} — type the step id to run it, or choose no ({no_means})")

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        self._at = key
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
        self._at = key
        labels = {MANUAL_DONE: "done", MANUAL_SKIPPED: "skipped (give a reason)"}
        choices = [{"name": labels.get(s, s), "value": s} for s in MANUAL_STATUSES]
        with self._shell_offered(key):
            status = self._prompt("select", f"{key}: done, skipped or failed?", choices=choices)
        note: str | None = None
        if status == MANUAL_SKIPPED:
            note = self._prompt("text", "Why is it skipped?", validate=_need_text).strip()
        elif status == MANUAL_FAILED:
            note = self._prompt("text", "What failed? (a note for the record)").strip() or None
        return self._answer(status, note)

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        self._at = key
        self._say(message)
        options = [{"name": choice_label(c), "value": c} for c in choices]
        with self._shell_offered(key):
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
        """Flush keys typed before the prompt was shown, then ask; Ctrl-C raises. A
        shell or a note asked for there is opened or taken, and the same question asked
        again."""
        while True:
            result = self._ask_once(kind, message, **kwargs)
            if result is _SHELL:
                self._open_shell()
            elif result is NOTE:
                self._take_note()
            else:
                return result

    def _ask_once(self, kind: str, message: str, **kwargs: Any) -> Any:
        import questionary

        from runbookctl.prompts import prompt_loop

        if self.notes is not None and not self._hinted:
            self._say(NOTE_HINT)
            self._hinted = True
        offer = self._shell_at is not None and kind in ("confirm", "select")
        if offer and kind == "select":
            kwargs = {**kwargs, "choices": [*kwargs["choices"],
                                            {"name": SHELL_LABEL, "value": _SHELL}]}
        if self.notes is not None:
            kwargs = with_note_entry(kind, kwargs)
        question = getattr(questionary, kind)(message, **kwargs, **self._io())
        if offer:
            bind_key(question.application, SHELL_KEY, _SHELL)
        if self.notes is not None:
            bind_key(question.application, NOTE_KEY, NOTE)
        self._flush()
        result = prompt_loop.ask(question)
        if result is None:  # questionary's "cancelled": never an answer
            raise KeyboardInterrupt
        return result

    def _take_note(self) -> None:
        """Ask for the note's text; an empty one is no note."""
        import questionary

        from runbookctl.prompts import prompt_loop

        text = prompt_loop.ask(questionary.text(NOTE_PROMPT, **self._io()))
        text = str(text or "").strip()
        if not text or self.notes is None:
            self._say("no note added")
            return
        self.notes(self._at, text)
        self._say("note added to the record")

    @contextlib.contextmanager
    def _shell_offered(self, key: str) -> Iterator[None]:
        """While the question about step `key` is asked, `!` opens a shell (when the
        run offers one): only at confirmations, failures and manual checks."""
        if self.shell is None:
            yield
            return
        self._say(SHELL_HINT)
        self._shell_at = key
        try:
            yield
        finally:
            self._shell_at = None

    def _open_shell(self) -> None:
        if self.shell is not None and self._shell_at is not None:
            self.shell(self._shell_at)

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


def attach_notes(prompter: Prompter, notes: Callable[[str, str], None]) -> bool:
    """Let the person at the terminal add notes at every question (the terminal behind an
    answers file too); False when nobody is asked (--no-input, no terminal)."""
    terminal = _terminal_of(prompter)
    if terminal is None:
        return False
    terminal.notes = notes
    return True


def attach_shell(prompter: Prompter, shell: Callable[[str], object]) -> bool:
    """Let the person at the terminal open a shell at confirmations, failures and
    manual checks (the terminal prompter, also behind an answers file); False when
    there is no terminal."""
    terminal = _terminal_of(prompter)
    if terminal is None:
        return False
    terminal.shell = shell
    return True


def _terminal_of(prompter: Prompter) -> TerminalPrompter | None:
    terminal = prompter
    while isinstance(terminal, AnswersPrompter):
        terminal = terminal.fallback
    return terminal if isinstance(terminal, TerminalPrompter) else None


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
