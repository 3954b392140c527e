"""One writer per run: a lock on `<run dir>/lock` (flock), held for the life of
whoever writes the run's journal and report (`run`, `resume`, ...).

The kernel drops the lock when its holder dies (also kill -9), so a crashed run
never stays locked; the file holds the holder's pid and command for the message
a second writer gets. The descriptor is not inherited: a command that outlives
a killed runbookctl does not keep the run locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from runbookctl.errors import UsageError

LOCK_NAME = "lock"
_held: dict[Path, int] = {}


class LockError(UsageError):
    """The run's lock could not be taken or written (a missing, read-only or full folder)."""
  # run dir -> descriptor, for the life of the process


def _try(run_dir: Path) -> int | None:
    fd = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def holder(run_dir: Path) -> str:
    """Who holds the run's lock, as written by them: "pid 1234 (runbookctl resume)"."""
    try:
        text = (run_dir / LOCK_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "another process"


def acquire(run_dir: Path, what: str, wait: float = 0.0) -> None:
    """Lock the run for this process (`what`: the command), waiting up to `wait` seconds.

    Taken already by another process: exit 2 naming the holder.
    """
    run_dir = run_dir.resolve()
    if run_dir in _held:
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = _try(run_dir)
        except OSError as exc:
            raise LockError(f"cannot lock the run {run_dir.name}: {exc.strerror or exc}") from None
        if fd is not None:
            break
        if time.monotonic() >= deadline:
            raise UsageError(f"run {run_dir.name} is in use by {holder(run_dir)}: one writer per "
                             "run; try again when it has ended")
        time.sleep(0.05)
    try:  # who holds it, for a second writer's message
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} ({what})\n".encode())
    except OSError as exc:  # a full disk: the lock is not taken, and it says so
        os.close(fd)
        raise LockError(f"cannot lock the run {run_dir.name}: {exc.strerror or exc}") from None
    _held[run_dir] = fd


def release(run_dir: Path) -> None:
    fd = _held.pop(run_dir.resolve(), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor drops the flock


def is_free(run_dir: Path) -> bool:
    """Whether nobody writes the run now (this process counts as nobody)."""
    run_dir = run_dir.resolve()
    if run_dir in _held:
        return True
    try:
        fd = _try(run_dir)
    except OSError:
        return False
    if fd is None:
        return False
    os.close(fd)
    return True
