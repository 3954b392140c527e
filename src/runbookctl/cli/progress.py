"""The facts the terminal view tells about a run's progress, as text: where a step
stands in the plan (`[n/N]`), which attempt or poll is running, where a jump goes,
how long something took. Pure logic without a terminal: cli/terminal.py draws it
(styled on a terminal, plain lines elsewhere), tests check it directly.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from runbookctl.durations import format_elapsed, format_seconds


@dataclass(frozen=True)
class RunFacts:
    """What the header says before the first step."""

    runbook: str
    title: str
    severity: str | None
    run_id: str
    journal: str
    reports: str


class Progress:
    """Counts the steps of one run against its plan.

    `plan`: the keys of the steps the runbook can run, in file order, an include's
    steps in its place (the include step itself is not counted: its steps are). A
    step's number is its place in the plan, so a jump back shows the same number
    again, with the visit it is (`[2/5, visit 2]`): the count stays truthful."""

    def __init__(self, plan: Sequence[str] = ()) -> None:
        self._places: dict[str, int] = {}
        for key in plan:
            self._places.setdefault(key, len(self._places) + 1)
        self.total = len(self._places)
        self._visits: Counter[str] = Counter()
        self.started = time.monotonic()

    def place(self, key: str) -> str:
        """`[n/N]` for a step of the plan ('' for one outside it: an include step,
        weekly's carry-over); the visit when the walk comes back to it."""
        self._visits[key] += 1
        where = self._places.get(key)
        if where is None:
            return ""
        visit = self._visits[key]
        return f"[{where}/{self.total}{f', visit {visit}' if visit > 1 else ''}]"

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def attempt_text(number: int, attempts: int | None, elapsed: float | None = None,
                 within: float | None = None) -> str:
    """`attempt 2/3` for retries, `poll 4, 1m10s of 10m` for `until:`; '' for a
    first (and only) attempt, which needs no saying."""
    if within is not None:
        return f"poll {number}, {clock(elapsed or 0.0)} of {format_seconds(within)}"
    if attempts is None or attempts <= 1:
        return ""
    return f"attempt {number}/{attempts}"


def jump_text(to: str, why: str) -> str:
    """`→ on_failure: db-down`, `→ next: verify`, `→ next if … : x`, `→ on_no: x`:
    the rule that sent the walk there (the journal's `why`), then where it goes."""
    if why.startswith(("after failure", "on_failure")):
        rule = "on_failure"
    elif why.startswith("next: "):
        rule = f"next {why[len('next: '):]}"  # the condition that held
    else:
        rule = why.split(":", 1)[0] or "jump"
    return f"→ {rule}: {to}"


def clock(seconds: float) -> str:
    """A running time for people: `40s`, `1m10s`, `1h02m03s`."""
    return f"{int(seconds)}s" if seconds < 60 else format_elapsed(seconds)


def took(seconds: float) -> str:
    """How long a finished thing took: `0.4s`, `12.0s`, `1m05s`."""
    return format_elapsed(seconds)
