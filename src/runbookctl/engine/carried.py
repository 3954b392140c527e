"""`run --from STEP`: the values the skipped steps would have set.

Steps before STEP never run (nor branches the walk from STEP cannot reach), so
the names they `capture:` or ask into (`var:`) are never set. They are known
statically on the step graph (the names `validate` knows): each one a reachable
step reads before it is set on every way there is given like an input — `--var NAME=VALUE`, `--vars-file`,
the answers file under the skipped step's key (`ask-step: 5` as for the step
itself, `capture-step: {capture: "101 102"}`), or asked at the terminal. With
no one to ask, the run stops before it begins (exit 2) naming every one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.prompts.answers_file import CAPTURE_FIELD
from runbookctl.runbook.model import InputSpec
from runbookctl.runbook.values import coerce_value

if TYPE_CHECKING:
    from runbookctl.prompts.protocol import Prompter
    from runbookctl.runbook.model import Runbook, Step



@dataclass(frozen=True)
class Carried:
    """A name a skipped step would have set, and how to ask for it."""

    name: str
    key: str  # the skipped step (`child/step` inside an include): its answers-file key
    spec: InputSpec  # the value's shape: an ask step's own, else text
    field: str  # the answers-file field: `answer` (ask) or `capture`


def carried_names(rb: Runbook, from_step: str | None, resolve: Callable[[str], Runbook | None],
                  template_source: Callable[[str], str | None]) -> list[Carried]:
    """Names set only by steps the run from `from_step` never reaches (those before it,
    and branches it cannot take) that a step it can reach reads before the name is set on
    every way there (inputs and secrets are asked anyway)."""
    from runbookctl.check.templates import names_read
    from runbookctl.runbook.includes import books

    if not from_step or from_step not in rb.step_ids:
        return []
    runs = _reachable(rb, from_step)
    start = rb.index(from_step)
    unrun = [(i < start, step) for i, step in enumerate(rb.steps) if step.id not in runs]
    before = [c for key, step in _flat(rb, tuple(s for b, s in unrun if b), resolve)
              for c in _sets(step, key)]
    after = [c for key, step in _flat(rb, tuple(s for b, s in unrun if not b), resolve)
             for c in _sets(step, key)]
    setters = {c.name: c for c in after + before}  # the last setter before the start wins
    entry = _set_on_entry(rb, from_step, runs, resolve)
    needed: dict[str, Carried] = {}
    for step in rb.steps:
        have = set(entry.get(step.id) or ())
        for key, flat in _flat(rb, (step,), resolve) if step.id in runs else ():
            for name in (names_read(flat, template_source) & setters.keys()) - have:
                needed.setdefault(name, setters[name])
            have |= {c.name for c in _sets(flat, key)}
    declared = {spec.name for book in books(rb, resolve) for spec in book.inputs}
    declared |= {spec.name for book in books(rb, resolve) for spec in book.secrets}
    # in the order the skipped steps would have run: the order they are asked in
    return [c for c in before + after if needed.get(c.name) is c and c.name not in declared]


def _reachable(rb: Runbook, start: str) -> set[str]:
    """The steps a walk from `start` can get to (next, branches, failure, no)."""
    from runbookctl.runbook.graph import edges

    out: dict[str, list[str]] = {}
    for edge in edges(rb):
        out.setdefault(edge.src, []).append(edge.dst)
    seen, todo = {start}, [start]
    while todo:
        for dst in out.get(todo.pop(), []):
            if dst in rb.step_ids and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    return seen


def _set_on_entry(rb: Runbook, start: str, runs: set[str],
                  resolve: Callable[[str], Runbook | None]) -> dict[str, set[str] | None]:
    """For each reachable step, the names set on every way from `start` to it (a step
    counts as setting what it captures or asks, also included runbooks' steps)."""
    from runbookctl.runbook.graph import edges

    sets = {step.id: {c.name for key, flat in _flat(rb, (step,), resolve)
                      for c in _sets(flat, key)} for step in rb.steps if step.id in runs}
    preds: dict[str, set[str]] = {}
    for edge in edges(rb):
        if edge.src in runs and edge.dst in runs:
            preds.setdefault(edge.dst, set()).add(edge.src)
    entry: dict[str, set[str] | None] = {sid: None for sid in runs}  # None: no way seen yet
    entry[start] = set()
    changed = True
    while changed:  # shrinks to the fixpoint: an intersection over the ways in
        changed = False
        for sid in sorted(runs - {start}, key=rb.index):
            ways = [got | sets[p] for p in preds.get(sid, ()) if (got := entry[p]) is not None]
            new = set.intersection(*ways) if ways else None
            if new != entry[sid]:
                entry[sid], changed = new, True
    return entry


def _sets(step: Step, key: str) -> Iterator[Carried]:
    if step.capture:
        yield Carried(step.capture, key, InputSpec(name=step.capture, required=False),
                      CAPTURE_FIELD)
    if step.var:
        spec = step.answer or InputSpec(name=step.var)
        yield Carried(step.var, key, replace(spec, name=step.var), "answer")


def _flat(rb: Runbook, steps: tuple[Step, ...], resolve: Callable[[str], Runbook | None]
          ) -> Iterator[tuple[str, Step]]:
    """(key, step) in file order, the steps of included runbooks in place of the include."""
    from runbookctl.runbook import includes

    return ((p.key, p.step) for p in includes.steps(rb, resolve, steps) if p.step.action != "include")


class Why(NamedTuple):
    """Why steps did not set their values: said in the question, and leading the exit-2
    message; `by_var`: whether `--var NAME=VALUE` can give one (run --from: yes)."""

    question: str
    lead: str
    by_var: bool = True


def resolve_carried(carried: list[Carried], cli: dict[str, str], from_file: dict[str, Any],
                    prompter: Prompter, from_step: str | None, why: Why | None = None
                    ) -> list[tuple[InputSpec, Any, str]]:
    """Each carried name's typed value and origin; exit 2 naming all that have none."""
    why = why or Why(f"--from {from_step} skips it",
                     f"--from {from_step} skips the steps that set values later steps use")
    out, missing = [], []
    for c in carried:
        given = _given(c, cli, from_file, prompter, why.question)
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
        raise NoAnswerError(_missing(missing, why, prompter))
    return out


def _given(c: Carried, cli: dict[str, str], from_file: dict[str, Any], prompter: Prompter,
           why: str) -> tuple[Any, str] | None:
    from runbookctl.prompts.answers_prompter import AnswersPrompter
    from runbookctl.prompts.protocol import ORIGIN_VAR, ORIGIN_VARS_FILE

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
    question = f"{c.name}: the value step {c.key} would have {how} ({why})"
    answer = prompter.ask(c.key, question, c.spec)
    return answer.value, answer.origin


def _missing(missing: list[Carried], why: Why, prompter: Prompter) -> str:
    base = getattr(prompter, "fallback", prompter)
    reason = getattr(base, "reason", "no terminal to ask")
    lines = [f"{why.lead}, and there is {reason}; give each of them:"]
    for c in missing:
        written = f"{c.key}: {{capture: VALUE}}" if c.field == CAPTURE_FIELD else f"{c.key}: VALUE"
        var = f"--var {c.name}=VALUE, or " if why.by_var else ""
        lines.append(f"  {c.name} (set by step {c.key}): {var}\"{written}\" in an answers file "
                     "(--answers FILE)")
    return "\n".join(lines)
