"""The journal's low-level file work: the append lock every writer takes, and reading
what other writers appended (a line cut off by a killed writer removed)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from runbookctl.errors import JournalError
from runbookctl.record.journal_io import (
    end_on_a_line,
    fsync_dir,
    lock_now,
    locked,
    tail_since,
    unlock,
    write_all,
)


def _fd(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def test_the_lock_keeps_out_another_writer_until_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    mine, theirs = _fd(path), _fd(path)
    try:
        with locked(mine, path), pytest.raises(BlockingIOError):
            fcntl.flock(theirs, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(theirs, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again after the block
    finally:
        os.close(mine)
        os.close(theirs)


def test_a_lock_held_too_long_is_an_error_naming_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    mine, theirs = _fd(path), _fd(path)
    try:
        fcntl.flock(theirs, fcntl.LOCK_EX)
        stuck = r"journal.jsonl stayed locked by another writer"
        with pytest.raises(JournalError, match=stuck), locked(mine, path, wait=0.05):
            pass
    finally:
        os.close(mine)
        os.close(theirs)


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    mine, theirs = _fd(path), _fd(path)
    try:
        with pytest.raises(RuntimeError), locked(mine, path):
            raise RuntimeError("boom")
        fcntl.flock(theirs, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(mine)
        os.close(theirs)


def test_tail_since_gives_the_last_line_others_appended_and_the_new_size(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"ours\n")
    fd = _fd(path)
    try:
        assert tail_since(path, fd, 5) == (None, 5)  # nothing new
        with open(path, "ab") as other:
            other.write(b"theirs 1\ntheirs 2\n")
        assert tail_since(path, fd, 5) == (b"theirs 2", 23)
    finally:
        os.close(fd)


def test_a_line_cut_off_by_a_killed_writer_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"ours\ntheirs\n{\"seq\":3,\"ts")
    fd = _fd(path)
    try:
        assert tail_since(path, fd, 5) == (b"theirs", 12)
        assert path.read_bytes() == b"ours\ntheirs\n"
        path.write_bytes(b"ours\n{\"cut")  # only a cut-off line after ours
        assert tail_since(path, fd, 5) == (None, 5)
        assert path.read_bytes() == b"ours\n"
    finally:
        os.close(fd)


def test_a_journal_shorter_than_what_we_wrote_stops_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"ours\n")
    fd = _fd(path)
    try:
        with pytest.raises(JournalError, match="shorter than what this run wrote"):
            tail_since(path, fd, 50)
    finally:
        os.close(fd)


def test_write_all_and_fsync_dir(tmp_path: Path) -> None:
    path = tmp_path / "f"
    fd = _fd(path)
    try:
        write_all(fd, b"x" * 100_000)
    finally:
        os.close(fd)
    fsync_dir(tmp_path)
    fsync_dir(tmp_path / "missing")  # no such folder: nothing to make durable, no error
    assert path.stat().st_size == 100_000


def test_end_on_a_line_cuts_a_torn_tail_or_adds_the_missing_newline(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"one\n{\"cut")
    fd = _fd(path)
    try:
        end_on_a_line(fd, 4, ends_with_newline=True)
        assert path.read_bytes() == b"one\n"
        path.write_bytes(b"one")
        end_on_a_line(fd, None, ends_with_newline=False)
        assert path.read_bytes() == b"one\n"
    finally:
        os.close(fd)


def test_lock_now_takes_a_free_lock_at_once_and_never_waits_for_a_held_one(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    mine, theirs = _fd(path), _fd(path)
    try:
        assert lock_now(mine)
        with pytest.raises(BlockingIOError):
            fcntl.flock(theirs, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert not lock_now(theirs)  # held: the caller falls back to `locked`, which waits
        unlock(mine)
        assert lock_now(theirs)
        unlock(theirs)
    finally:
        os.close(mine)
        os.close(theirs)
