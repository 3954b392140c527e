"""The journal: canonical JSONL lines, hash chain, torn tails, tamper detection,
and write failures that stop the run."""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbookctl.errors import JournalError
from runbookctl.record.chain import verify_journal
from runbookctl.record.journal import (
    GENESIS,
    Journal,
    canonical_json,
    event_hash,
    read_journal,
    utc_timestamp,
)


def write_events(path: Path, count: int) -> Journal:
    journal = Journal.create(path)
    for n in range(1, count + 1):
        journal.append("step_end", f"step-{n}", "alice", {"n": n, "note": "é ✓"})
    return journal


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_each_line_is_canonical_json_chained_by_sha256(tmp_path: Path) -> None:
    path = tmp_path / "run" / "journal.jsonl"
    journal = write_events(path, 3)
    journal.close()
    prev = "0" * 64
    for seq, line in enumerate(lines_of(path), start=1):
        obj = json.loads(line)
        assert line == json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        body = {k: v for k, v in obj.items() if k != "hash"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert obj["hash"] == hashlib.sha256((prev + canonical).encode()).hexdigest()
        assert obj["seq"] == seq and obj["step"] == f"step-{seq}" and obj["actor"] == "alice"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj["ts"])
        prev = obj["hash"]
    assert journal.head_hash == prev
    assert verify_journal(path) == []


def test_timestamps_are_utc(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path / "j.jsonl")
    journal.clock = lambda: datetime(2024, 5, 1, 14, 30, 5, 123456, tzinfo=UTC)
    assert journal.append("run_start", None, "bob", {}).ts == "2024-05-01T14:30:05.123Z"


def test_appended_event_equals_the_replayed_one(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal.create(path)
    written = journal.append("capture", "usage", "bob", {"path": Path("/x"), "items": (1, 2)})
    assert read_journal(path).events == [written]
    assert written.data == {"path": "/x", "items": [1, 2]}


_JOURNALS = itertools.count()
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(type_=st.text(min_size=1), step=st.none() | st.text(), actor=st.text(),
       data=st.dictionaries(st.text(), JSON_VALUES, max_size=4))
def test_the_line_and_the_hash_are_those_of_the_whole_event(
    tmp_path: Path, type_: str, step: str | None, actor: str, data: dict[str, object]
) -> None:
    # append builds the line around the hash instead of serialising the event again:
    # it must be byte for byte the canonical JSON of the whole event, and the hash that
    # of the event without it, whatever the strings hold (quotes, escapes, unicode).
    path = tmp_path / f"j{next(_JOURNALS)}.jsonl"  # hypothesis reuses tmp_path across examples
    journal = Journal.create(path)
    first = journal.append("run_started", None, "alice", {})
    event = journal.append(type_, step, actor, data)
    journal.close()
    line = path.read_bytes().decode("utf-8").split("\n")[1]
    assert line == canonical_json(event.to_dict())
    assert event.hash == event_hash(first.hash, event.to_dict())
    assert json.loads(line)["data"] == event.data and (event.type, event.step) == (type_, step)


@given(st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.timezones()))
def test_timestamps_read_as_iso_8601_utc_with_milliseconds(moment: datetime) -> None:
    utc = moment.astimezone(UTC)
    assert utc_timestamp(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{utc.microsecond // 1000:03d}Z"


def test_create_refuses_an_existing_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_events(path, 1).close()
    with pytest.raises(JournalError, match=r"cannot create the journal .*File exists"):
        Journal.create(path)
    assert len(lines_of(path)) == 1


def test_open_append_continues_seq_and_chain(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    first = write_events(path, 2)
    head = first.head_hash
    first.close()
    journal = Journal.open_append(path)
    assert (journal.seq, journal.head_hash, journal.torn_tail) == (2, head, None)
    event = journal.append("run_resume", None, "alice", {})
    assert event.seq == 3
    assert verify_journal(path) == []
    assert [e.seq for e in read_journal(path).events] == [1, 2, 3]


def test_torn_last_line_is_reported_then_cut_off_on_append(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_events(path, 3).close()
    whole = path.read_bytes()
    with path.open("ab") as f:
        f.write(b'{"actor":"alice","data":{"n":4')  # killed mid-write
    replay = read_journal(path)
    assert replay.torn == "line 4 is incomplete (killed mid-write?); 3 events kept"
    assert [e.seq for e in replay.events] == [1, 2, 3]
    assert verify_journal(path) == [replay.torn]

    journal = Journal.open_append(path)
    assert journal.torn_tail == replay.torn
    assert path.read_bytes() == whole
    journal.append("run_resume", None, "alice", {})
    assert verify_journal(path) == []
    assert len(read_journal(path).events) == 4


def test_complete_last_event_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_events(path, 2).close()
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert read_journal(path).torn is None
    journal = Journal.open_append(path)
    journal.append("run_resume", None, "alice", {})
    assert verify_journal(path) == []
    assert len(lines_of(path)) == 3


def tamper(path: Path, edit: object) -> None:
    lines = lines_of(path)
    edit(lines)  # type: ignore[operator]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.fixture
def five(tmp_path: Path) -> Path:
    path = tmp_path / "j.jsonl"
    write_events(path, 5).close()
    return path


def test_untouched_journal_verifies(five: Path) -> None:
    head = read_journal(five).head_hash
    assert verify_journal(five) == []
    assert verify_journal(five, expect_head=head) == []


def test_flipped_byte_is_located(five: Path) -> None:
    raw = bytearray(five.read_bytes())
    at = raw.index(b'"n":3')
    raw[at + 4] = ord("7")
    five.write_bytes(bytes(raw))
    assert verify_journal(five) == [
        "event 3 (seq 3): hash mismatch (this event was altered, or the one before it"
        " was changed, removed or moved)"
    ]


def test_deleted_event_is_located(five: Path) -> None:
    tamper(five, lambda lines: lines.pop(2))
    problems = verify_journal(five)
    assert problems[0] == "event 3 (seq 4): seq jumps from 2 to 4 (events missing)"
    assert problems[1].startswith("event 3 (seq 4): hash mismatch")
    assert len(problems) == 2


def test_reordered_events_are_located(five: Path) -> None:
    def swap(lines: list[str]) -> None:
        lines[1], lines[2] = lines[2], lines[1]

    tamper(five, swap)
    problems = verify_journal(five)
    assert "event 2 (seq 3): seq jumps from 1 to 3 (events missing)" in problems
    assert "event 3 (seq 2): seq 2 follows 3 (events out of order)" in problems
    assert any(p.startswith("event 2 (seq 3): hash mismatch") for p in problems)


def test_duplicated_event_is_located(five: Path) -> None:
    tamper(five, lambda lines: lines.insert(2, lines[1]))
    problems = verify_journal(five)
    assert problems[0] == "event 3 (seq 2): seq 2 appears twice (duplicated event)"
    assert problems[1].startswith("event 3 (seq 2): hash mismatch")
    assert len(problems) == 2


def test_truncation_is_caught_against_the_expected_head(five: Path) -> None:
    head = read_journal(five).head_hash
    tamper(five, lambda lines: lines.pop())
    assert verify_journal(five) == []  # a clean prefix is a valid chain on its own
    [problem] = verify_journal(five, expect_head=head)
    assert problem.startswith("the journal ends at seq 4")
    assert "events removed from the end" in problem


def test_events_added_after_the_expected_head_are_named(five: Path) -> None:
    third = read_journal(five).events[2].hash
    [problem] = verify_journal(five, expect_head=third)
    assert "expected head is event seq 3, but the journal goes on to seq 5" in problem


def test_garbage_line_in_the_middle_is_a_problem(five: Path) -> None:
    tamper(five, lambda lines: lines.insert(1, "not json"))
    problems = verify_journal(five)
    assert problems[0].startswith("line 2: not a journal event")


def test_empty_journal_head_is_genesis(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path / "j.jsonl")
    assert journal.head_hash == GENESIS == read_journal(tmp_path / "j.jsonl").head_hash


def test_fsync_failure_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = write_events(tmp_path / "j.jsonl", 1)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(JournalError) as caught:
        journal.append("step_start", "b", "alice", {})
    assert caught.value.message == (
        f"cannot write the journal {tmp_path / 'j.jsonl'}: No space left on device;"
        " the run stops here"
    )
    assert journal.seq == 1
    monkeypatch.undo()
    # Once broken it stays broken: nothing more is written behind the error.
    with pytest.raises(JournalError, match="No space left on device"):
        journal.append("step_start", "c", "alice", {})


def test_write_to_a_full_device_stops_the_run(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path / "j.jsonl")
    # Swap the journal's file for /dev/full, where every write fails with ENOSPC.
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, journal._fd)  # type: ignore[arg-type]
    os.close(full)
    with pytest.raises(JournalError, match="No space left on device; the run stops here"):
        journal.append("step_start", "a", "alice", {})


def test_read_only_filesystem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def read_only(path: object, flags: int, *args: int) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(JournalError, match=r"cannot create the journal .*Read-only file system"):
        Journal.create(tmp_path / "j.jsonl")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    write_events(path, 1).close()
    path.chmod(0o400)
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(JournalError, match="Permission denied"):
            Journal.create(tmp_path / "other.jsonl")
        with pytest.raises(JournalError, match="cannot open the journal"):
            Journal.open_append(path)
    finally:
        tmp_path.chmod(0o700)
