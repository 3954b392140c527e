"""Journal.append(sync=False): written at once, fsynced with the next synced event."""

from __future__ import annotations

import threading
from collections.abc import Callable
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


class HeldFsync:
    """os.fsync that holds, inside the call, until the test lets it return."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, error: OSError | None = None) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.error = error
        self.calls = 0
        real = journal_mod.os.fsync

        def held(fd: int) -> None:
            self.calls += 1
            self.entered.set()
            assert self.release.wait(30), "the test never released the fsync"
            if self.error is not None:
                raise self.error
            real(fd)

        monkeypatch.setattr(journal_mod.os, "fsync", held)


def _in_thread(call: Callable[[], object]) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()
    thread = threading.Thread(target=lambda: (call(), done.set()), daemon=True)
    thread.start()
    return thread, done


def test_sync_soon_returns_at_once_and_its_wait_lasts_until_the_fsync_is_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal.create(tmp_path / "journal.jsonl")
    journal.append("step_started", "a", "alice", sync=False)
    first = journal.synced_size
    held = HeldFsync(monkeypatch)
    wait = journal.sync_soon()  # returns while the fsync is still held
    assert held.entered.wait(30)
    journal.append("command_process", "a", "alice", {"pgid": 7}, sync=False)  # meanwhile
    thread, done = _in_thread(wait)
    thread.join(0.2)
    assert not done.is_set()  # still on the disk's side
    held.release.set()
    thread.join(30)
    assert done.is_set()
    size_after_first = len((tmp_path / "journal.jsonl").read_bytes().splitlines(keepends=True)[0])
    # on disk: what was written before the sync began, not the event written during it
    assert first < journal.synced_size == size_after_first
    journal.sync()
    assert journal.synced_size == (tmp_path / "journal.jsonl").stat().st_size
    assert held.calls == 2
    journal.close()
    assert verify_journal(tmp_path / "journal.jsonl") == []


def test_a_failed_background_fsync_breaks_the_journal_at_the_wait(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from runbookctl.errors import JournalError

    journal = Journal.create(tmp_path / "journal.jsonl")
    journal.append("step_started", "a", "alice", sync=False)
    held = HeldFsync(monkeypatch, OSError(errno.EIO, "Input/output error"))
    wait = journal.sync_soon()
    held.release.set()
    with pytest.raises(JournalError) as raised:
        wait()
    assert str(raised.value) == (f"cannot write the journal {tmp_path / 'journal.jsonl'}: "
                                 "Input/output error; the run stops here")
    with pytest.raises(JournalError, match="Input/output error"):
        journal.append("note", None, "alice")  # broken: nothing more is written


def test_closing_waits_for_a_background_fsync_in_flight(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal.create(tmp_path / "journal.jsonl")
    journal.append("step_started", "a", "alice", sync=False)
    held = HeldFsync(monkeypatch)
    journal.sync_soon()
    assert held.entered.wait(30)
    thread, done = _in_thread(journal.close)
    thread.join(0.2)
    assert not done.is_set()  # the file is not closed under it
    held.release.set()
    thread.join(30)
    assert done.is_set()


def test_nothing_unsynced_means_the_wait_is_a_plain_no_op(tmp_path: Path,
                                                          fsyncs: list[int]) -> None:
    journal = Journal.create(tmp_path / "journal.jsonl")
    journal.append("run_started", None, "alice")  # synced
    count = len(fsyncs)
    journal.sync_soon()()
    assert len(fsyncs) == count
    journal.close()
