"""The answers file (docs/answers-file.md) and --yes: explicit answers for drills, CI and resume."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from runbookctl.errors import Problem, RunbookctlError, UsageError, ValidationError
from runbookctl.outcomes import Decision
from runbookctl.positions import Pos
from runbookctl.prompts.protocol import (
    FAIL_RETRY,
    FAIL_RETRY_FAILED_HOSTS,
    MANUAL_DONE,
    MANUAL_FAILED,
    MANUAL_SKIPPED,
    ORIGIN_ANSWERS,
    ORIGIN_YES,
    Answer,
    Prompter,
)
from runbookctl.runbook.model import InputSpec
from runbookctl.runbook.values import coerce_value, yes_no_word

MANUAL_STATUSES = (MANUAL_DONE, MANUAL_SKIPPED, MANUAL_FAILED)
RESUME_CHOICES = ("rerun", "done", "failed", "skip")
ENTRY_KEYS = ("answer", "status", "note", "on_failure", "resume")
# The value a step skipped by `run --from` would have captured (carried.py): accepted,
# not offered in hints (it means something only with --from).
CAPTURE_FIELD = "capture"
# weekly: answers about the last run's loose ends, keyed carry-over/<step>
CARRY_OVER = "carry-over/"
CARRY_CHOICES = ("resolved", "still open", "won't fix")


def choice_label(choice: str) -> str:
    """How an on_failure choice reads in a menu or a hint (other choices: as written)."""
    decision = _decision(choice)
    return choice if decision is None else decision.label


def _decision(choice: str) -> Decision | None:
    try:
        return Decision.parse(choice)
    except ValueError:  # not a failure decision: a resume choice, wait | stop
        return None


def coerce_answer(spec: InputSpec, raw: object) -> object:
    """inputs.coerce_value without its own name prefix (the caller names the key)."""
    try:
        return coerce_value(spec, raw)
    except ValueError as exc:
        raise ValueError(str(exc).removeprefix(f"{spec.name}: ")) from None


def _yes_no(raw: object) -> bool:
    """A confirm answer: a YAML boolean or a yes/no word (values.YES_WORDS / NO_WORDS)."""
    answer = yes_no_word(raw)
    if answer is None:
        raise ValueError(f"expected yes or no, got {raw!r}")
    return answer


def _yaml_text(spec: InputSpec, raw: object) -> object:
    """An answers-file value for a text answer; YAML's own types are never guessed back."""
    textual = isinstance(raw, str) or (isinstance(raw, int) and not isinstance(raw, bool))
    if spec.type in ("str", "choice") and not textual:
        raise ValueError(f"expected text, got {raw!r}: put the value in quotes")
    return raw


# --- the answers file ------------------------------------------------------


class AnswersPrompter:
    """Answers from an answers file (docs/answers-file.md), then from --yes, then `fallback`.

    Each key is a step id (`RUNBOOK/step` inside an include). Its value is a
    scalar, the answer to the step's own prompt::

        kill: yes                 # confirm, dangerous ones included
        root-cause: a pool leak   # ask: checked against type, choices, pattern
        sentry: done              # manual: done | skipped | failed

    or a map combining any of::

        answer: ...               # as the scalar form
        status: done | skipped | failed   # manual; skipped needs a note
        note: ...                 # manual: the reason / the note
        on_failure: abort | skip | retry | retry-failed-hosts | <step id>
        resume: rerun | done | failed | skip   # a step left UNKNOWN by a crash
        capture: ...              # what a step skipped by `run --from` would have captured

    A written retry is given once per step; asked again, `fallback` answers.
    `yes` (--yes) answers only non-dangerous confirm gates. A bad value raises
    ValidationError (UsageError without positions) naming the file and key.
    """

    def __init__(
        self,
        path: Path | None,
        data: Mapping[str, object],
        sha256: str,
        yes: bool,
        fallback: Prompter,
        *,
        positions: Mapping[str, Pos] | None = None,
        operator: str | None = None,
    ) -> None:
        self.path = path
        self.data = dict(data)
        self.yes = yes
        self.fallback = fallback
        self.positions = dict(positions or {})
        self.actor = f"{path} (sha256 {sha256[:12]})" if path else "--yes"
        self.yes_actor = f"{operator} (--yes)" if operator else "--yes"
        self._retried: set[str] = set()
        problems = [p for key, value in self.data.items() for p in _check_entry(key, value)]
        if problems:
            raise self._error(problems)

    @property
    def interactive(self) -> bool:
        return self.fallback.interactive

    def confirm(
        self, key: str, question: str, *, dangerous: bool, no_means: str,
        detail: str | None = None,
    ) -> Answer:
        raw = self._field(key, "answer")
        if raw is not None:
            try:
                return self._answer(_yes_no(raw))
            except ValueError as exc:
                raise self._error([(key, str(exc))]) from None
        if self.yes and not dangerous:
            return Answer(True, ORIGIN_YES, self.yes_actor)
        return self.fallback.confirm(key, question, dangerous=dangerous, no_means=no_means,
                                     detail=detail)

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        written = self.written(key, "answer", spec)
        return self.fallback.ask(key, question, spec) if written is None else written

    def written(self, key: str, name: str, spec: InputSpec) -> Answer | None:
        """The value written in field `name` of `key`, typed as `spec`; None if not written."""
        raw = self._field(key, name)
        if raw is None:
            return None
        try:
            return self._answer(coerce_answer(spec, _yaml_text(spec, raw)))
        except ValueError as exc:
            raise self._error([(key, str(exc))]) from None

    def manual(self, key: str, text: str) -> Answer:
        status = self._field(key, "status")
        if status is None:
            status = self._field(key, "answer")
        if status is None:
            return self.fallback.manual(key, text)
        note = self._field(key, "note")
        problem = _manual_problem(status, note)
        if problem:
            raise self._error([(key, problem)])
        return self._answer(str(status), note=None if note is None else str(note))

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        raw = self._field(key, "on_failure")
        if raw is None:
            if isinstance(self.data.get(key), str) and _pick(str(self.data[key]), choices):
                hint = f"the answer to a failed step is written {{on_failure: {self.data[key]}}}"
                raise self._error([(key, hint)])
            return self.fallback.on_failure(key, message, choices)
        picked = _pick(str(raw), choices)
        if picked is None:
            offered = choice_words(choices)
            raise self._error([(key, f"on_failure {raw!r} is not one of: {offered}")])
        if picked in (FAIL_RETRY, FAIL_RETRY_FAILED_HOSTS):
            # A written "retry" is used once: a step that keeps failing must not loop forever.
            if key in self._retried:
                return self.fallback.on_failure(key, message, choices)
            self._retried.add(key)
        return self._answer(picked)

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

    def _field(self, key: str, name: str) -> object:
        entry = self.data.get(key)
        if isinstance(entry, Mapping):
            return entry.get(name)
        return entry if name == "answer" else None

    def _answer(self, value: object, note: str | None = None) -> Answer:
        return Answer(value, ORIGIN_ANSWERS, self.actor, note)

    def _error(self, items: Sequence[tuple[str, str]]) -> RunbookctlError:
        where = str(self.path) if self.path else "--yes"
        if all(key in self.positions for key, _ in items):
            return ValidationError([Problem(self.positions[k], f"{k}: {m}") for k, m in items])
        return UsageError("\n".join(f"{where}: {k}: {m}" for k, m in items))


def _pick(raw: str, choices: Sequence[str]) -> str | None:
    """The offered choice `raw` names: itself, or a step id as goto:<id>."""
    for candidate in (raw, str(Decision.goto(raw))):
        if candidate in choices:
            return candidate
    return None


def choice_words(choices: Sequence[str]) -> str:
    """`retry | skip | abort | <step id>`: every step as a goto target would be too long."""
    words = [c for c in choices if not ((d := _decision(c)) and d.is_goto)]
    if len(words) < len(choices):
        words.append("<step id>")
    return " | ".join(words)


def _manual_problem(status: object, note: object) -> str | None:
    if status not in MANUAL_STATUSES:
        return f"expected done, skipped or failed, got {status!r}"
    if status == MANUAL_SKIPPED and (note is None or not str(note).strip()):
        return "skipped needs a note"
    return None


def _check_entry(key: str, value: object) -> list[tuple[str, str]]:
    """The shape problems of one answers-file entry (values are checked when asked)."""
    if value is None:
        return [(key, "no answer given")]
    if isinstance(value, list):
        return [(key, "expected a value or a map of " + ", ".join(ENTRY_KEYS))]
    if not isinstance(value, Mapping):
        return []
    problems = [(key, _unknown(name)) for name in value
                if name not in (*ENTRY_KEYS, CAPTURE_FIELD)]
    if not value:
        problems.append((key, "empty map: give one of " + ", ".join(ENTRY_KEYS)))
    for name, sub in value.items():
        if isinstance(sub, Mapping | list):
            problems.append((key, f"{name}: expected a single value"))
        elif sub is None and name in (*ENTRY_KEYS, CAPTURE_FIELD):
            problems.append((key, f"{name}: no value given"))
    if problems:
        return problems
    if "status" in value or "note" in value:
        problem = _manual_problem(value.get("status", value.get("answer")), value.get("note"))
        if problem:
            problems.append((key, problem))
    if "resume" in value and value["resume"] not in RESUME_CHOICES:
        offered = " | ".join(RESUME_CHOICES)
        problems.append((key, f"resume {value['resume']!r} is not one of: {offered}"))
    return problems


def _unknown(name: object) -> str:

    close = difflib.get_close_matches(str(name), ENTRY_KEYS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key '{name}'{hint}"


def load_answers(path: Path) -> tuple[dict[str, object], str, dict[str, Pos]]:
    """Read an answers file: (data, sha256 of its bytes, position of each key).

    Malformed YAML or a root that is not a map raises ValidationError (file:line:col).
    """
    from runbookctl.runbook import yaml_positions as yamlpos  # yaml stays out of start-up

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the answers file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(Pos(str(path), 1, 1), f"not UTF-8 text: {exc}")]) from None
    root = yamlpos.parse_yaml(text, str(path))
    if not root.is_map:
        msg = "an answers file is a map of step id to answer (e.g. `kill: yes`)"
        raise ValidationError([yamlpos.problem(text, root.pos, msg)])
    data = {key: yamlpos.to_plain(node) for key, node in root.value.items()}
    return data, hashlib.sha256(raw).hexdigest(), dict(root.key_pos)


