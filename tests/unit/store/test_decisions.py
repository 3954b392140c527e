"""Approvals across machines (store/decisions.py) with a fake store: a decision is
checked against the run's events before it is stored, and the waiting engine finds it
for the request it answers only, at most once a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.record import events as ev
from runbookctl.record.journal import Journal, read_journal
from runbookctl.store.decisions import StoreDecisions, propose
from runbookctl.store.postgres import StoreUnavailable


class DecisionTable:
    name = "rb@db:5432/runs"

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str | None, str, int]] = []
        self.down = False
        self.queries = 0

    def add_decision(self, run_id: str, step: str, decision: str, by: str, reason: str | None,
                     via: str, request_seq: int) -> None:
        self.rows.append((run_id, step, decision, by, reason, via, request_seq))

    def decisions(self, run_id: str, step: str, request_seq: int) -> list[tuple[str, str, str | None]]:
        self.queries += 1
        if self.down:
            raise StoreUnavailable("down")
        return [(d, b, r) for rid, s, d, b, r, _via, seq in self.rows
                if (rid, s, seq) == (run_id, step, request_seq)]

    def close(self) -> None:
        pass


def _waiting_run(run_dir: Path) -> int:
    with Journal.create(run_dir / "journal.jsonl") as j:
        j.append(ev.RUN_STARTED, None, "alice", {"run_id": run_dir.name, "runbook": "db"})
        return j.append(ev.APPROVAL_REQUESTED, "drop", "runbookctl", {"operator": "alice"}).seq


def test_a_decision_is_checked_then_stored_with_the_request_it_answers(run_dir: Path) -> None:
    seq = _waiting_run(run_dir)
    events = read_journal(run_dir / "journal.jsonl").events
    table = DecisionTable()
    with pytest.raises(UsageError, match=r"must not be the run's operator \(alice\)"):
        propose(table, events, "drop", "approve", "alice", None, "cli")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="step other is not waiting for approval"):
        propose(table, events, "other", "approve", "bob", None, "cli")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="a rejection needs a reason"):
        propose(table, events, "drop", "reject", "bob", " ", "cli")  # type: ignore[arg-type]
    assert table.rows == []
    assert propose(table, events, "drop", "approve", "bob", "ok", "cli") == seq  # type: ignore[arg-type]
    assert table.rows == [(run_dir.name, "drop", "approve", "bob", "ok", "cli", seq)]


def test_the_engine_finds_the_decision_for_its_open_request_at_most_once_a_second(
        run_dir: Path) -> None:
    seq = _waiting_run(run_dir)
    table = DecisionTable()
    now = [100.0]
    source = StoreDecisions(run_dir, lambda: table, every=1.0, clock=lambda: now[0])  # type: ignore[arg-type, return-value]
    assert source.poll(run_dir.name, "drop") is None
    table.add_decision(run_dir.name, "drop", "approve", "bob", None, "cli", seq - 1)  # an older request
    table.add_decision(run_dir.name, "drop", "reject", "bob", "not now", "cli", seq)
    assert source.poll(run_dir.name, "drop") is None  # too soon: no query
    assert table.queries == 1
    now[0] += 1.0
    found = source.poll(run_dir.name, "drop")
    assert found is not None and (found.decision, found.by, found.reason) == ("reject", "bob", "not now")
    assert found.via == "store" and not found.journaled  # the engine journals it itself
    table.down = True
    now[0] += 1.0
    assert source.poll(run_dir.name, "drop") is None  # the store down: no decision yet
