"""The answers file and --yes as a Prompter: explicit answers for drills, CI and resume.

The file is read and its grammar checked by prompts/answers_file.py (the one reader);
this module answers prompts from it, checking each value against the step that asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runbookctl.errors import Problem, RunbookctlError, UsageError, ValidationError
from runbookctl.prompts.answers_file import (
    SESSION_SKIP,
    AnswersFile,
    Entry,
    answer_problem,
    ask_value,
    confirm_value,
    manual_problem,
    on_failure_problem,
    pick_on_failure,
)
from runbookctl.prompts.protocol import (
    FAIL_RETRY,
    FAIL_RETRY_FAILED_HOSTS,
    ORIGIN_ANSWERS,
    ORIGIN_YES,
    Answer,
    Prompter,
)
from runbookctl.runbook.model import InputSpec


class AnswersPrompter:
    """Answers from an answers file, then from --yes, then `fallback`.

    A written retry is given once per step; asked again, `fallback` answers.
    `yes` (--yes) answers only non-dangerous confirm gates. A bad value raises
    ValidationError at its file:line:col (UsageError naming the file and key when
    the answers came without positions).
    """

    def __init__(self, answers: AnswersFile, yes: bool, fallback: Prompter, *,
                 operator: str | None = None) -> None:
        self.answers = answers
        self.path = answers.path
        self.yes = yes
        self.fallback = fallback
        sha = answers.sha256
        self.actor = f"{answers.path} (sha256 {sha[:12]})" if answers.path else "--yes"
        self.yes_actor = f"{operator} (--yes)" if operator else "--yes"
        self._retried: set[str] = set()
        problems = answers.problems()
        if problems:
            raise self._error(problems)

    @property
    def interactive(self) -> bool:
        return self.fallback.interactive

    def confirm(
        self, key: str, question: str, *, dangerous: bool, no_means: str,
        detail: str | None = None, default: bool = False,
    ) -> Answer:
        raw = self._field(key, "answer")
        if raw is not None:
            return self._answer(self._checked(key, "answer", confirm_value, raw))
        if self.yes and not dangerous:
            return Answer(True, ORIGIN_YES, self.yes_actor)
        return self.fallback.confirm(key, question, dangerous=dangerous, no_means=no_means,
                                     detail=detail, default=default)

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        written = self.written(key, "answer", spec)
        return self.fallback.ask(key, question, spec) if written is None else written

    def written(self, key: str, name: str, spec: InputSpec) -> Answer | None:
        """The value written in field `name` of `key`, typed as `spec`; None if not written."""
        raw = self._field(key, name)
        if raw is None:
            return None
        return self._answer(self._checked(key, name, lambda v: ask_value(spec, v), raw))

    def manual(self, key: str, text: str) -> Answer:
        name = "status" if self._field(key, "status") is not None else "answer"
        status = self._field(key, name)
        if status is None:
            return self.fallback.manual(key, text)
        note = self._field(key, "note")
        problem = manual_problem(status, note)
        if problem:
            raise self._error([answer_problem(self._entry(key), name, problem)])
        return self._answer(str(status), note=None if note is None else str(note))

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        raw = self._field(key, "on_failure")
        if raw is None:
            scalar = self._field(key, "answer")
            if scalar is not None and not self._entry(key).is_map and pick_on_failure(scalar, choices):
                hint = f"the answer to a failed step is written {{on_failure: {scalar}}}"
                raise self._error([answer_problem(self._entry(key), "answer", hint)])
            return self.fallback.on_failure(key, message, choices)
        problem = on_failure_problem(raw, choices)
        if problem:
            raise self._error([answer_problem(self._entry(key), "on_failure", problem)])
        picked = str(pick_on_failure(raw, choices))
        if picked in (FAIL_RETRY, FAIL_RETRY_FAILED_HOSTS):
            # A written "retry" is used once: a step that keeps failing must not loop forever.
            if key in self._retried:
                return self.fallback.on_failure(key, message, choices)
            self._retried.add(key)
        return self._answer(picked)

    def hand_over(self, key: str, command: str) -> Answer:
        written = self._field(key, "session")
        if written is None and self._field(key, "answer") == SESSION_SKIP:
            written = SESSION_SKIP  # `step: skip`: the short form
        if written is None:
            return self.fallback.hand_over(key, command)
        if written != SESSION_SKIP:
            problem = f"an interactive step is answered {{session: skip}}, got {written!r}"
            raise self._error([answer_problem(self._entry(key), "session", problem)])
        return self._answer(SESSION_SKIP)

    def secret(self, key: str, prompt: str) -> str:
        # Secrets never live in an answers file: it is recorded by hash and often committed.
        return self.fallback.secret(key, prompt)

    def resume_choice(self, key: str) -> str | None:
        """The `resume:` answer for a step left UNKNOWN (rerun|done|failed|skip), if any."""
        value = self._field(key, "resume")
        return None if value is None else str(value)

    def resume_answer(self, key: str) -> Answer | None:
        choice = self.resume_choice(key)
        return None if choice is None else self._answer(choice)

    def on_resume(self, key: str, question: str, choices: Sequence[str]) -> Answer:
        # Not the file's `on_failure:` (a different question): its `resume:` is resume_answer.
        return self.fallback.on_resume(key, question, choices)

    def _entry(self, key: str) -> Entry:
        return self.answers.entries[key]

    def _field(self, key: str, name: str) -> object:
        entry = self.answers.entries.get(key)
        return None if entry is None else entry.get(name)

    def _checked(self, key: str, name: str, convert: Callable[[object], object], raw: object) -> object:
        try:
            return convert(raw)
        except ValueError as exc:
            raise self._error([answer_problem(self._entry(key), name, str(exc))]) from None

    def _answer(self, value: object, note: str | None = None) -> Answer:
        return Answer(value, ORIGIN_ANSWERS, self.actor, note)

    def _error(self, problems: Sequence[Problem]) -> RunbookctlError:
        """At file:line:col when the file was read; else `file: key: message`. The run's
        messages carry no source line: they go into the journal as one line."""
        if all(p.pos.line > 0 for p in problems):
            return ValidationError([Problem(p.pos, p.message) for p in problems])
        return UsageError("\n".join(f"{self.answers.where}: {p.message}" for p in problems))
