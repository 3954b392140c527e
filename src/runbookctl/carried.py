"""`run --from STEP`: the values the skipped steps would have set.

Steps before STEP never run, so the names they `capture:` or ask into (`var:`)
are never set. They are known statically (the names `validate` knows): each one
a later step reads is given like an input — `--var NAME=VALUE`, `--vars-file`,
the answers file under the skipped step's key (`ask-step: 5` as for the step
itself, `capture-step: {capture: "101 102"}`), or asked at the terminal. With
no one to ask, the run stops before it begins (exit 2) naming every one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from runbookctl.answers import CAPTURE_FIELD
from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.inputs import coerce_value
from runbookctl.model import InputSpec

if TYPE_CHECKING:
    from runbookctl.model import Runbook, Step
    from runbookctl.prompts_base import Prompter



@dataclass(frozen=True)
class Carried:
    """A name a skipped step would have set, and how to ask for it."""

    name: str
    key: str  # the skipped step (`child/step` inside an include): its answers-file key
    spec: InputSpec  # the value's shape: an ask step's own, else text
    field: str  # the answers-file field: `answer` (ask) or `capture`


def carried_names(rb: Runbook, from_step: str | None, resolve: Callable[[str], Runbook | None],
                  template_source: Callable[[str], str | None]) -> list[Carried]:
    """Names set only by steps before `from_step` that a step from it on reads before
    setting them itself (inputs and secrets are asked anyway)."""
    from runbookctl.model import with_includes
    from runbookctl.names import names_read

    if not from_step or from_step not in rb.step_ids:
        return []
    start = rb.index(from_step)
    skipped = [c for key, step in _flat(rb.steps[:start], "", resolve) for c in _sets(step, key)]
    setters = {c.name: c for c in skipped}  # the last setter of a name wins, as in a run
    needed: dict[str, Carried] = {}
    for key, step in _flat(rb.steps[start:], "", resolve):
        for name in names_read(step, template_source) & setters.keys():
            needed.setdefault(name, setters[name])
        for c in _sets(step, key):
            setters.pop(c.name, None)  # set again before any later read: that read is fine
    declared = {spec.name for book in with_includes(rb, resolve) for spec in book.inputs}
    declared |= {spec.name for book in with_includes(rb, resolve) for spec in book.secrets}
    # in the order the skipped steps would have run: the order they are asked in
    return [c for c in skipped if needed.get(c.name) is c and c.name not in declared]


def _sets(step: Step, key: str) -> Iterator[Carried]:
    if step.capture:
        yield Carried(step.capture, key, InputSpec(name=step.capture, required=False),
                      CAPTURE_FIELD)
    if step.var:
        spec = step.answer or InputSpec(name=step.var)
        yield Carried(step.var, key, replace(spec, name=step.var), "answer")


def _flat(steps: tuple[Step, ...], prefix: str, resolve: Callable[[str], Runbook | None],
          depth: int = 0) -> Iterator[tuple[str, Step]]:
    """(key, step) in file order, the steps of included runbooks in place of the include."""
    for step in steps:
        if step.action != "include":
            yield f"{prefix}{step.id}", step
            continue
        sub = resolve(step.text) if depth < 20 else None  # validate refuses include cycles
        if sub is not None:
            yield from _flat(sub.steps, f"{prefix}{sub.id}/", resolve, depth + 1)


def resolve_carried(carried: list[Carried], cli: dict[str, str], from_file: dict[str, Any],
                    prompter: Prompter, from_step: str | None
                    ) -> list[tuple[InputSpec, Any, str]]:
    """Each carried name's typed value and origin; exit 2 naming all that have none."""
    out, missing = [], []
    for c in carried:
        given = _given(c, cli, from_file, prompter, from_step)
        if given is None:
            missing.append(c)
            continue
        raw, origin = given
        try:
            value = coerce_value(c.spec, raw)
        except ValueError as exc:
            raise UsageError(f"{exc} (from {origin})") from None
        out.append((c.spec, value, f"{origin}, for skipped step {c.key}"))
    if missing:
        raise NoAnswerError(_missing(missing, from_step, prompter))
    return out


def _given(c: Carried, cli: dict[str, str], from_file: dict[str, Any], prompter: Prompter,
           from_step: str | None) -> tuple[Any, str] | None:
    from runbookctl.answers import AnswersPrompter
    from runbookctl.prompts_base import ORIGIN_VAR, ORIGIN_VARS_FILE

    if c.name in cli:
        return cli[c.name], ORIGIN_VAR
    if c.name in from_file:
        return from_file[c.name], ORIGIN_VARS_FILE
    if isinstance(prompter, AnswersPrompter):
        written = prompter.written(c.key, c.field, c.spec)
        if written is not None:
            return written.value, written.origin
        prompter = prompter.fallback
    if not prompter.interactive:
        return None
    how = "captured" if c.field == CAPTURE_FIELD else "asked for"
    question = f"{c.name}: the value step {c.key} would have {how} (--from {from_step} skips it)"
    answer = prompter.ask(c.key, question, c.spec)
    return answer.value, answer.origin


def _missing(missing: list[Carried], from_step: str | None, prompter: Prompter) -> str:
    base = getattr(prompter, "fallback", prompter)
    reason = getattr(base, "reason", "no terminal to ask")
    lines = [f"--from {from_step} skips the steps that set values later steps use, "
             f"and there is {reason}; give each of them:"]
    for c in missing:
        written = f"{c.key}: {{capture: VALUE}}" if c.field == CAPTURE_FIELD else f"{c.key}: VALUE"
        lines.append(f"  {c.name} (set by step {c.key}): --var {c.name}=VALUE, "
                     f"or \"{written}\" in an answers file (--answers FILE)")
    return "\n".join(lines)
