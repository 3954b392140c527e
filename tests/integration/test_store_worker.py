"""A run's shipper process (store/worker.py) against a real PostgreSQL: every event
shipped once, in order, never past what the run has fsynced, all of it in the store
when `close` returns — forked from the run and as a fresh interpreter — and nothing
written to the run's terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.record.journal import Journal
from runbookctl.store.postgres import connect
from runbookctl.store.schema import migrate
from runbookctl.store.tail import Cursor
from runbookctl.store.worker import ShipperProcess
from tests.services import TeamStore, postgres, team_store
from tests.unit.store.conftest import journal, run_dir
from tests.waiting import wait_for

pytestmark = pytest.mark.integration
__all__ = ["journal", "postgres", "run_dir", "team_store"]  # the fixtures, imported by name


@pytest.fixture
def store(team_store: TeamStore) -> TeamStore:
    admin = connect(team_store.admin_url, check_schema=False)
    try:
        migrate(admin.conn, team_store.tool)
    finally:
        admin.close()
    return team_store


def _write(journal: Journal, count: int, sync: bool = True) -> None:
    for i in range(count):
        journal.append("note", None, "tester", {"text": f"event {i}", "origin": "prompt"}, sync=sync)


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_every_event_is_in_the_store_once_in_order_and_never_before_it_is_fsynced(
        store: TeamStore, run_dir: Path, journal: Journal, fork: bool,
        capfd: pytest.CaptureFixture[str]) -> None:
    reports: list[tuple[str, str]] = []
    shipper = ShipperProcess(run_dir, store.url(), "the store", durable=lambda: journal.synced_size,
                             report=lambda kind, message: reports.append((kind, message)),
                             every=0.01, fork=fork).start()
    _write(journal, 3)
    _write(journal, 2, sync=False)  # written, not yet on disk for sure
    shipper.notify()
    # one batch of what is fsynced: had it read past it, all 5 would go together
    wait_for("the fsynced events in the store", lambda: store.lines(run_dir.name) or None)
    assert len(store.lines(run_dir.name)) == 3
    assert Cursor.load(run_dir, "the store").seq == 3
    _write(journal, 20)
    shipper.notify()
    _write(journal, 4, sync=False)
    journal.sync()  # the run's end: StoreLink.close fsyncs, then closes the shipper
    assert shipper.close(timeout=30) == 0
    lines = (run_dir / "journal.jsonl").read_text().splitlines()
    assert len(lines) == 29
    assert store.lines(run_dir.name) == lines  # each once, in seq order
    assert reports == [] and shipper.exit_code == 0
    assert capfd.readouterr() == ("", "")


def test_an_fsync_with_no_event_after_it_is_shipped_while_the_run_waits(
        store: TeamStore, run_dir: Path, journal: Journal) -> None:
    # events written unsynced, then fsynced by Journal.sync with no event after them (a
    # command may then run for hours): the team must see them without waiting for its end
    shipper = ShipperProcess(run_dir, store.url(), "the store", durable=lambda: journal.synced_size,
                             report=lambda kind, message: None, every=0.01).start()
    try:
        _write(journal, 2)
        _write(journal, 2, sync=False)
        shipper.notify()
        wait_for("the fsynced events in the store", lambda: store.lines(run_dir.name) or None)
        journal.sync()  # no notify after it
        wait_for("the events fsynced since", lambda: len(store.lines(run_dir.name)) == 4 or None)
    finally:
        shipper.close(timeout=30)
    assert store.lines(run_dir.name) == (run_dir / "journal.jsonl").read_text().splitlines()
