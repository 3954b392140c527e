"""Shipping a run's journal to the store, in order, batched, off the run's path.

The run never waits for the store. The journal is written and fsynced first,
exactly as without a store (record/journal.py); the shipper's thread, woken by
`Shipper.notify`, reads the journal's new whole lines — no further than what is
fsynced (`durable`), so the store never holds an event this disk could still
lose — and inserts them in batches, one transaction each, then moves the run's
cursor (store/tail.py). A run's Shipper lives in a process of its own
(store/worker.py), so none of this holds the run's GIL.

The store down or slow: the run goes on; the shipper reports it once (`report`:
the run journals a `store_unreachable` event and the terminal shows it), keeps
the lines in the journal and tries again with a growing pause; when the store is
back it ships everything pending, in order. A store that holds a different event
under the same seq, or a journal line that is not an event, stops the shipping for
good (reported once): that is damage for `verify`, never something to paper over.

At the run's end `close` gives the shipper a short, bounded time to send the rest;
what is still pending then is left for `runbookctl store sync` (store/sync.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runbookctl.store.postgres import Row, StoreConflict, StoreUnavailable
from runbookctl.store.tail import BadJournalLine, Cursor, JournalTail, reset_if_stale

UNREACHABLE = "unreachable"  # the store is down: the events wait in the journal
STOPPED = "stopped"  # a conflict or a bad line: nothing more is shipped for this run


class Store(Protocol):
    name: str

    def insert(self, run_id: str, rows: list[Row]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Pace:
    """How the shipper batches and retries (the tests make it faster)."""

    linger: float = 0.2  # after a wake-up, wait this long so events gather into one batch
    poll: float = 1.0  # look at the journal this often anyway: other writers' notes
    retry: float = 0.5  # the first pause after a failure, doubled up to `retry_max`
    retry_max: float = 5.0
    batch: int = 500  # lines per insert
    # the cursor file is rewritten at most this often, and at the end: each rewrite is a
    # rename in the run's folder, which the run's next fsync of its journal also waits for
    save: float = 1.0


def ship_tail(tail: JournalTail, store: Store, run_dir: Path, limit: int | None = None,
              batch: int = 500, *, save: bool = True) -> int:
    """Ship a journal's whole lines after its cursor (to byte `limit`), batch by batch,
    moving the cursor after each (and saving it, with `save`); the number of events shipped."""
    shipped = 0
    while (found := tail.read(limit, batch)) is not None:
        store.insert(run_dir.name, found.rows)
        tail.advance(found)
        if save:
            tail.cursor.save(run_dir)
        shipped += len(found.rows)
    return shipped


class Shipper:
    """The background thread that ships one run's journal (see the module docstring)."""

    def __init__(self, run_dir: Path, store_name: str, connect: Callable[[], Store], *,
                 durable: Callable[[], int | None] = lambda: None,
                 report: Callable[[str, str], None] = lambda kind, message: None,
                 backlog: Callable[[Store, Callable[[], bool]], None] | None = None,
                 pace: Pace | None = None) -> None:
        self.run_dir = run_dir
        self.tail = JournalTail(run_dir, Cursor.load(run_dir, store_name))
        reset_if_stale(self.tail)
        self.pace = pace or Pace()
        self.shipped = 0
        self.stopped: str | None = None  # why shipping stopped for good
        self._connect, self._durable, self._report = connect, durable, report
        self._backlog = backlog  # past runs' pending events, shipped once when idle
        self._store: Store | None = None
        self._warned = False
        self._unsaved, self._saved_at = False, -self.pace.save  # the cursor, as on disk
        self._wake, self._closing = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runbookctl-store", daemon=True)

    def start(self) -> Shipper:
        self._thread.start()
        return self

    def notify(self, _event: object = None) -> None:
        """The event stream's subscriber: new lines are in the journal."""
        self._wake.set()

    def close(self, timeout: float) -> int:
        """Ship what is left, waiting at most `timeout` seconds; the events still pending."""
        self._closing.set()
        self._wake.set()
        self._thread.join(timeout)
        return self.pending()

    def pending(self) -> int:
        """Whole journal lines after the cursor (not shipped yet)."""
        return self.tail.count_pending()

    def ship_once(self, limit: int | None, final: bool = False) -> bool:
        """Ship what is pending up to byte `limit`; False when the store is unreachable.
        The cursor is saved when `final`, or when it was last saved `pace.save` ago."""
        before = self.tail.cursor.seq
        try:
            store = self._store or self._open()
            self.shipped += ship_tail(self.tail, store, self.run_dir, limit, self.pace.batch,
                                      save=False)
        except StoreUnavailable as exc:
            self._drop()
            if not self._warned:
                self._warned = True
                self._report(UNREACHABLE, exc.message)
            return False
        except (StoreConflict, BadJournalLine) as exc:
            self.stopped = exc.message
            self._report(STOPPED, exc.message)
        finally:
            self._save_cursor(final, moved=self.tail.cursor.seq != before)
        return True

    def _save_cursor(self, final: bool, moved: bool) -> None:
        self._unsaved = self._unsaved or moved
        now = time.monotonic()
        if self._unsaved and (final or now - self._saved_at >= self.pace.save):
            self.tail.cursor.save(self.run_dir)
            self._unsaved, self._saved_at = False, now

    def _loop(self) -> None:
        pause = 0.0
        try:
            while self.stopped is None:
                if not self._closing.is_set():
                    self._wake.wait(pause or self.pace.poll)
                final = self._closing.is_set()
                if not final and pause == 0.0:
                    final = self._closing.wait(self.pace.linger)  # gather a moment's events
                self._wake.clear()
                # the last round ships to the end: the run has fsynced and closed its journal
                ok = self.ship_once(None if final else self._durable(), final)
                if final:
                    break
                pause = 0.0 if ok else min(max(pause * 2, self.pace.retry), self.pace.retry_max)
                if ok and self._backlog is not None and self._store is not None:
                    self._ship_backlog(self._store)
        finally:
            self._drop()

    def _ship_backlog(self, store: Store) -> None:
        backlog, self._backlog = self._backlog, None
        try:
            assert backlog is not None
            backlog(store, self._closing.is_set)  # the run's end stops it between runs
        except (StoreUnavailable, StoreConflict, BadJournalLine):
            self._drop()  # past runs wait for `store sync`; this run's own shipping goes on

    def _open(self) -> Store:
        self._store = self._connect()
        return self._store

    def _drop(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

