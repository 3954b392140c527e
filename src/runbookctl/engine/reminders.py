"""A runbook's `remind:` entries, due as the run goes: measured from the run's start
by the wall clock, so a resumed run keeps the incident's own rhythm (its start is
the journal's run_started) instead of starting the count again.

A reminder is due at every multiple of its `every`; the engine asks between steps.
When several multiples went by while one step ran (or while the run was stopped,
before a resume), it is shown once, not once per missed multiple.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runbookctl.record.run_state import epoch_of
from runbookctl.runbook.model import Reminder


@dataclass(frozen=True)
class Due:
    """A reminder to show now: the `slot`-th multiple of its `every` has passed."""

    reminder: Reminder
    slot: int
    elapsed: float  # seconds since the run's start


class Reminders:
    """Which reminders are due. `started`: the run's start (epoch seconds); `shown`:
    the last slot shown of each reminder, by (message, every), as journaled."""

    def __init__(self, reminders: Sequence[Reminder], started: float | None = None,
                 shown: Mapping[tuple[str, float], int] | None = None) -> None:
        self.reminders = tuple(reminders)
        self.started = time.time() if started is None else started
        self.shown: dict[tuple[str, float], int] = dict(shown or {})

    @classmethod
    def resumed(cls, reminders: Sequence[Reminder], started: str,
                shown: Mapping[tuple[str, float], int]) -> Reminders:
        """The reminders of a resumed run: counted from its first start (`started`, the
        journal's timestamp), each due again after the last slot its journal shows."""
        # None: no start in the record (cannot happen in a journal runbookctl wrote)
        epoch = epoch_of(started)
        return cls(reminders, epoch, shown)

    def due(self) -> list[Due]:
        """The reminders due now, each marked shown (asking again returns none)."""
        if not self.reminders:
            return []  # the usual case: no clock read between steps
        elapsed = time.time() - self.started
        out: list[Due] = []
        for reminder in self.reminders:
            slot = math.floor(elapsed / reminder.every) if elapsed > 0 else 0
            key = (reminder.message, reminder.every)
            if slot > self.shown.get(key, 0):
                self.shown[key] = slot
                out.append(Due(reminder, slot, elapsed))
        return out
