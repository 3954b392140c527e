"""executors/pty_session.py: an interactive command on a real pseudo-terminal, with a
second real pty standing in for the operator's terminal (keys in, screen out)."""

from __future__ import annotations

import re
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.cast import read_cast
from runbookctl.executors.pty_session import cast_path_for, run_interactive
from runbookctl.safety.masking import Redactor
from tests.pty_operator import DEADLINE, Operator


def _spec(tmp_path: Path, command: str, **extra: Any) -> CommandSpec:
    return CommandSpec(step_id="talk", command=command, display=command,
                       log_path=tmp_path / "logs" / "0001-talk.log", shell="/bin/sh", **extra)


def _run(tmp_path: Path, operator: Operator, command: str, keys: list[tuple[bytes, bytes]],
         redactor: Redactor | None = None, **extra: Any) -> HostResult:
    typist = operator.type_after(keys)
    extra.setdefault("timeout", DEADLINE)  # a session that never ends fails the test, not hangs it
    result = run_interactive(_spec(tmp_path, command, **extra), redactor or Redactor(),
                             stdin_fd=operator.slave, stdout_fd=operator.slave)
    typist.join(DEADLINE)
    return result


def test_keys_reach_the_program_and_its_exit_code_is_the_result(tmp_path: Path,
                                                                 operator: Operator) -> None:
    command = ('printf "Na""me? "; read name; stty -echo; printf "Pass""word? "; read pw; '
               'stty echo; echo; echo "hello $name, ${#pw} chars"; exit 3')
    result = _run(tmp_path, operator, command,
                  [(b"Name? ", b"ana\r"), (b"Password? ", b"s3cr3t-typed\r")])
    assert result.exit_code == 3 and not result.ok and not result.timed_out
    operator.wait_for(b"hello ana, 12 chars")
    _, events = read_cast(cast_path_for(Path(result.log_path)))
    typed = "".join(str(e[2]) for e in events if e[1] == "i")
    assert typed == "ana\r"  # the line, not the password typed with echo off
    assert "s3cr3t-typed" not in Path(result.cast_path or "").read_text()
    assert result.tail == "Name? ana\nPassword?\nhello ana, 12 chars"


def test_ctrl_c_goes_to_the_program_not_to_runbookctl(tmp_path: Path, operator: Operator) -> None:
    command = "trap 'echo got-int; exit 5' INT; echo ready; while :; do sleep 0.05; done"
    result = _run(tmp_path, operator, command, [(b"ready", b"\x03")])
    assert not result.timed_out and result.exit_code == 5
    operator.wait_for(b"got-int")


def test_ctrl_d_is_end_of_input_for_the_program(tmp_path: Path, operator: Operator) -> None:
    result = _run(tmp_path, operator, 'echo ready; cat; echo "cat ended"',
                  [(b"ready", b"line\r"), (b"line\r\n", b"\x04")])
    assert result.exit_code == 0
    operator.wait_for(b"cat ended")


def test_the_window_size_is_the_operators(tmp_path: Path, operator: Operator) -> None:
    import fcntl
    import struct

    fcntl.ioctl(operator.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    result = _run(tmp_path, operator, "stty size", [])
    assert re.search(r"33 111", result.tail), result.tail
    header, _ = read_cast(Path(result.cast_path or ""))
    assert (header["width"], header["height"]) == (111, 33)


def test_the_operators_terminal_is_given_back_as_it_was(tmp_path: Path, operator: Operator) -> None:
    before = termios.tcgetattr(operator.slave)
    _run(tmp_path, operator, "exit 0", [])
    assert termios.tcgetattr(operator.slave) == before


def test_secrets_are_masked_in_the_log_cast_and_screen(tmp_path: Path, operator: Operator) -> None:
    redactor = Redactor()
    redactor.add("tok-9f8e7d6c5b")
    result = _run(tmp_path, operator, "echo the token is tok-9f8e7d6c5b", [], redactor)
    for text in (Path(result.log_path).read_text(), Path(result.cast_path or "").read_text(),
                 result.tail):
        assert "tok-9f8e7d6c5b" not in text and "the token is ***" in text


def test_an_explicit_timeout_stops_the_session(tmp_path: Path, operator: Operator) -> None:
    started = time.monotonic()
    result = _run(tmp_path, operator, "echo waiting; sleep 60", [], timeout=0.5)
    assert result.timed_out and result.error == "timed out after 0.5s"
    assert time.monotonic() - started < 30  # not the 60 s sleep


def test_the_program_runs_only_after_on_start_recorded_it(tmp_path: Path, operator: Operator) -> None:
    marker = tmp_path / "ran"
    seen: list[tuple[int, bool]] = []

    def on_start(pid: int, _started: str | None) -> None:
        seen.append((pid, marker.exists()))

    result = _run(tmp_path, operator, f"touch {marker}", [], on_start=on_start)
    assert result.exit_code == 0 and marker.exists()
    assert len(seen) == 1 and seen[0][1] is False  # recorded before the command ran


def test_a_failing_on_start_means_the_program_never_runs(tmp_path: Path, operator: Operator) -> None:
    marker = tmp_path / "ran"

    def on_start(_pid: int, _started: str | None) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _run(tmp_path, operator, f"touch {marker}", [], on_start=on_start)
    assert not marker.exists()


def test_keys_a_program_reads_one_by_one_and_draws_itself_are_recorded(
        tmp_path: Path, operator: Operator) -> None:
    # readline (psql, bash) turns the terminal's echo off and echoes keys itself
    command = 'stty -icanon -echo; echo ready; k=$(dd bs=1 count=3 2>/dev/null); echo "got $k"'
    result = _run(tmp_path, operator, command, [(b"ready", b"abc")])
    assert result.exit_code == 0
    operator.wait_for(b"got abc")
    _, events = read_cast(Path(result.cast_path or ""))
    assert "".join(str(e[2]) for e in events if e[1] == "i") == "abc"


def test_the_recordings_sha256_is_of_the_file_as_written(tmp_path: Path, operator: Operator) -> None:
    import hashlib

    result = _run(tmp_path, operator, "echo recorded", [])
    cast = Path(result.cast_path or "")
    assert result.cast_sha256 == hashlib.sha256(cast.read_bytes()).hexdigest()
