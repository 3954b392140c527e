"""executors/procs.py against real processes: a command's identity (pid + start time)
read from /proc, and whether its process group is still alive."""

from __future__ import annotations

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
