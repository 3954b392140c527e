"""The answers file (docs/answers-file.md): its grammar and its one reader.

Both users read the same typed structure: the run's AnswersPrompter
(prompts/answers_prompter.py) and validate's check of a file against a runbook
(check/answers.py); each rule below has one message, at the file:line:col of the
value it is about.

Each key is a step id (`RUNBOOK/step` inside an include). Its value is a scalar,
the answer to the step's own prompt::

    kill: yes                 # confirm: a yes/no word (runbook/values.py)
    root-cause: a pool leak   # ask: checked against type, choices, pattern
    sentry: done              # manual: done | skipped | failed

or a map combining any of::

    answer: ...               # as the scalar form
    status: done | skipped | failed   # manual; skipped needs a note
    note: ...                 # manual: the reason / the note
    on_failure: abort | skip | retry | retry-failed-hosts | <step id>
    resume: rerun | done | failed | skip   # a step left UNKNOWN by a crash
    capture: ...              # what a step skipped by `run --from` would have captured

`carry-over/<step>: resolved | still open | won't fix` answers weekly's question
about a loose end of the last run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from runbookctl.errors import Problem, ValidationError
from runbookctl.outcomes import Decision
from runbookctl.positions import Pos
from runbookctl.prompts.protocol import (
    MANUAL_DONE,
    MANUAL_FAILED,
    MANUAL_SKIPPED,
)
from runbookctl.runbook.model import InputSpec
from runbookctl.runbook.readers import did_you_mean, kind
from runbookctl.runbook.values import coerce_value, yes_no_word

MANUAL_STATUSES = (MANUAL_DONE, MANUAL_SKIPPED, MANUAL_FAILED)
RESUME_CHOICES = ("rerun", "done", "failed", "skip")
ENTRY_KEYS = ("answer", "status", "note", "on_failure", "resume", "session")
# An interactive step in a run without a terminal: the only written answer is skip.
SESSION_SKIP = "skip"
# The value a step skipped by `run --from` would have captured (engine/carried.py):
# accepted, not offered in hints (it means something only with --from).
CAPTURE_FIELD = "capture"
FIELDS = (*ENTRY_KEYS, CAPTURE_FIELD)
# weekly: answers about the last run's loose ends, keyed carry-over/<step>
CARRY_OVER = "carry-over/"
CARRY_CHOICES = ("resolved", "still open", "won't fix")
CARRY_SPEC = InputSpec(name="carry_over", type="choice", choices=CARRY_CHOICES)
ROOT_SHAPE = "an answers file is a map of step id to answer (e.g. `kill: yes`)"


# --- the typed structure -------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One value of an entry: `kill: yes` has the field `answer`."""

    name: str
    value: object  # as YAML read it; a map or list here is a shape problem
    pos: Pos | None  # of the value (None: built from plain data, no file)
    name_pos: Pos | None  # of the field's name (the scalar form: the value's)


@dataclass(frozen=True)
class Entry:
    """One key of the answers file and what is written for it."""

    key: str
    value: object  # the whole value, plain
    pos: Pos | None  # of the key
    value_pos: Pos | None
    fields: Mapping[str, Field] = field(default_factory=dict)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, Mapping)

    def get(self, name: str) -> object:
        """The value of field `name` (the scalar form is the field `answer`), else None."""
        found = self.fields.get(name)
        return None if found is None else found.value

    def at(self, name: str | None = None) -> Pos | None:
        """Where a problem about field `name` (or the whole value) is shown."""
        found = self.fields.get(name) if name else None
        return found.pos if found is not None and found.pos is not None else self.value_pos


@dataclass(frozen=True)
class AnswersFile:
    """An answers file read once: its entries with positions, its hash, its text."""

    path: Path | None
    sha256: str
    entries: Mapping[str, Entry]
    text: str = ""

    @property
    def where(self) -> str:
        return str(self.path) if self.path else "--yes"

    @classmethod
    def from_data(cls, data: Mapping[str, object], path: Path | None = None,
                  sha256: str = "") -> AnswersFile:
        """From plain data (no file, so no positions): --yes alone, tests, carried values."""
        entries = {key: Entry(key, value, None, None, _plain_fields(value))
                   for key, value in data.items()}
        return cls(path, sha256, entries)

    def problems(self) -> list[Problem]:
        """What the grammar says of every entry, whatever the runbook (file order)."""
        return [p for entry in self.entries.values() for p in entry_problems(entry)]


def _plain_fields(value: object) -> dict[str, Field]:
    if isinstance(value, Mapping):
        return {str(k): Field(str(k), v, None, None) for k, v in value.items()}
    return {} if value is None else {"answer": Field("answer", value, None, None)}


def read_answers_file(path: Path) -> AnswersFile:
    """Read and parse an answers file: UsageError if it cannot be read; ValidationError
    (file:line:col) if it is not UTF-8, not YAML or not a map. Entries are not checked
    here: AnswersFile.problems() and check/answers.py do that."""
    from runbookctl.runbook.loader import parse_source  # yaml stays out of start-up
    from runbookctl.runbook.yaml_positions import problem, read_source, to_plain

    raw, text = read_source(path, "answers file")
    root = parse_source(text, str(path))
    if not root.is_map:
        raise ValidationError([problem(text, root.pos, f"{ROOT_SHAPE}, got {kind(to_plain(root))}")])
    entries = {}
    for key, node in root.value.items():
        fields: dict[str, Field] = {}
        if node.is_map:
            fields = {name: Field(name, to_plain(child), child.pos, node.key_pos[name])
                      for name, child in node.value.items()}
        elif node.value is not None:  # a list answers an ask of type action_items
            fields = {"answer": Field("answer", to_plain(node), node.pos, node.pos)}
        entries[key] = Entry(key, to_plain(node), root.key_pos[key], node.pos, fields)
    return AnswersFile(path, hashlib.sha256(raw).hexdigest(), entries, text)


# --- the grammar: one message per rule -----------------------------------------------


def entry_problems(entry: Entry, fields: Sequence[str] = ENTRY_KEYS) -> list[Problem]:
    """The shape of one entry, whatever its step; `fields` are those offered in hints."""
    key, value = entry.key, entry.value
    if value is None:
        return [answer_problem(entry, None, f"expected an answer or a map of {', '.join(fields)}, "
                                 f"got {kind(value)}")]
    if key.startswith(CARRY_OVER):
        why = ask_problem(CARRY_SPEC, entry.get("answer")) if not entry.is_map else (
            f"expected one of {', '.join(CARRY_CHOICES)}, got a map")
        return [answer_problem(entry, "answer", why)] if why else []
    if not entry.is_map:
        return []
    if not entry.fields:
        return [answer_problem(entry, None, f"empty map: give one of {', '.join(fields)}")]
    out = [name_problem(entry, f.name, f"unknown key '{f.name}'{did_you_mean(f.name, fields)}")
           for f in entry.fields.values() if f.name not in FIELDS]
    out += [answer_problem(entry, f.name, f"{f.name}: expected a single value, got {kind(f.value)}")
            for f in entry.fields.values()
            if f.name in FIELDS and (f.value is None or isinstance(f.value, Mapping | list))
            and not (f.name == "answer" and isinstance(f.value, list))]
    return out or _value_problems(entry)


def _value_problems(entry: Entry) -> list[Problem]:
    out = []
    if "status" in entry.fields or "note" in entry.fields:
        status = "status" if "status" in entry.fields else "answer"
        why = manual_problem(entry.get(status), entry.get("note")) if status in entry.fields else (
            f"a note goes with a status: write {{status: {' | '.join(MANUAL_STATUSES)}, note: ...}}")
        if why:
            out.append(answer_problem(entry, status if status in entry.fields else "note", why))
    why = resume_problem(entry.get("resume"))
    if why:
        out.append(answer_problem(entry, "resume", why))
    return out


def confirm_value(raw: object) -> bool:
    """A confirmation's answer; ValueError if it is not a yes/no word (values.YES_WORDS)."""
    answer = yes_no_word(raw)
    if answer is None:
        raise ValueError(f"a confirmation is answered yes or no, got {kind(raw)}")
    return answer


def ask_problem(spec: InputSpec, raw: object) -> str | None:
    """Why `raw` cannot answer a question typed `spec` (None if it can)."""
    try:
        ask_value(spec, raw)
    except ValueError as exc:
        return str(exc)
    return None


def ask_value(spec: InputSpec, raw: object) -> object:
    """A question's answer, typed; YAML's own types are never guessed back into text."""
    textual = isinstance(raw, str) or (isinstance(raw, int) and not isinstance(raw, bool))
    if isinstance(raw, list | Mapping) and spec.type != "action_items":
        raise ValueError(f"expected a single value, got {kind(raw)} "
                         "(a list answers only an ask of type action_items)")
    if spec.type in ("str", "choice") and not textual:
        raise ValueError(f"expected text, got {kind(raw)}: put the value in quotes")
    return coerce_answer(spec, raw)


def coerce_answer(spec: InputSpec, raw: object) -> object:
    """values.coerce_value without its own name prefix (the caller names the key)."""
    try:
        return coerce_value(spec, raw)
    except ValueError as exc:
        raise ValueError(str(exc).removeprefix(f"{spec.name}: ")) from None


def manual_problem(status: object, note: object) -> str | None:
    """A manual step's status and note; a skip says why."""
    if status not in MANUAL_STATUSES:
        return f"a manual step is answered {' | '.join(MANUAL_STATUSES)}, got {kind(status)}"
    if status == MANUAL_SKIPPED and (note is None or not str(note).strip()):
        return "skipped needs a reason: write {status: skipped, note: WHY}"
    return None


def resume_problem(value: object) -> str | None:
    if value is None or value in RESUME_CHOICES:
        return None
    return f"resume: {value!r} is not one of: {' | '.join(RESUME_CHOICES)}"


def pick_on_failure(raw: object, choices: Sequence[str]) -> str | None:
    """The offered choice `raw` names: itself, or a step id as goto:<id>."""
    for candidate in (str(raw), str(Decision.goto(str(raw)))):
        if candidate in choices:
            return candidate
    return None


def on_failure_problem(raw: object, choices: Sequence[str]) -> str | None:
    """Why `raw` is not one of the choices offered when the step failed (None if it is)."""
    if pick_on_failure(raw, choices) is not None:
        return None
    names = [c.split(":", 1)[-1] for c in choices]  # goto:<id> offers the id
    return f"on_failure: {raw!r} is not one of: {choice_words(choices)}{did_you_mean(str(raw), names)}"


def choice_words(choices: Sequence[str]) -> str:
    """`retry | skip | abort | <step id>`: every step as a goto target would be too long."""
    words = [c for c in choices if not ((d := _decision(c)) and d.is_goto)]
    if len(words) < len(choices):
        words.append("<step id>")
    return " | ".join(words)


def choice_label(choice: str) -> str:
    """How an on_failure choice reads in a menu or a hint (other choices: as written)."""
    decision = _decision(choice)
    return choice if decision is None else decision.label


def _decision(choice: str) -> Decision | None:
    try:
        return Decision.parse(choice)
    except ValueError:  # not a failure decision: a resume choice, wait | stop
        return None


def answer_problem(entry: Entry, name: str | None, message: str) -> Problem:
    """A problem of `entry` (of its field `name`) as the file says it: `key: message`,
    at the value. Without a file (no positions) the prompter names the key instead."""
    pos = entry.at(name) or Pos("", 0, 0)
    key_path = f"{entry.key}.{name}" if name and entry.is_map else entry.key
    return Problem(pos, f"{entry.key}: {message}", key_path)


def name_problem(entry: Entry, name: str, message: str) -> Problem:
    """A problem of field `name` itself (unknown, or not for this step): at its name."""
    found = entry.fields[name]
    problem = answer_problem(entry, name, message)
    return replace(problem, pos=found.name_pos) if found.name_pos is not None else problem
