"""`store sync` (store/sync.py): every past run with events after its cursor, a run being
written left to its own run, a conflict in one run not stopping the others."""

from __future__ import annotations

from pathlib import Path

from runbookctl.record.journal import Journal
from runbookctl.store.sync import pending_runs, sync_runs
from tests.unit.store.conftest import FakeStore, write_events


def _run(root: Path, name: str, events: int) -> Path:
    run_dir = root / name
    run_dir.mkdir(parents=True)
    with Journal.create(run_dir / "journal.jsonl") as j:
        write_events(j, events)
    return run_dir


def test_sync_ships_what_is_pending_skips_busy_runs_and_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    a, b, busy = _run(root, "a", 3), _run(root, "b", 2), _run(root, "c", 1)
    (root / "not-a-run").mkdir()
    store = FakeStore()
    assert pending_runs(root, store.name) == [a, b, busy]
    result = sync_runs(pending_runs(root, store.name), store, lambda d: d != busy)
    assert (result.runs, result.events, result.busy, result.failed) == (2, 5, ["c"], [])
    assert pending_runs(root, store.name) == [busy]
    with Journal.open_append(a / "journal.jsonl") as j:  # a note after the run ended
        write_events(j, 1)
    again = sync_runs(pending_runs(root, store.name, skip=busy), store, lambda d: True)
    assert (again.runs, again.events) == (1, 1)
    assert len(store.lines("a")) == 4


def test_a_conflict_in_one_run_is_named_and_the_others_are_shipped(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    a, b = _run(root, "a", 2), _run(root, "b", 2)
    store = FakeStore()
    sync_runs([a], store, lambda d: True)
    (a / "store.cursor").unlink()
    row = store.rows["a", 1]
    store.rows["a", 1] = row.__class__(**{**row.__dict__, "hash": "0" * 64})
    result = sync_runs([a, b], store, lambda d: True)
    assert len(result.failed) == 1 and "run a at seq 1" in result.failed[0]
    assert result.events == 2 and len(store.lines("b")) == 2


def test_sync_stops_between_runs_when_asked(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    runs = [_run(root, name, 1) for name in ("a", "b")]
    store = FakeStore()
    assert sync_runs(runs, store, lambda d: True, stop=lambda: True).events == 0
