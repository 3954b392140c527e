"""Reading a journal's new lines for the store, and remembering what was shipped.

The shipper reads the journal file, not the run's event stream: a note from
`runbookctl note`, or an approval given from another terminal, is appended to the
journal by another process and never passes through this run's stream, yet the
store must hold every seq of the chain (docs/store.md, "What is shipped when").

`<run dir>/store.cursor` holds the last seq shipped, the byte offset after its line
and which store it went to. It is a hint, written after each batch the store
committed: lost or stale, lines are shipped again, and the store skips the ones it
has (idempotent by run id and seq, the hash compared).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from runbookctl.errors import RunbookctlError
from runbookctl.record.journal import parse_event
from runbookctl.store.postgres import Row

CURSOR_NAME = "store.cursor"
JOURNAL_NAME = "journal.jsonl"


class BadJournalLine(RunbookctlError):
    """A line the store cannot take: not an event, or a seq that does not follow on."""


@dataclass(frozen=True)
class Batch:
    rows: list[Row]
    end: int  # the byte offset after the batch's last line


@dataclass
class Cursor:
    """What of a run's journal is in the store `store` (its describe() name)."""

    store: str
    seq: int = 0
    offset: int = 0

    @classmethod
    def load(cls, run_dir: Path, store: str) -> Cursor:
        """The run's cursor for this store; a fresh one if there is none, it is unreadable,
        or it was written for another store."""
        try:
            data = json.loads((run_dir / CURSOR_NAME).read_text(encoding="utf-8"))
            if data.get("store") == store:
                return cls(store, int(data["seq"]), int(data["offset"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        return cls(store)

    def save(self, run_dir: Path) -> None:
        """Replace the cursor file atomically (no fsync: a stale cursor only re-ships)."""
        tmp = run_dir / f".{CURSOR_NAME}.{os.getpid()}"
        tmp.write_text(json.dumps({"store": self.store, "seq": self.seq, "offset": self.offset}),
                       encoding="utf-8")
        os.replace(tmp, run_dir / CURSOR_NAME)


class JournalTail:
    """The whole lines of a journal after a cursor, read in batches."""

    def __init__(self, run_dir: Path, cursor: Cursor) -> None:
        self.path = run_dir / JOURNAL_NAME
        self.cursor = cursor

    def size(self) -> int:
        with contextlib.suppress(OSError):
            return self.path.stat().st_size
        return 0

    def pending(self, limit: int | None = None) -> bool:
        """Whether whole lines may be waiting after the cursor (up to byte `limit`)."""
        end = self.size() if limit is None else min(limit, self.size())
        return end > self.cursor.offset

    def count_pending(self) -> int:
        """Whole lines after the cursor (not shipped yet)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.cursor.offset)
                return fh.read().count(b"\n")
        except OSError:
            return 0

    def read(self, limit: int | None = None, max_lines: int = 500) -> Batch | None:
        """Up to `max_lines` whole lines after the cursor, ending at or before byte `limit`
        (None: the end of the file); None when there is none. The cursor does not move."""
        start = self.cursor.offset
        end = self.size() if limit is None else min(limit, self.size())
        if end <= start:
            return None
        with open(self.path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        whole = data.rfind(b"\n") + 1  # a line still being written is left for later
        rows: list[Row] = []
        offset = start
        for raw in data[:whole].split(b"\n")[:-1][:max_lines]:
            offset += len(raw) + 1
            rows.append(self._row(raw, self.cursor.seq + len(rows) + 1))
        return Batch(rows, offset) if rows else None

    def advance(self, batch: Batch) -> None:
        self.cursor.seq, self.cursor.offset = batch.rows[-1].seq, batch.end

    def _row(self, raw: bytes, expected: int) -> Row:
        try:
            event = parse_event(raw)
        except ValueError as exc:
            raise BadJournalLine(f"{self.path}: seq {expected} is not a journal event ({exc}); "
                                 "shipping to the store stops before it (runbookctl verify)") from None
        if event.seq != expected:
            raise BadJournalLine(f"{self.path}: seq {event.seq} found where {expected} should "
                                 "follow; shipping to the store stops before it (runbookctl verify)")
        return Row(event.seq, event.ts, event.type, event.step, event.actor, event.hash,
                   raw.decode("utf-8"))


def reset_if_stale(tail: JournalTail) -> None:
    """A cursor past the journal's end, or not at a line's start (the journal was replaced,
    or the cursor belongs to an older file): ship from the start; the store skips its rows."""
    c = tail.cursor
    if c.offset == 0:
        return
    try:
        with open(tail.path, "rb") as fh:
            fh.seek(c.offset - 1)
            at_line_start = fh.read(1) == b"\n"
    except OSError:
        at_line_start = False
    if not at_line_start:
        c.seq, c.offset = 0, 0
