"""Reading a journal's new lines (store/tail.py): whole lines only, seq checked, the
cursor a hint that is reset when it no longer fits the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.record.journal import Journal
from runbookctl.store.tail import BadJournalLine, Cursor, JournalTail, reset_if_stale
from tests.unit.store.conftest import write_events

STORE = "rb@db:5432/runs"


def test_a_cursor_is_kept_per_store_and_a_damaged_one_starts_over(run_dir: Path) -> None:
    Cursor(STORE, 7, 1234).save(run_dir)
    assert Cursor.load(run_dir, STORE) == Cursor(STORE, 7, 1234)
    assert Cursor.load(run_dir, "other@db:5432/runs") == Cursor("other@db:5432/runs")
    (run_dir / "store.cursor").write_text("{not json")
    assert Cursor.load(run_dir, STORE) == Cursor(STORE)


def test_a_line_still_being_written_is_left_for_later(run_dir: Path, journal: Journal) -> None:
    write_events(journal, 2)
    with open(run_dir / "journal.jsonl", "ab") as fh:
        fh.write(b'{"actor":"half a li')
    tail = JournalTail(run_dir, Cursor(STORE))
    batch = tail.read()
    assert batch is not None and [r.seq for r in batch.rows] == [1, 2]
    tail.advance(batch)
    assert tail.read() is None
    assert tail.cursor.offset == batch.end


def test_read_stops_at_the_limit_and_at_max_lines(run_dir: Path, journal: Journal) -> None:
    write_events(journal, 5)
    tail = JournalTail(run_dir, Cursor(STORE))
    first = tail.read(max_lines=2)
    assert first is not None and [r.seq for r in first.rows] == [1, 2]
    tail.advance(first)
    assert tail.read(limit=first.end) is None
    rest = tail.read()
    assert rest is not None and [r.seq for r in rest.rows] == [3, 4, 5]
    assert rest.rows[0].line == (run_dir / "journal.jsonl").read_text().splitlines()[2]


def test_a_line_that_is_not_an_event_or_a_seq_out_of_place_is_refused(run_dir: Path,
                                                                      journal: Journal) -> None:
    write_events(journal, 1)
    with open(run_dir / "journal.jsonl", "ab") as fh:
        fh.write(b"garbage\n")
    with pytest.raises(BadJournalLine, match="seq 2 is not a journal event"):
        JournalTail(run_dir, Cursor(STORE)).read()
    with pytest.raises(BadJournalLine, match="seq 1 found where 6 should follow"):
        JournalTail(run_dir, Cursor(STORE, seq=5)).read()


def test_a_cursor_that_does_not_end_on_a_line_is_reset(run_dir: Path, journal: Journal) -> None:
    write_events(journal, 3)
    tail = JournalTail(run_dir, Cursor(STORE, seq=2, offset=5))
    reset_if_stale(tail)
    assert tail.cursor == Cursor(STORE)
    batch = tail.read(max_lines=1)
    assert batch is not None
    good = JournalTail(run_dir, Cursor(STORE, seq=1, offset=batch.end))
    reset_if_stale(good)
    assert good.cursor.seq == 1 and good.pending()
