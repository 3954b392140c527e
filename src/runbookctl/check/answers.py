"""Checks an answers file (docs/answers-file.md) against a runbook, before anything runs.

The file is read by the one reader, prompts/answers_file.py (its grammar, its
messages); this module adds what only the runbook knows: which keys are steps,
which fields mean something for each step, and whether each value fits the step
that will ask it — with the same message the run would stop with.

Keys are step ids; a step of an included runbook is `RUNBOOK/step` (nested
includes: `A/B/step`). Map keys by action: `answer` (confirm, ask, manual, run/ssh
with a confirmation), `status` and `note` (manual), `on_failure` (run, ssh, manual),
`resume` (every step), `capture` (a step with `capture:` that `run --from` skips:
the value it would have captured). Inputs are not answers: they come from --var /
--vars-file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from runbookctl.errors import Problem, UsageError, ValidationError
from runbookctl.outcomes import Decision
from runbookctl.positions import Pos
from runbookctl.prompts.answers_file import (
    CAPTURE_FIELD,
    CARRY_OVER,
    FIELDS,
    SESSION_SKIP,
    AnswersFile,
    Entry,
    answer_problem,
    ask_problem,
    confirm_value,
    entry_problems,
    manual_problem,
    name_problem,
    on_failure_problem,
    read_answers_file,
)
from runbookctl.prompts.protocol import FAIL_ABORT, FAIL_RETRY, FAIL_RETRY_FAILED_HOSTS, FAIL_SKIP
from runbookctl.runbook import includes
from runbookctl.runbook.model import Runbook, Step
from runbookctl.runbook.readers import did_you_mean
from runbookctl.runbook.yaml_positions import source_line


def check_answers_file(path: Path, rb: Runbook, *,
                       resolve_runbook: Callable[[str], Runbook | None] | None = None) -> list[Problem]:
    """Problems of an answers file for `rb`: unknown keys, values of the wrong shape.

    Without `resolve_runbook`, keys of included steps are accepted unchecked.
    """
    try:
        answers = read_answers_file(path)
    except UsageError as exc:
        return [Problem(Pos(str(path), 1, 1), exc.message)]
    except ValidationError as exc:
        return exc.problems
    steps, opaque = _answerable(rb, resolve_runbook)
    out: list[Problem] = []
    for key, entry in answers.entries.items():
        if key in steps:
            out += _entry(entry, *steps[key])
        elif key.startswith(CARRY_OVER):
            out += entry_problems(entry)
        elif not any(key.startswith(prefix) for prefix in opaque):
            out.append(replace(_key_problem(entry, _unknown_key(key, steps)), key_path=key))
    return [_with_line(answers, p) for p in out]


def _with_line(answers: AnswersFile, found: Problem) -> Problem:
    """validate shows the line under each problem, with a caret."""
    return replace(found, source_line=source_line(answers.text, found.pos.line))


def _key_problem(entry: Entry, message: str) -> Problem:
    return Problem(entry.pos or Pos("", 0, 0), message)


def _answerable(rb: Runbook, resolve: Callable[[str], Runbook | None] | None
                ) -> tuple[dict[str, tuple[Step, Runbook]], list[str]]:
    """Answers-file key -> (step, its runbook); and prefixes of includes that could not be read."""
    steps: dict[str, tuple[Step, Runbook]] = {}
    opaque: list[str] = []
    for placed in includes.steps(rb, resolve or (lambda _name: None)):
        steps.setdefault(placed.key, (placed.step, placed.book))
        if placed.step.action == "include" and placed.included is None:
            opaque.append(f"{placed.prefix}{placed.step.text}/")
    return steps, opaque


def _unknown_key(key: str, steps: dict[str, tuple[Step, Runbook]]) -> str:
    if key.startswith("input:"):
        return f"'{key}': inputs are given with --var or --vars-file, not in the answers file"
    hint = did_you_mean(key, steps)
    return f"unknown step '{key}' in the answers file{hint or ' (keys are step ids)'}"


def _fields(step: Step) -> tuple[str, ...]:
    """The answers-file map keys that mean something for `step`."""
    action = step.action
    out = []
    if action in ("confirm", "ask", "manual") or (step.is_command and step.confirm is not None):
        out.append("answer")
    if action == "manual":
        out += ["status", "note"]
    if step.is_command or action == "manual":
        out.append("on_failure")
    if step.interactive:
        out.append("session")
    return (*out, "resume")


def _entry(entry: Entry, step: Step, book: Runbook) -> list[Problem]:
    fields = _fields(step)
    if not entry.is_map and entry.fields and "answer" not in fields and not (
            step.interactive and entry.get("answer") == SESSION_SKIP):
        return [answer_problem(entry, None, f"a {step.action} step has no question to answer; "
                                            f"write a map of {', '.join(fields)}")]
    taken = (*fields, CAPTURE_FIELD) if step.capture else fields  # capture: only for --from
    misplaced = [name_problem(entry, name, f"`{name}` does not apply to a {step.action} step "
                                           f"(it takes: {', '.join(fields)})")
                 for name in entry.fields if name in FIELDS and name not in taken]
    shape = entry_problems(entry, fields)
    if misplaced or shape:
        return misplaced + shape
    out = _step_problems(entry, step, book)
    if not out and entry.get("on_failure") is not None and step.on_failure != "ask":
        out.append(replace(answer_problem(entry, "on_failure", "on_failure is never asked: the "
                                          f"step says `on_failure: {step.on_failure}`"),
                           severity="warning"))
    return out


def _step_problems(entry: Entry, step: Step, book: Runbook) -> list[Problem]:
    """Each written value against the step that will ask it, as the run would say it."""
    out = []
    answer = entry.get("answer")
    if step.interactive and answer == SESSION_SKIP:
        answer = None  # `step: skip` skips an interactive step (its gate is never asked)
    if answer is not None and step.action not in ("manual", "ask"):
        why = _confirm_problem(answer)
        out += [answer_problem(entry, "answer", why)] if why else []
    elif answer is not None and step.action == "ask" and step.answer is not None:
        why = ask_problem(step.answer, answer)
        out += [answer_problem(entry, "answer", why)] if why else []
    elif step.action == "manual" and entry.get("status") is None and answer is not None:
        why = manual_problem(answer, entry.get("note"))
        out += [answer_problem(entry, "answer", why)] if why else []
    session = entry.get("session")
    if session is not None and session != SESSION_SKIP:
        out.append(answer_problem(entry, "session", f"an interactive step is answered "
                                  f"{{session: skip}} (skip it without a terminal), got {session!r}"))
    raw = entry.get("on_failure")
    why = on_failure_problem(raw, _on_failure_choices(step, book)) if raw is not None else None
    return out + ([answer_problem(entry, "on_failure", why)] if why else [])


def _confirm_problem(value: object) -> str | None:
    try:
        confirm_value(value)
    except ValueError as exc:
        return str(exc)
    return None


def _on_failure_choices(step: Step, book: Runbook) -> list[str]:
    """What the run offers when `step` fails (engine/walk.py), retry-failed-hosts only
    for ssh steps (the run offers it when some hosts failed)."""
    words = [FAIL_RETRY, *([FAIL_RETRY_FAILED_HOSTS] if step.action == "ssh" else []),
             FAIL_SKIP, FAIL_ABORT]
    return words + [str(Decision.goto(s.id)) for s in book.steps if s.id != step.id]
