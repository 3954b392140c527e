"""A journal written by the real Journal, and a fake store that keeps rows in a dict:
the shipper's logic is tested without a server (tests/integration/test_store.py has one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runbookctl.record.journal import Journal
from runbookctl.store.postgres import Row, StoreConflict, StoreUnavailable


class FakeStore:
    """`insert` as the real one behaves: idempotent by (run id, seq), a different hash
    refused, all or nothing; `down` makes every call fail like a lost server."""

    name = "rb@db:5432/runs"

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], Row] = {}
        self.batches: list[list[int]] = []
        self.down = False
        self.closed = 0

    def insert(self, run_id: str, rows: list[Row]) -> None:
        if self.down:
            raise StoreUnavailable("the store rb@db:5432/runs: server closed the connection")
        clash = [r.seq for r in rows if (run_id, r.seq) in self.rows
                 and self.rows[run_id, r.seq].hash != r.hash]
        if clash:
            raise StoreConflict(f"the store holds other events for run {run_id} at seq {clash[0]}")
        self.batches.append([r.seq for r in rows])
        for r in rows:
            self.rows.setdefault((run_id, r.seq), r)

    def lines(self, run_id: str) -> list[str]:
        return [r.line for (rid, _seq), r in sorted(self.rows.items()) if rid == run_id]

    def close(self) -> None:
        self.closed += 1


def write_events(journal: Journal, count: int, sync: bool = True) -> None:
    for i in range(count):
        journal.append("note", None, "tester", {"text": f"event {i}", "origin": "prompt"}, sync=sync)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    path = tmp_path / "runs" / "20261201T000000Z-db-0001"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def journal(run_dir: Path) -> Iterator[Journal]:
    j = Journal.create(run_dir / "journal.jsonl")
    yield j
    j.close()
