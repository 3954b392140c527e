"""executors/procs.py against real processes: a command's identity (pid + start time)
read from /proc, and whether its process group is still alive."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbookctl.executors import procs

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")


def _expected(pid: int) -> str:
    """The start time (field 22 of /proc/PID/stat), parsed independently of procs."""
    raw = Path(f"/proc/{pid}/stat").read_bytes()
    after_name = raw.rsplit(b")", 1)[1].split()
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return f"{boot}:{after_name[19].decode()}"


@pytest.fixture
def oddly_named(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose name holds a ')' and a space: the name cannot be split on."""
    program = tmp_path / "x) y"
    shutil.copy("/bin/sleep", program)
    proc = subprocess.Popen([str(program), "30"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def test_start_time_names_boot_and_start_of_the_process(
    oddly_named: subprocess.Popen[bytes],
) -> None:
    assert procs.start_time(oddly_named.pid) == _expected(oddly_named.pid)


def test_start_time_between_two_clock_readings_is_what_proc_says() -> None:
    """The fork's tick, known from two boot-clock readings around it, is /proc's start
    time: every one of 200 spawns whose readings fell in one tick agrees."""
    agreed = 0
    for _ in range(200):
        before = procs.boot_clock()
        proc = subprocess.Popen(["/bin/sleep", "5"])
        after = procs.boot_clock()
        try:
            tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
            if before // tick == after // tick:
                assert procs.start_time_between(proc.pid, before, after) == _expected(proc.pid)
                agreed += 1
        finally:
            proc.kill()
            proc.wait()
    assert agreed >= 100  # a straddled tick is rare (a spawn takes well under a tick)


def test_start_time_between_readings_in_two_ticks_is_read_from_proc(
    oddly_named: subprocess.Popen[bytes],
) -> None:
    # readings a second apart cannot say the tick: /proc is read, not a guess
    assert procs.start_time_between(oddly_named.pid, 0, 1_000_000_000) == _expected(
        oddly_named.pid)
    assert procs.start_time_between(2**31 - 1, 0, 1_000_000_000) is None


def test_start_time_of_no_process_is_none() -> None:
    assert procs.start_time(2**31 - 1) is None  # above any pid_max


def test_a_group_is_alive_until_its_last_process_is_gone(
    oddly_named: subprocess.Popen[bytes],
) -> None:
    pgid, started = oddly_named.pid, procs.start_time(oddly_named.pid)
    assert started is not None
    assert procs.group_alive(pgid) and procs.same_group_alive(pgid, started)
    assert not procs.same_group_alive(pgid, started + "0")  # a reused pid is someone else
    oddly_named.kill()
    oddly_named.wait()
    assert not procs.group_alive(pgid) and not procs.same_group_alive(pgid, started)
