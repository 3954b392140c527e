"""Journal.append(sync=False): written at once, fsynced with the next synced event."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.record import journal as journal_mod
from runbookctl.record.chain import verify_journal
from runbookctl.record.journal import Journal, read_journal


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = journal_mod.os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(journal_mod.os, "fsync", counting)
    return calls


def test_deferred_event_is_on_disk_at_once_and_synced_by_the_next(tmp_path: Path,
                                                                  fsyncs: list[int]) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal.create(path)
    before = len(fsyncs)  # creating fsyncs the folder
    journal.append("step_started", "a", "system", {}, sync=False)
    assert len(fsyncs) == before
    assert [e.type for e in read_journal(path).events] == ["step_started"]  # a kill loses nothing
    journal.append("command_started", "a", "system", {"command": "true"})
    assert len(fsyncs) == before + 1
    journal.sync()  # nothing pending
    assert len(fsyncs) == before + 1
    journal.close()
    assert verify_journal(path) == []


def test_close_and_sync_flush_pending_events(tmp_path: Path, fsyncs: list[int]) -> None:
    journal = Journal.create(tmp_path / "journal.jsonl")
    before = len(fsyncs)
    journal.append("step_finished", "a", "system", {"status": "ok"}, sync=False)
    journal.sync()
    assert len(fsyncs) == before + 1
    journal.append("step_finished", "b", "system", {"status": "ok"}, sync=False)
    journal.close()
    assert len(fsyncs) == before + 2
    assert [e.step for e in read_journal(tmp_path / "journal.jsonl").events] == ["a", "b"]
