"""Steps that wait for a time: `at: 2h` (not before two hours after the run's start)
and `wait: 15m` (fifteen minutes after the step is reached). A 48-hour watch is a
runbook of such checkpoints.

The deadline is a wall-clock instant, journaled (`waiting`, data: until, why) before
the wait begins, so a run killed while it waits and resumed later waits only for what
is left: `at:` counts from the run's first start (the journal's run_started, as the
reminders do), and `wait:` keeps the deadline its `waiting` event holds. Checkpoints
that finished are not run again (resume starts after them).

While it waits the engine shows the reminders that fall due (a 4-hour wait is where
the "post a status update" reminder matters most); Ctrl-C stops the run, resumable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from runbookctl.durations import format_elapsed, format_seconds
from runbookctl.record.journal import utc_timestamp
from runbookctl.record.run_state import epoch_of
from runbookctl.runbook.model import Step

# The longest sleep between two looks at the clock (and at the reminders): a wait is
# over within this of its deadline even if the machine slept.
SLICE = 1.0


@dataclass(frozen=True)
class Deadline:
    """When a step may start (epoch seconds) and why (as shown and journaled)."""

    until: float
    why: str

    @property
    def stamp(self) -> str:
        """The deadline as the journal writes times (UTC, ISO 8601)."""
        return utc_timestamp(datetime.fromtimestamp(self.until, UTC))

    def clock(self) -> str:
        return datetime.fromtimestamp(self.until, UTC).strftime("%H:%M:%S UTC")


@dataclass
class Waits:
    """The run's clock for timed steps. `started`: the run's first start (epoch);
    `resumed`: the deadlines a resumed run's journal holds, by step key."""

    started: float
    resumed: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of_resumed(cls, started: float, deadlines: Mapping[str, str]) -> Waits:
        """The waits of a resumed run: `deadlines` are the `until` of its `waiting` events."""
        parsed = {key: epoch_of(stamp) for key, stamp in deadlines.items()}
        return cls(started, {key: at for key, at in parsed.items() if at is not None})

    def deadline(self, step: Step, key: str) -> Deadline | None:
        """When `step` may start; None when it has no `at:` or `wait:`."""
        if step.start_at is None and step.wait is None:
            return None
        candidates: list[Deadline] = []
        if step.start_at is not None:
            candidates.append(Deadline(self.started + step.start_at,
                                       f"at: T+{format_seconds(step.start_at)}"))
        if step.wait is not None:
            # A resumed run keeps the deadline it journaled; once: a later pass of the
            # same step (a loop) waits afresh.
            until = self.resumed.pop(key, None)
            candidates.append(Deadline(until if until is not None else time.time() + step.wait,
                                       f"wait: {format_seconds(step.wait)}"))
        return max(candidates, key=lambda d: d.until)

    def left(self, deadline: Deadline) -> float:
        return max(0.0, deadline.until - time.time())

    def wait(self, deadline: Deadline, between: Callable[[], None]) -> None:
        """Sleep until the deadline, calling `between` at each look at the clock."""
        while True:
            left = self.left(deadline)
            if left <= 0:
                return
            time.sleep(min(SLICE, left))
            between()

    def describe(self, deadline: Deadline) -> str:
        """`waiting until 14:32:05 UTC (at: T+2h; 1h12m left)`, or that it is due."""
        left = self.left(deadline)
        if left <= 0:
            late = time.time() - deadline.until
            return f"{deadline.why}: due since {deadline.clock()} ({format_elapsed(late)} ago)"
        return f"waiting until {deadline.clock()} ({deadline.why}; {format_elapsed(left)} left)"
