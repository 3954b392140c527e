"""Several writers to one journal (the run, and `runbookctl note` from other terminals):
every append chains onto the event last written by anyone, so the hash chain stays
whole however the writers interleave, and no event is lost."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from runbookctl.record.chain import verify_journal
from runbookctl.record.journal import Journal, read_journal


def _note(path: Path, text: str) -> None:
    with Journal.open_append(path) as other:
        other.append("note", None, "bob", {"text": text, "origin": "command"})


def test_the_run_chains_on_from_a_note_another_writer_appended(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {"run_id": "r"})
    _note(path, "from elsewhere")
    event = run.append("step_started", "a", "runbookctl", {})
    run.close()
    events = read_journal(path).events
    assert [e.type for e in events] == ["run_started", "note", "step_started"]
    assert event.seq == 3 and event.hash == events[-1].hash
    assert verify_journal(path) == []


def test_follow_moves_the_head_to_what_others_wrote_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {})
    _note(path, "one")
    _note(path, "two")
    size = path.stat().st_size
    run.follow()
    assert (run.seq, run.head_hash) == (3, read_journal(path).head_hash)
    assert path.stat().st_size == size
    run.close()


def test_a_line_cut_off_by_a_killed_note_writer_is_removed_before_the_run_appends(
        tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {})
    _note(path, "whole")
    with open(path, "ab") as killed:
        killed.write(b'{"actor":"bob","data":{"text":"cut')
    run.append("run_finished", None, "runbookctl", {"status": "completed"})
    run.close()
    replay = read_journal(path)
    assert [e.seq for e in replay.events] == [1, 2, 3] and replay.torn is None
    assert verify_journal(path) == []


def _writer(path: str, name: str, count: int) -> None:
    for n in range(count):
        _note(Path(path), f"{name} {n}")


def test_many_processes_appending_at_once_lose_nothing_and_keep_the_chain(
        tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {})
    fork = multiprocessing.get_context("fork")
    writers = [fork.Process(target=_writer, args=(str(path), f"w{i}", 15)) for i in range(6)]
    for proc in writers:
        proc.start()
    for n in range(60):  # the run keeps writing meanwhile
        run.append("step_finished", f"s{n}", "runbookctl", {"status": "ok"}, sync=n % 3 == 0)
    for proc in writers:
        proc.join(60)
        assert proc.exitcode == 0
    run.append("run_finished", None, "runbookctl", {"status": "completed"})
    run.close()
    events = read_journal(path).events
    assert verify_journal(path) == []
    assert [e.seq for e in events] == list(range(1, 1 + 1 + 60 + 90 + 1))
    notes = sorted(e.data["text"] for e in events if e.type == "note")
    assert notes == sorted(f"w{i} {n}" for i in range(6) for n in range(15))
    for i in range(6):  # each writer's notes in the order it wrote them
        mine = [e.data["text"] for e in events if e.type == "note" and e.data["text"].startswith(f"w{i} ")]
        assert mine == [f"w{i} {n}" for n in range(15)]


def test_reopening_to_append_takes_the_lock_to_cut_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {})
    run.close()
    with open(path, "ab") as killed:
        killed.write(b'{"seq":2')
    with Journal.open_append(path) as again:
        assert again.torn_tail is not None
        again.append("note", None, "bob", {"text": "x"})
    assert verify_journal(path) == []


def test_a_line_that_is_not_an_event_from_another_writer_is_left_for_verify_to_name(
        tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {})
    with open(path, "ab") as stray:
        stray.write(b"not json\n")
    event = run.append("run_finished", None, "runbookctl", {"status": "completed"})
    run.close()
    assert event.seq == 2  # the chain goes on from the last event, past the stray line
    assert verify_journal(path) == ["line 2: not a journal event (Expecting value)"]


def test_written_is_every_event_of_the_file_as_read_back(tmp_path: Path) -> None:
    """The report of a run is replayed from these: they must be what a read gives."""
    path = tmp_path / "journal.jsonl"
    with Journal.create(path) as run:
        run.append("run_started", None, "alice", {"run_id": "r", "at": Path("/x")})
        run.append("step_started", "a", "runbookctl", {"hosts": ("h1", "h2")}, sync=False)
        assert run.written() == read_journal(path).events
    with Journal.open_append(path) as resumed:  # a resumed run: what it read, then more
        resumed.append("run_resumed", None, "alice", {})
        assert resumed.written() == read_journal(path).events
        assert [e.seq for e in resumed.written() or []] == [1, 2, 3]
    assert resumed.written() == read_journal(path).events  # closed: still checked


def test_written_is_none_once_another_writer_appended(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {})
    _note(path, "not seen yet")
    assert run.written() is None  # the file grew: a read is needed
    run.append("step_started", "a", "runbookctl", {})  # follows the note first
    assert run.written() is None  # and stays a read from then on
    run.close()
    assert len(read_journal(path).events) == 3


def test_written_is_none_for_a_journal_opened_damaged(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal.create(path) as run:
        run.append("run_started", None, "alice", {})
    with open(path, "ab") as damage:
        damage.write(b"not an event\n")
    with Journal.open_append(path) as resumed:
        resumed.append("run_resumed", None, "alice", {})
        assert resumed.written() is None


def test_a_signal_while_following_another_writer_leaves_nothing_reused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C lands after the run read a note's line and before it took its seq: the
    next append follows that line again (no seq reused, the chain whole) and the end
    of the run reads the file (which has the note) rather than what it wrote."""
    import runbookctl.record.journal as journal_module

    path = tmp_path / "journal.jsonl"
    run = Journal.create(path)
    run.append("run_started", None, "alice", {})
    _note(path, "from elsewhere")
    real = journal_module._parse_line
    calls = iter([KeyboardInterrupt()])

    def interrupted(line: bytes) -> object:
        failure = next(calls, None)
        if failure is not None:
            raise failure
        return real(line)

    monkeypatch.setattr(journal_module, "_parse_line", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run.append("step_started", "a", "runbookctl", {})
    assert run.written() is None
    event = run.append("run_interrupted", None, "runbookctl", {})
    run.close()
    assert event.seq == 3
    assert [e.type for e in read_journal(path).events] == ["run_started", "note", "run_interrupted"]
    assert verify_journal(path) == []
