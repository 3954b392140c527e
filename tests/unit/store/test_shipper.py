"""The shipper (store/shipper.py) against a fake store: in order, batched, never past what
is fsynced, the store down reported once and everything shipped once when it is back,
a conflicting store stopping it for good, and the run's end flushing the rest."""

from __future__ import annotations

import threading
from pathlib import Path

from runbookctl.record.journal import Journal
from runbookctl.store.shipper import STOPPED, UNREACHABLE, Pace, Shipper, ship_tail
from runbookctl.store.tail import Cursor, JournalTail
from tests.unit.store.conftest import FakeStore, write_events

FAST = Pace(linger=0.0, poll=0.01, retry=0.01, retry_max=0.02, batch=4)


def _shipper(run_dir: Path, store: FakeStore, **kw: object) -> tuple[Shipper, list[tuple[str, str]]]:
    reports: list[tuple[str, str]] = []
    shipper = Shipper(run_dir, store.name, lambda: store, pace=FAST,
                      report=lambda kind, message: reports.append((kind, message)), **kw)  # type: ignore[arg-type]
    return shipper, reports


def _journal_lines(run_dir: Path) -> list[str]:
    return (run_dir / "journal.jsonl").read_text().splitlines()


def test_ship_tail_sends_every_line_in_order_in_batches_and_moves_the_cursor(
        run_dir: Path, journal: Journal) -> None:
    write_events(journal, 10)
    store = FakeStore()
    tail = JournalTail(run_dir, Cursor(store.name))
    assert ship_tail(tail, store, run_dir, batch=4) == 10
    assert store.batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert store.lines(run_dir.name) == _journal_lines(run_dir)
    assert Cursor.load(run_dir, store.name).seq == 10
    assert ship_tail(tail, store, run_dir) == 0  # nothing new: nothing sent
    assert len(store.batches) == 3


def test_nothing_past_the_fsynced_size_is_shipped(run_dir: Path, journal: Journal) -> None:
    write_events(journal, 3)
    write_events(journal, 2, sync=False)  # written, not yet on disk for sure
    store = FakeStore()
    shipper, _ = _shipper(run_dir, store, durable=lambda: journal.synced_size)
    shipper.ship_once(journal.synced_size)
    assert [seq for (_run, seq) in store.rows] == [1, 2, 3]
    journal.sync()
    shipper.ship_once(journal.synced_size)
    assert store.lines(run_dir.name) == _journal_lines(run_dir)


def test_the_store_down_is_reported_once_and_every_event_arrives_once_when_it_is_back(
        run_dir: Path, journal: Journal) -> None:
    store = FakeStore()
    shipper, reports = _shipper(run_dir, store)
    write_events(journal, 3)
    assert shipper.ship_once(None)
    store.down = True
    write_events(journal, 3)
    assert not shipper.ship_once(None)
    write_events(journal, 3)
    assert not shipper.ship_once(None)
    assert [kind for kind, _ in reports] == [UNREACHABLE]  # once, however long it lasts
    store.down = False
    assert shipper.ship_once(None)
    assert store.lines(run_dir.name) == _journal_lines(run_dir)
    assert sorted(seq for (_run, seq) in store.rows) == list(range(1, 10))


def test_a_store_holding_another_event_under_the_same_seq_stops_the_shipping(
        run_dir: Path, journal: Journal) -> None:
    write_events(journal, 2)
    store = FakeStore()
    tail = JournalTail(run_dir, Cursor(store.name))
    batch = tail.read()
    assert batch is not None
    store.rows[run_dir.name, 2] = batch.rows[1].__class__(**{**batch.rows[1].__dict__, "hash": "f" * 64})
    shipper, reports = _shipper(run_dir, store)
    shipper.ship_once(None)
    assert shipper.stopped is not None and "other events" in shipper.stopped
    assert [kind for kind, _ in reports] == [STOPPED]
    assert Cursor.load(run_dir, store.name).seq == 0  # nothing counted as shipped


def test_the_thread_ships_as_events_come_and_close_flushes_the_rest(
        run_dir: Path, journal: Journal) -> None:
    store = FakeStore()
    shipper, reports = _shipper(run_dir, store, durable=lambda: journal.synced_size)
    shipper.start()
    write_events(journal, 5)
    shipper.notify()
    write_events(journal, 5, sync=False)
    journal.close()  # the run's end: everything fsynced
    assert shipper.close(timeout=10) == 0
    assert store.lines(run_dir.name) == _journal_lines(run_dir)
    assert reports == []


def test_a_note_from_another_writer_is_shipped_without_any_notify(run_dir: Path,
                                                                   journal: Journal) -> None:
    store = FakeStore()
    shipped = threading.Event()
    shipper, _ = _shipper(run_dir, store, durable=lambda: None)
    original = store.insert

    def insert(run_id: str, rows: list) -> None:  # type: ignore[type-arg]
        original(run_id, rows)
        shipped.set()

    store.insert = insert  # type: ignore[method-assign]
    shipper.start()
    other = Journal.open_append(run_dir / "journal.jsonl")  # `runbookctl note` elsewhere
    write_events(other, 1)
    other.close()
    assert shipped.wait(10)  # found by the poll, not woken by the run's stream
    shipper.close(timeout=10)
    assert store.lines(run_dir.name) == _journal_lines(run_dir)


def test_close_with_the_store_down_returns_at_once_with_what_is_pending(
        run_dir: Path, journal: Journal) -> None:
    store = FakeStore()
    store.down = True
    shipper, reports = _shipper(run_dir, store)
    shipper.start()
    write_events(journal, 4)
    assert shipper.close(timeout=10) == 4
    assert [kind for kind, _ in reports] == [UNREACHABLE]


def test_past_runs_are_shipped_once_when_the_store_first_answers(run_dir: Path,
                                                                  journal: Journal) -> None:
    store = FakeStore()
    calls: list[bool] = []
    called = threading.Event()

    def backlog(given: object, stop: object) -> None:
        calls.append(given is store)
        called.set()

    shipper, _ = _shipper(run_dir, store, backlog=backlog)
    write_events(journal, 1)
    shipper.start()
    assert called.wait(10)
    write_events(journal, 1)
    shipper.notify()
    shipper.close(timeout=10)
    assert calls == [True]  # once, not at every round
    assert len(store.lines(run_dir.name)) == 2


def test_the_cursor_file_is_rewritten_at_most_once_a_period_and_always_at_the_end(
        run_dir: Path, journal: Journal) -> None:
    # each rewrite is a rename in the run's folder, which the run's next fsync waits for
    store = FakeStore()
    shipper = Shipper(run_dir, store.name, lambda: store, pace=Pace(save=3600.0))
    write_events(journal, 2)
    assert shipper.ship_once(None)
    assert Cursor.load(run_dir, store.name).seq == 2  # the first batch: saved at once
    write_events(journal, 3)
    assert shipper.ship_once(None)
    assert [seq for (_run, seq) in store.rows] == [1, 2, 3, 4, 5]
    assert Cursor.load(run_dir, store.name).seq == 2  # shipped, the file not rewritten yet
    assert shipper.ship_once(None, final=True)
    assert Cursor.load(run_dir, store.name).seq == 5
    assert shipper.pending() == 0
