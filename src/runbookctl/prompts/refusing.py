"""The prompter for a run nobody can be asked in (--no-input, no terminal): every
question stops the run (NoAnswerError, exit 2, resumable) and says what to write
in an answers file instead (docs/answers-file.md)."""

from __future__ import annotations

from collections.abc import Sequence

from runbookctl.errors import NoAnswerError
from runbookctl.prompts.answers_file import choice_words
from runbookctl.prompts.protocol import Answer
from runbookctl.runbook.model import InputSpec

NO_TERMINAL = "no terminal to ask (--no-input or stdin is not a terminal)"


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
        what = f"confirm: {quote(question)}; no: {no_means}"
        raise self._refuse(key, what, f"{key}: yes|no", extra)

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        value = " | ".join(spec.choices) if spec.type == "choice" else "<value>"
        value = "yes|no" if spec.type == "bool" else value
        if spec.type == "action_items":
            value = '[{action: ..., owner: ..., due: ..., ticket: ...}]  (or "none")'

        raise self._refuse(key, f"ask: {quote(question)}", f"{key}: {value}")

    def manual(self, key: str, text: str) -> Answer:
        hint = f"{key}: done | skipped | failed"
        raise self._refuse(key, f"manual: {quote(text)}", hint)

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        hint = f"{key}: {{on_failure: {choice_words(choices)}}}"
        raise self._refuse(key, f"step failed: {quote(message)}", hint)

    def resume_answer(self, key: str) -> Answer | None:
        return None

    def on_resume(self, key: str, question: str, choices: Sequence[str]) -> Answer:
        hint = f"{key}: {{resume: {' | '.join(choices)}}}"
        raise self._refuse(key, f"resume: {quote(question)}", hint)

    def hand_over(self, key: str, command: str) -> Answer:
        raise NoAnswerError(
            f"step '{key}' is interactive (it needs a terminal: {quote(command)}): "
            f"{self.reason}. Add \"{key}: {{session: skip}}\" to an answers file (--answers "
            f"FILE) to skip it, or run it at a terminal."
        )

    def secret(self, key: str, prompt: str) -> str:
        """`key` is the environment variable that provides the secret."""
        raise NoAnswerError(
            f"secret {key} needs a value ({quote(prompt)}): {self.reason}. "
            f"Set the environment variable {key}."
        )

    def _refuse(self, key: str, what: str, hint: str, extra: str = "") -> NoAnswerError:
        return NoAnswerError(
            f"step '{key}' needs an answer ({what}): {self.reason}. "
            f'Add "{hint}" to an answers file (--answers FILE){extra}.'
        )


def quote(text: str, limit: int = 80) -> str:
    lines = text.strip().splitlines() or [""]
    first = lines[0]
    if len(first) > limit or len(lines) > 1:
        first = first[:limit].rstrip() + "…"
    return f'"{first}"'
