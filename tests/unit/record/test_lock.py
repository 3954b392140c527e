"""One writer per run: a second process is refused naming the holder; the lock goes
with its holder (also a killed one)."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.record import lock

HOLD = """
import sys, time
from pathlib import Path
from runbookctl.record import lock
lock.acquire(Path(sys.argv[1]), "runbookctl resume")
print("held", flush=True)
sys.stdin.read()
"""


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        assert not lock.is_free(tmp_path)
        with pytest.raises(UsageError) as err:
            lock.acquire(tmp_path, "runbookctl run")
        assert err.value.message == (f"run {tmp_path.name} is in use by pid {other.pid} "
                                     "(runbookctl resume): one writer per run; try again when "
                                     "it has ended")
    finally:
        other.kill()
        other.wait()
    assert lock.is_free(tmp_path)  # the kernel dropped the dead holder's lock
    lock.acquire(tmp_path, "runbookctl run")
    try:
        assert lock.is_free(tmp_path)  # this process counts as nobody
        assert lock.holder(tmp_path).endswith("(runbookctl run)")
        lock.acquire(tmp_path, "again")  # taken already by this process: nothing to do
    finally:
        lock.release(tmp_path)


def test_an_unlockable_run_dir_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot lock the run missing"):
        lock.acquire(tmp_path / "missing", "runbookctl run")
    assert not lock.is_free(tmp_path / "missing")
    assert lock.holder(tmp_path / "missing") == "another process"


def test_a_full_disk_under_the_lock_is_a_lock_error_and_leaves_it_free(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(_fd: int, _data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lock.os, "write", full)
    with pytest.raises(lock.LockError, match=f"cannot lock the run {tmp_path.name}: No space left"):
        lock.acquire(tmp_path, "runbookctl run")
    monkeypatch.undo()
    assert lock.is_free(tmp_path)
