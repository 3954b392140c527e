"""`runbookctl store sync`: ship whatever any past run of this state folder has not yet
shipped (the store was down, the run ended before its last batch went, a note was
added after the run ended). A run being written now (its lock held) is left to its
own shipper. Also run in the background by the next run, once its store answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runbookctl.store.shipper import Store, ship_tail
from runbookctl.store.tail import JOURNAL_NAME, Cursor, JournalTail, reset_if_stale


@dataclass
class SyncResult:
    runs: int = 0  # runs that had events to ship
    events: int = 0
    busy: list[str] = field(default_factory=list)  # runs being written now: left to their run
    failed: list[str] = field(default_factory=list)  # why a run could not be shipped


def pending_runs(runs_root: Path, store_name: str, skip: Path | None = None) -> list[Path]:
    """Run folders whose journal goes on past their cursor for this store, oldest first."""
    if not runs_root.is_dir():
        return []
    out = []
    for run_dir in sorted(runs_root.iterdir()):
        if run_dir == skip or not (run_dir / JOURNAL_NAME).is_file():
            continue
        tail = JournalTail(run_dir, Cursor.load(run_dir, store_name))
        if tail.pending():
            out.append(run_dir)
    return out


def sync_runs(runs: list[Path], store: Store, is_free: Callable[[Path], bool],
              stop: Callable[[], bool] = lambda: False) -> SyncResult:
    """Ship each run's pending lines; a conflict or bad line in one run is named and
    the others go on. StoreUnavailable propagates: nothing more can be done now."""
    from runbookctl.store.postgres import StoreConflict
    from runbookctl.store.tail import BadJournalLine

    result = SyncResult()
    for run_dir in runs:
        if stop():
            break
        if not is_free(run_dir):
            result.busy.append(run_dir.name)
            continue
        tail = JournalTail(run_dir, Cursor.load(run_dir, store.name))
        reset_if_stale(tail)
        try:
            shipped = ship_tail(tail, store, run_dir)
        except (StoreConflict, BadJournalLine) as exc:
            result.failed.append(exc.message)
            continue
        result.runs += shipped > 0
        result.events += shipped
    return result
