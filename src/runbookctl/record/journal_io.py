"""The journal file's low-level work (record/journal.py): whole writes, a durable new
file, and what lets several processes append to one journal.

A run's journal has more than one writer: the run (or resume) writing it, and
`runbookctl note` from another terminal (docs/record.md, section 5). Each event
must chain onto the one last written by anyone, so every writer appends under
an exclusive flock on the journal file itself (`locked`), first reading what the
others appended since its own last line (`tail_since`), then writing its line.
The lock is not the run's one-writer lock (record/lock.py), which the run holds
for its whole life: this one is held for one append, a few microseconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runbookctl.errors import JournalError

# How long an append waits for another writer's: an append takes microseconds, so a
# lock held this long belongs to a stopped process (Ctrl-Z), and waiting on would hang.
LOCK_WAIT = 30.0
_POLL = 0.002


@contextlib.contextmanager
def locked(fd: int, path: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the journal's append lock for the block; JournalError after `wait` seconds."""
    deadline: float | None = None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + wait
            if now >= deadline:
                raise JournalError(f"the journal {path} stayed locked by another writer for "
                                   f"{wait:g}s (a stopped `runbookctl note`?)") from None
            time.sleep(_POLL)
        except OSError as exc:
            raise JournalError(f"cannot lock the journal {path}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_now(fd: int) -> bool:
    """Take the append lock if it is free, as it nearly always is; False: `locked`
    waits for it (or says why it cannot). The caller unlocks with `unlock`."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)


def tail_since(path: Path, fd: int, size: int) -> tuple[bytes | None, int]:
    """(the last whole line other writers appended after byte `size`, or None; the file's
    size in whole lines). Call it holding the lock: a cut-off line after them was left
    by a writer killed mid-write (nobody else can be writing), and is removed."""
    try:
        end = os.fstat(fd).st_size
        if end == size:
            return None, size
        if end < size:
            raise JournalError(f"the journal {path} is shorter than what this run wrote to it "
                               "(cut by another process?); the run stops here")
        with open(path, "rb") as reader:
            reader.seek(size)
            added = reader.read(end - size)
        whole = added.rfind(b"\n") + 1  # bytes in whole lines
        if whole < len(added):
            os.ftruncate(fd, size + whole)
            os.fsync(fd)
    except OSError as exc:
        raise JournalError(f"cannot read the journal {path}: {exc.strerror or exc}") from None
    lines = added[:whole].splitlines()
    return (lines[-1] if lines else None), size + whole


def end_on_a_line(fd: int, cut_at: int | None, ends_with_newline: bool) -> None:
    """Before appending to a journal found damaged: a torn last line cut off (at
    `cut_at`), a missing final newline added, so the next event starts on a line."""
    if cut_at is not None:
        os.ftruncate(fd, cut_at)
    if not ends_with_newline:
        os.write(fd, b"\n")
    if cut_at is not None or not ends_with_newline:
        os.fsync(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable; not every platform allows it."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def depth_within(obj: Any, limit: int) -> bool:
    """Is `obj` at most `limit` containers deep? Iterative: deep input cannot overflow it."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return False
            children = value.values() if isinstance(value, dict) else value
            stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True
