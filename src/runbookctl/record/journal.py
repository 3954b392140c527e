"""The run journal (docs/record.md, sections 2-5): append-only JSONL, each event fsynced before the
run goes on, chained by sha256 so that any edit, deletion or reordering shows.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runbookctl.errors import JournalError
from runbookctl.record.event_model import GENESIS as GENESIS
from runbookctl.record.event_model import Event as Event
from runbookctl.record.event_model import Replay as Replay
from runbookctl.record.event_model import canonical_json as canonical_json
from runbookctl.record.journal_io import depth_within as _depth_within
from runbookctl.record.journal_io import (
    end_on_a_line,
    fsync_dir,
    lock_now,
    locked,
    os_reason,
    tail_since,
    unlock,
    write_all,
)

# runbookctl writes events a few levels deep; a deeper line is damage, refused before
# anything recurses into it (a 100 000-deep array crashed verify, runs, stats, resume).
MAX_DEPTH = 32


# Built once: json.dumps with any option builds a new encoder at every call.
_AS_TEXT = json.JSONEncoder(default=str)  # a stray Path or datetime becomes its text
_quoted: Callable[[str], str] = json.encoder.encode_basestring


def event_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """sha256 over the previous hash and the event without its `hash` key."""
    return _hash_text(prev_hash, canonical_json({k: v for k, v in body.items() if k != "hash"}))


def _hash_text(prev_hash: str, body_json: str) -> str:
    return hashlib.sha256((prev_hash + body_json).encode("utf-8")).hexdigest()


def utc_timestamp(moment: datetime | None = None) -> str:
    """UTC ISO-8601 with milliseconds and Z: 2024-05-01T12:00:00.123Z."""
    m = (moment or datetime.now(UTC)).astimezone(UTC)
    # Formatted by hand: strftime was a tenth of an event's cost (every event has one).
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:"
            f"{m.second:02d}.{m.microsecond // 1000:03d}Z")


def _framed(actor: str, data: str, seq: int, step: str | None, ts: str, type_: str) -> tuple[str, str]:
    """An event's canonical JSON before and after its `hash` key (keys sort actor, data,
    hash, seq, step, ts, type): hashed joined by ",", written with the hash in
    between, without serialising the data twice more (a third of append's time)."""
    text = _quoted  # what _CANONICAL.encode gives a str, without its Python-level checks
    step_json = "null" if step is None else text(step)
    return ('{"actor":' + text(actor) + ',"data":' + data,
            f'"seq":{seq:d},"step":{step_json},"ts":{text(ts)},"type":{text(type_)}}}')


def read_journal(path: Path | str) -> Replay:
    """Parse a journal; a cut-off last line is reported in `torn`, not raised."""
    raw = Path(path).read_bytes()
    replay = Replay()
    lines = raw.split(b"\n")
    offset = 0
    for number, line in enumerate(lines, start=1):
        last = number == len(lines)
        if last and not line:
            break  # the file ends with a newline
        try:
            event = Event.from_dict(_parse_line(line))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError too
            if last:
                kept = len(replay.events)
                replay.torn = f"line {number} is incomplete (killed mid-write?); {kept} events kept"
                break
            replay.problems.append(f"line {number}: not a journal event ({_short(exc)})")
            replay.problem_lines.append(number)
        else:
            replay.events.append(event)
            replay.lines.append(number)
        offset += len(line) + (0 if last else 1)
        replay.good_size = offset
        replay.ends_with_newline = not last
    return replay


def _parse_line(line: bytes) -> Any:
    """One line's JSON, refused (ValueError) when nested deeper than MAX_DEPTH."""
    text = line.decode("utf-8")
    try:
        obj = json.loads(text)
    except RecursionError:
        obj = None  # deeper than the interpreter's stack: certainly deeper than MAX_DEPTH
    else:  # no line nests deeper than its brackets: a count settles almost every line
        if line.count(b"[") + line.count(b"{") <= MAX_DEPTH or _depth_within(obj, MAX_DEPTH):
            return obj
    raise ValueError(f"nested deeper than {MAX_DEPTH} levels")


def parse_event(line: bytes) -> Event:
    """One journal line as an Event; ValueError says why it is not one."""
    return Event.from_dict(_parse_line(line))


def _short(exc: Exception) -> str:
    return str(exc).split(":")[0] if isinstance(exc, json.JSONDecodeError) else str(exc)


class Journal:
    """An open journal: `append` writes one event and fsyncs before returning."""

    def __init__(self, path: Path, fd: int, replay: Replay) -> None:
        self.path = path
        self._fd: int | None = fd
        self._seq = replay.events[-1].seq if replay.events else 0
        self._head = replay.head_hash
        self._broken: str | None = None
        self._unsynced = False  # events written but not yet fsynced (append(sync=False))
        self._size = os.fstat(fd).st_size  # bytes of whole lines: where the next one starts
        self._synced = self._size  # bytes known to be on disk (what a shipper may send on)
        self.replay = replay  # what was there when it was opened
        self.torn_tail: str | None = replay.torn
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        # Every event of the file as read at opening and written since: the run's report
        # is replayed from these rather than read back and parsed (a fifth of the write-up).
        # None once they may differ from the file: another writer's line, a damaged file.
        self._events: list[Event] | None = None if replay.problems else list(replay.events)

    @classmethod
    def create(cls, path: Path | str) -> Journal:
        """Start a new journal; fails (JournalError) if the file exists."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
            fsync_dir(path.parent)
        except OSError as exc:
            raise JournalError(f"cannot create the journal {path}: {os_reason(exc)}") from exc
        return cls(path, fd, Replay())

    @classmethod
    def open_append(cls, path: Path | str) -> Journal:
        """Reopen a journal to continue it; a torn last line is cut off first."""
        path = Path(path)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            try:
                with locked(fd, path):  # read and repaired while no other writer appends
                    replay = read_journal(path)
                    end_on_a_line(fd, replay.good_size if replay.torn else None,
                                  replay.ends_with_newline)
                    return cls(path, fd, replay)
            except BaseException:
                os.close(fd)
                raise
        except OSError as exc:
            raise JournalError(f"cannot open the journal {path}: {os_reason(exc)}") from exc

    @property
    def head_hash(self) -> str:
        return self._head

    @property
    def synced_size(self) -> int:
        """Bytes fsynced so far: all the run store (store/shipper.py) is sent of the journal."""
        return self._synced

    @property
    def seq(self) -> int:
        """The seq of the last event written (0 for an empty journal)."""
        return self._seq

    def append(
        self, type: str, step: str | None, actor: str, data: Mapping[str, Any] | None = None,
        *, sync: bool = True, guard: Callable[[], None] | None = None,
    ) -> Event:
        """Write one event and fsync it; any write failure raises JournalError.

        `sync=False` leaves the fsync to the next synced append, `sync()` or `close()`.
        `guard` runs under the append lock after other writers' events; if it raises,
        nothing is written (record/approvals.py: a check and its write, atomically).
        """
        if self._broken is not None:
            raise JournalError(self._broken)
        if self._fd is None:
            raise JournalError(f"the journal {self.path} is closed")
        if not lock_now(self._fd):  # other writers: journal_io's docstring
            with locked(self._fd, self.path):
                return self._append_locked(type, step, actor, data, sync, guard)
        try:  # the free lock taken without a context manager: five appends a step
            return self._append_locked(type, step, actor, data, sync, guard)
        finally:
            unlock(self._fd)

    def _append_locked(self, type: str, step: str | None, actor: str, data: Mapping[str, Any] | None,
                       sync: bool, guard: Callable[[], None] | None) -> Event:
        self._follow()
        if guard is not None:
            guard()
        return self._append(type, step, actor, data, sync)

    def _append(self, type: str, step: str | None, actor: str, data: Mapping[str, Any] | None,
                sync: bool) -> Event:
        assert self._fd is not None
        # Round-trip the data so the returned event equals what a replay reads;
        # a stray Path or datetime is written as text rather than crash a run.
        clean = json.loads(_AS_TEXT.encode(dict(data or {})))
        seq, ts = self._seq + 1, utc_timestamp(self.clock())
        front, back = _framed(actor, canonical_json(clean), seq, step, ts, type)
        digest = _hash_text(self._head, front + "," + back)
        event = Event(seq, ts, type, step, actor, clean, digest)
        line = (front + ',"hash":"' + digest + '",' + back + "\n").encode("utf-8")
        before = (self._seq, self._head, self._size)
        try:
            # The counter moves with the line: a signal that strikes after the
            # write (during the fsync) must not let the next event reuse this seq.
            self._seq, self._head = event.seq, event.hash
            write_all(self._fd, line)
            self._size += len(line)
            if self._events is not None:
                self._events.append(event)
            self._unsynced = True
            if sync:
                self._fsync()
        except OSError as exc:
            self._seq, self._head, self._size = before  # broken: nothing follows anyway
            self._events = None
            raise self._broke(exc) from exc
        except BaseException:
            self._events = None  # the line may or may not be in the file: read it back
            self._settle(before, len(line))
            raise
        return event

    def written(self) -> list[Event] | None:
        """The journal's events, as this process read them at opening and wrote them
        since, if they are still the whole file; None if another writer appended (or
        anything else may have changed it): then it must be read."""
        if self._events is None or self._broken is not None:
            return None
        try:
            size = os.fstat(self._fd).st_size if self._fd is not None else self.path.stat().st_size
        except OSError:
            return None
        return self._events if size == self._size else None

    def follow(self) -> None:
        """Catch up with other writers' events: `seq`, `head_hash` are then the real head."""
        if self._fd is not None and self._broken is None:
            with locked(self._fd, self.path):
                self._follow()

    def _follow(self) -> None:
        """Chain on from what another writer (`runbookctl note`) appended after our line."""
        assert self._fd is not None
        line, size = tail_since(self.path, self._fd, self._size)
        if line is not None:
            self._events = None  # another writer's events: only a read has them all
            with contextlib.suppress(ValueError):  # not an event: verify names that line
                last = Event.from_dict(_parse_line(line))
                self._seq, self._head = last.seq, last.hash
        # Moved on last: a signal before this leaves the size where it was, and the next
        # append follows those lines again rather than reuse their seq.
        self._size = size

    def _settle(self, before: tuple[int, str, int], length: int) -> None:
        """After a signal inside append: the line is either whole in the file (the
        counter keeps it) or cut off and removed (the counter goes back)."""
        assert self._fd is not None
        seq, head, start = before
        try:
            size = os.fstat(self._fd).st_size
            if size == start + length:
                self._size, self._unsynced = size, True
                return
            if size != start:
                os.ftruncate(self._fd, start)
        except OSError as exc:
            self._broken = f"cannot write the journal {self.path}: {os_reason(exc)}"
        self._seq, self._head, self._size = seq, head, start

    def sync(self) -> None:
        """fsync events appended with `sync=False`; a failure raises JournalError."""
        if self._fd is None or not self._unsynced or self._broken is not None:
            return
        try:
            self._fsync()
        except OSError as exc:
            raise self._broke(exc) from exc

    def _broke(self, exc: OSError) -> JournalError:
        """Mark the journal broken by a failed write or fsync: every later append refuses."""
        self._broken = f"cannot write the journal {self.path}: {os_reason(exc)}; the run stops here"
        return JournalError(self._broken)

    def _fsync(self) -> None:
        assert self._fd is not None
        size = self._size
        os.fsync(self._fd)
        self._unsynced = False
        self._synced = max(self._synced, size)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):  # a failed write already raised
                if self._unsynced:
                    os.fsync(self._fd)
                self._synced = self._size
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
