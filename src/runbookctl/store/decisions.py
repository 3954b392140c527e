"""Approvals across machines through the store (docs/store.md, section 6).

A run waits for approval on machine A; the approver is on machine B, which has
the run only as the store holds it. `runbookctl approve` on B checks the decision
against those events (record/approvals.py:check_decision: a second person, a step
still waiting) and inserts it into the store's `decisions` table with the seq of
the request it answers (`propose`). The waiting engine on A polls the table
through `StoreDecisions` (a record/approvals.py:DecisionSource) and journals the
decision itself, in its own journal: the store never writes a run's events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.record.approvals import Decided, check_decision
from runbookctl.store.postgres import StoreUnavailable

if TYPE_CHECKING:
    from runbookctl.record.journal import Event
    from runbookctl.store.postgres import PgStore

VIA = "store"  # how the engine journals a decision that came through the store


def propose(store: PgStore, events: Sequence[Event], step: str, decision: str, by: str,
            reason: str | None, via: str) -> int:
    """Check a decision against the run's events as the store has them and add it to the
    decisions table; the seq of the request it answers. UsageError says why not."""
    from runbookctl.errors import UsageError

    if decision not in ("approve", "reject"):
        raise UsageError(f"the decision must be approve or reject, not {decision!r}")
    if decision == "reject" and not (reason or "").strip():
        raise UsageError("a rejection needs a reason (--reason TEXT): the operator and the "
                         "report show why")
    request = check_decision(events, step, by.strip())
    run_id = str(events[0].data.get("run_id", "")) if events else ""
    store.add_decision(run_id, step, decision, by.strip(), (reason or "").strip() or None, via,
                       request.seq)
    return request.seq


class StoreDecisions:
    """The waiting engine's look at the store: a decision inserted for the step's open
    request (read from the run's own journal), at most one query every `every` seconds;
    the store down counts as no decision yet."""

    def __init__(self, run_dir: Path, connect: Callable[[], PgStore], every: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.run_dir = run_dir
        self._connect, self._every, self._clock = connect, every, clock
        self._store: PgStore | None = None
        self._next = 0.0

    def poll(self, run_id: str, step_id: str) -> Decided | None:
        from runbookctl.record.approvals import open_request
        from runbookctl.record.journal import read_journal

        now = self._clock()
        if now < self._next:
            return None
        self._next = now + self._every
        request = open_request(read_journal(self.run_dir / "journal.jsonl").events, step_id)
        if request is None:
            return None
        try:
            self._store = self._store or self._connect()
            rows = self._store.decisions(run_id, step_id, request.seq)
        except StoreUnavailable:
            self.close()
            return None
        if not rows:
            return None
        decision, by, reason = rows[0]
        return Decided("approve" if decision == "approve" else "reject", by, reason, VIA,
                       journaled=False)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
