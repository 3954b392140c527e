"""A signal may strike anywhere inside Journal.append: before the write, half-way
through it, between the write and the counter, during the fsync. Whatever the
moment, the file and the counter agree afterwards: the next event continues the
chain and `verify` finds nothing (no reused seq, no torn line)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbookctl.record.chain import verify_journal
from runbookctl.record.journal import Journal, read_journal
from runbookctl.signals import Signalled

REAL_WRITE = os.write
REAL_FSYNC = os.fsync


def _write_then(n_bytes: int | None, exc: BaseException) -> Callable[[int, bytes], int]:
    """os.write that writes `n_bytes` (None: all) and then raises `exc`."""

    def write(fd: int, data: bytes) -> int:
        if n_bytes:
            REAL_WRITE(fd, bytes(data[:n_bytes]) if n_bytes >= 0 else bytes(data))
        raise exc

    return write


PHASES = {
    "before the write": ("write", 0),
    "half the line written": ("write", 7),
    "the whole line written, counter not yet moved": ("write", -1),
    "during the fsync": ("fsync", 0),
}


@pytest.mark.parametrize("phase", list(PHASES))
@pytest.mark.parametrize("exc", [KeyboardInterrupt(), Signalled(15)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_inside_append_leaves_file_and_counter_in_agreement(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str, exc: BaseException) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal.create(path)
    journal.append("run_started", None, "alice", {})
    where, n_bytes = PHASES[phase]
    if where == "write":
        monkeypatch.setattr(os, "write", _write_then(n_bytes, exc))
    else:
        monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(exc))
    with pytest.raises(type(exc)):
        journal.append("step_started", "a", "alice", {"note": "x" * 40})
    monkeypatch.undo()
    journal.append("run_interrupted", None, "alice", {"reason": "stopped"})
    journal.close()
    assert verify_journal(path) == []
    events = read_journal(path).events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    whole = where == "fsync" or n_bytes == -1
    assert [e.type for e in events] == (
        ["run_started", "step_started", "run_interrupted"] if whole
        else ["run_started", "run_interrupted"])


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=-1, max_value=120), min_size=1, max_size=8))
def test_any_sequence_of_interrupted_appends_keeps_the_chain(tmp_path_factory: pytest.TempPathFactory,
                                                             cuts: list[int]) -> None:
    path = tmp_path_factory.mktemp("j") / "j.jsonl"
    journal = Journal.create(path)
    for n, cut in enumerate(cuts):
        os.write = _write_then(cut, KeyboardInterrupt())  # type: ignore[assignment]
        try:
            journal.append("event", f"s{n}", "alice", {"n": n})
        except KeyboardInterrupt:
            pass
        finally:
            os.write = REAL_WRITE
        journal.append("event", f"t{n}", "alice", {"n": n})
    journal.close()
    assert verify_journal(path) == []
    reopened = Journal.open_append(path)
    assert reopened.seq == len(read_journal(path).events)
    reopened.close()
