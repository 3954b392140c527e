"""Checks an answers file (docs/answers-file.md) against a runbook, before anything runs.

Keys are step ids; a step of an included runbook is `RUNBOOK/step` (nested
includes: `A/B/step`). A value is either a scalar, the answer to the step's
own question, or a map combining the keys that apply to the step::

    kill: yes                      # confirm gate or run/ssh with confirm: yes|no|true|false
    root-cause: a pool leak        # ask: fits the step's type, choices and pattern
    sentry: done                   # manual: done | skipped | failed
    backups: {status: skipped, note: bucket moved}   # manual; skipped needs a note
    ready: {on_failure: abort}     # run/ssh/manual: retry | skip | abort | <step id>
                                   #   (ssh also retry-failed-hosts)
    deploy: {resume: rerun}        # any step a crash left unknown: rerun | done | failed | skip
    find: {capture: "101 102"}     # a capture step `run --from` skips: the value it captures
    kill: {answer: yes, on_failure: skip}

Map keys by action: `answer` (confirm, ask, manual, run/ssh with a
confirmation), `status` and `note` (manual), `on_failure` (run, ssh, manual),
`resume` (every step), `capture` (a step with `capture:` that `run --from` skips:
the value it would have captured). Inputs are not answers: they come from --var / --vars-file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runbookctl.errors import Problem, ValidationError
from runbookctl.positions import Pos
from runbookctl.prompts.answers_file import (
    CAPTURE_FIELD,
    CARRY_CHOICES,
    CARRY_OVER,
    ENTRY_KEYS,
    MANUAL_STATUSES,
    RESUME_CHOICES,
    coerce_answer,
)
from runbookctl.prompts.protocol import FAIL_ABORT, FAIL_RETRY, FAIL_RETRY_FAILED_HOSTS, FAIL_SKIP
from runbookctl.runbook.loader import parse_source
from runbookctl.runbook.model import Runbook, Step
from runbookctl.runbook.readers import did_you_mean, kind
from runbookctl.runbook.values import yes_no_word
from runbookctl.runbook.yaml_positions import YNode, problem


def check_answers_file(path: Path, rb: Runbook, *,
                       resolve_runbook: Callable[[str], Runbook | None] | None = None) -> list[Problem]:
    """Problems of an answers file for `rb`: unknown keys, values of the wrong shape.

    Without `resolve_runbook`, keys of included steps are accepted unchecked.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return [Problem(Pos(str(path), 1, 1), f"cannot read the answers file: {why}")]
    try:
        root = parse_source(text, str(path))
    except ValidationError as exc:
        return exc.problems
    if not root.is_map:
        return [problem(text, root.pos, "an answers file is a map of step id to answer "
                        f"(e.g. `kill: yes`), got {kind(root.value)}")]
    steps, opaque = _answerable(rb, resolve_runbook)
    out: list[Problem] = []
    for key, node in root.value.items():
        if key in steps:
            out += _entry(text, key, node, *steps[key])
        elif key.startswith(CARRY_OVER):
            out += _carry_over(text, key, node)
        elif not any(key.startswith(prefix) for prefix in opaque):
            out.append(problem(text, root.key_pos[key], _unknown_key(key, steps), key))
    return out


def _carry_over(text: str, key: str, node: YNode) -> list[Problem]:
    if node.value in CARRY_CHOICES:
        return []
    return [problem(text, node.pos, f"{key}: expected one of {', '.join(CARRY_CHOICES)}", key)]


def _answerable(rb: Runbook, resolve: Callable[[str], Runbook | None] | None,
                prefix: str = "", depth: int = 0) -> tuple[dict[str, tuple[Step, Runbook]], list[str]]:
    """Answers-file key -> (step, its runbook); and prefixes of includes that could not be read."""
    steps: dict[str, tuple[Step, Runbook]] = {}
    opaque: list[str] = []
    for step in rb.steps:
        steps.setdefault(f"{prefix}{step.id}", (step, rb))
        if step.action != "include":
            continue
        sub = resolve(step.text) if resolve is not None and depth < 20 else None
        if sub is None:
            opaque.append(f"{prefix}{step.text}/")
            continue
        more, more_opaque = _answerable(sub, resolve, f"{prefix}{sub.id}/", depth + 1)
        steps.update({k: v for k, v in more.items() if k not in steps})
        opaque += more_opaque
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
    return (*out, "resume")


def _entry(text: str, key: str, node: YNode, step: Step, book: Runbook) -> list[Problem]:
    fields = _fields(step)
    if node.is_seq or node.value is None:
        return [problem(text, node.pos, f"{key}: expected an answer or a map of "
                        f"{', '.join(fields)}, got {kind(node.value)}", key)]
    if not node.is_map:
        if "answer" not in fields:
            return [problem(text, node.pos, f"{key}: a {step.action} step has no question to "
                            f"answer; write a map of {', '.join(fields)}", key)]
        why = _answer_problem(step, node.value)
        return [problem(text, node.pos, f"{key}: {why}", key)] if why else []
    out = []
    for name, child in node.value.items():
        why = _field_problem(step, book, name, child, fields, node.value)
        if why:
            pos = child.pos if name in fields else node.key_pos[name]
            out.append(problem(text, pos, f"{key}: {why}", f"{key}.{name}"))
    if not out and "on_failure" in node.value and "on_failure" in fields and step.on_failure != "ask":
        out.append(problem(text, node.value["on_failure"].pos, f"{key}: on_failure is never asked: "
                           f"the step says `on_failure: {step.on_failure}`", f"{key}.on_failure",
                           "warning"))
    return out


def _field_problem(step: Step, book: Runbook, name: str, child: YNode, fields: tuple[str, ...],
                   entry: dict[str, YNode]) -> str | None:
    if name == CAPTURE_FIELD and step.capture:
        fields = (*fields, CAPTURE_FIELD)  # only for `run --from` (not offered in hints)
    if name not in (*ENTRY_KEYS, CAPTURE_FIELD):
        return f"unknown key '{name}'{did_you_mean(name, fields)}"
    if name not in fields:
        return f"`{name}` does not apply to a {step.action} step (it takes: {', '.join(fields)})"
    value = child.value
    if isinstance(value, dict | list) or value is None:
        return f"{name}: expected a single value, got {kind(value)}"
    if name == "answer":
        return _answer_problem(step, value, has_note="note" in entry)
    if name == "status":
        return _status_problem(value, has_note="note" in entry)
    if name == "on_failure":
        return _on_failure_problem(step, book, value)
    if name == "resume" and value not in RESUME_CHOICES:
        return f"resume: {value!r} is not one of: {' | '.join(RESUME_CHOICES)}"
    return None


def _answer_problem(step: Step, value: object, has_note: bool = False) -> str | None:
    if step.action == "manual":
        return _status_problem(value, has_note)
    if step.action == "ask":
        return _ask_problem(step, value)
    if yes_no_word(value) is not None:
        return None
    return f"a confirmation is answered yes or no, got {kind(value)}"


def _ask_problem(step: Step, value: object) -> str | None:
    spec = step.answer
    if spec is None:
        return None
    textual = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if spec.type in ("str", "choice") and not textual:
        return f"expected text, got {kind(value)}: put the value in quotes"
    try:
        coerce_answer(spec, value)
    except ValueError as exc:
        return str(exc)
    return None


def _status_problem(value: object, has_note: bool) -> str | None:
    if value not in MANUAL_STATUSES:
        return f"a manual step is answered {' | '.join(MANUAL_STATUSES)}, got {kind(value)}"
    if value == "skipped" and not has_note:
        return "skipped needs a reason: write {status: skipped, note: WHY}"
    return None


def _on_failure_problem(step: Step, book: Runbook, value: object) -> str | None:
    words = [FAIL_RETRY, FAIL_SKIP, FAIL_ABORT]
    if step.action == "ssh":
        words.insert(1, FAIL_RETRY_FAILED_HOSTS)
    targets = [s.id for s in book.steps if s.id != step.id]
    if value in words or value in targets:
        return None
    hint = did_you_mean(str(value), [*words, *targets])
    return f"on_failure: {value!r} is not one of: {' | '.join(words)} | <step id>{hint}"
