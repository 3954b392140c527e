"""Include walking: the one way to go through a runbook and the runbooks it includes.

An `include: ID` step runs runbook ID's steps in its place; a step inside it is
keyed `ID/step` (nested: `A/B/step`) in the journal, the answers file and resume.
Every walk here resolves an include with the caller's `resolve` (registry lookup,
None when it cannot be read: validate reports that) and stops at MAX_DEPTH, so a
cycle validate has not refused yet cannot recurse forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from runbookctl.runbook.model import Runbook, Step

Resolve = Callable[[str], Runbook | None]
# Deeper than any real runbook nests; a cycle stops here instead of overflowing the stack.
MAX_DEPTH = 20
INCLUDE = "include"


@dataclass(frozen=True)
class Placed:
    """A step where the walk met it: its key from the root, the runbook it is written in,
    and for an include step the runbook it includes (None if it could not be read)."""

    key: str
    step: Step
    book: Runbook
    included: Runbook | None = None

    @property
    def prefix(self) -> str:
        """The key of the step's runbook: `` at the root, `child/` inside an include."""
        return self.key[: len(self.key) - len(self.step.id)]


def books(rb: Runbook, resolve: Resolve) -> Iterator[Runbook]:
    """`rb`, then every runbook it includes, transitively: each once (by the name it is
    included by and by its id), in step order, so the first declaration of a name is
    the outermost one. Unresolvable includes are left out."""
    seen = {rb.id}

    def walk(book: Runbook) -> Iterator[Runbook]:
        yield book
        for step in book.steps:
            if step.action == INCLUDE and step.text not in seen:
                seen.add(step.text)
                sub = resolve(step.text)
                if sub is not None and sub.id not in seen - {step.text}:
                    seen.add(sub.id)
                    yield from walk(sub)

    return walk(rb)


def steps(rb: Runbook, resolve: Resolve, only: tuple[Step, ...] | None = None) -> Iterator[Placed]:
    """Every step in file order with its key, an include step followed by the steps of
    the runbook it includes (`only`: just these steps of `rb`, and what they include)."""
    return _steps(rb, rb.steps if only is None else only, resolve, "", 0)


def _steps(rb: Runbook, of: tuple[Step, ...], resolve: Resolve, prefix: str,
           depth: int) -> Iterator[Placed]:
    for step in of:
        if step.action != INCLUDE:
            yield Placed(f"{prefix}{step.id}", step, rb)
            continue
        sub = resolve(step.text) if depth < MAX_DEPTH else None
        yield Placed(f"{prefix}{step.id}", step, rb, sub)
        if sub is not None:
            yield from _steps(sub, sub.steps, resolve, f"{prefix}{sub.id}/", depth + 1)


def find_step(rb: Runbook, key: str, resolve: Resolve) -> tuple[Runbook, Step]:
    """The runbook and step a key names (`step`, or `child/step` inside an include);
    KeyError if none."""
    head, _, rest = key.partition("/")
    if not rest:
        return rb, rb.step(head)
    for step in rb.steps:
        if step.action == INCLUDE:
            sub = resolve(step.text)
            if sub is not None and sub.id == head:
                return find_step(sub, rest, resolve)
    raise KeyError(key)


def cycle(root: str, target: str, resolve: Resolve) -> list[str] | None:
    """The include path from runbook `root` back to itself through its include of
    `target` (`[root, target, ..., root]`), if there is one."""
    seen: set[str] = set()

    def through(name: str, trail: list[str]) -> list[str] | None:
        trail = [*trail, name]
        if name == root:
            return trail
        if name in seen:
            return None
        seen.add(name)
        sub = resolve(name)
        for step in sub.steps if sub is not None else ():
            found = through(step.text, trail) if step.action == INCLUDE else None
            if found:
                return found
        return None

    return through(target, [root])
