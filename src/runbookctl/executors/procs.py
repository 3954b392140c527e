"""Process groups of commands: are they alive, stop them, and recognise them
again after runbookctl itself was killed (pid + start time, so a reused pid
is never taken for the command)."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state is [0])."""
    # os.open/os.read, not Path.read_text: read before every local command, where the
    # text-file machinery (fstat, ioctl, seeks, a decoder) cost more than the read.
    try:
        fd = os.open(f"{PROC}/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
        try:
            raw = os.read(fd, 4096)
        finally:
            os.close(fd)
    except OSError:
        return None
    # The command name may hold any bytes (even ')'): the fields start after its last ')'.
    return raw[raw.rfind(b")") + 2 :].decode("ascii", "replace").split()


def start_time(pid: int) -> str | None:
    """An identity for the process `pid`: boot id + start time in clock ticks.

    A pid is reused; pid + this is not (also across a reboot). None without /proc.
    """
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    return f"{_boot_id()}:{fields[19]}"


_BOOT_CLOCK: int | None = getattr(time, "CLOCK_BOOTTIME", None)  # Linux only


def boot_clock() -> int | None:
    """Now on the clock a process's start time is taken from (CLOCK_BOOTTIME, ns);
    None where there is no such clock."""
    return None if _BOOT_CLOCK is None else time.clock_gettime_ns(_BOOT_CLOCK)


def start_time_between(pid: int, before: int | None, after: int | None) -> str | None:
    """start_time(pid) for a process forked between two boot_clock() readings.

    The kernel stamps a new process with the boot clock at fork, and /proc shows
    that stamp in clock ticks: when both readings fall in the same tick, so does
    the fork, and that tick is the start time. Read from /proc otherwise (a
    straddled tick, ~2% of forks). Reading /proc just after the fork blocks until
    the child's exec is done, ~0.1-0.5 ms a local command spent waiting.
    """
    if before is None or after is None:
        return start_time(pid)
    tick = 1_000_000_000 // _clock_ticks()
    if before // tick == after // tick and _boot_id():
        return f"{_boot_id()}:{before // tick}"
    return start_time(pid)


@functools.cache
def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


@functools.cache
def _boot_id() -> str:
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is left in the group.

    Orphans whose parent does not reap them (PID 1 in some containers) stay
    as zombies; they are dead and must not hold us up.
    """
    if not PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and len(fields) > 2 and fields[0] not in "ZX" and fields[2] == str(pgid):
                return True
    return False


def same_group_alive(pgid: int, started: str | None) -> bool:
    """Whether the group `pgid` whose leader started at `started` (start_time) still runs.

    A group outlives its leader (`sleep 60 &`); while any member lives its id
    cannot be given to a new process. If a process `pgid` exists, it is the
    leader: ours only if its start time matches.
    """
    if started is not None and start_time(pgid) not in (None, started):
        return False  # the pid was reused: that is someone else's process
    return group_alive(pgid)


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_group(pgid: int, grace: float, reap: Callable[[], object] | None = None,
               idle: Callable[[float], object] = time.sleep) -> str:
    """SIGTERM the whole group, SIGKILL what is left after `grace`; says how it stopped.

    `reap` (the parent's poll) keeps our own child from lingering as a zombie.
    `idle(seconds)` fills the waits between looks (the executor reads the command's
    output there: shown as it winds down, and its pipes never fill and block it).
    Any exception while waiting (a second Ctrl-C: "now") kills hard, then propagates.
    """
    signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    try:
        while time.monotonic() < deadline:
            if reap is not None:
                reap()
            if not group_alive(pgid):
                return how_stopped(killed=False, grace=grace)
            idle(0.02)
    except BaseException:
        signal_group(pgid, signal.SIGKILL)
        raise
    signal_group(pgid, signal.SIGKILL)
    _await_gone(pgid, reap)
    return how_stopped(killed=True, grace=grace)


def _await_gone(pgid: int, reap: Callable[[], object] | None, deadline: float = 5.0) -> None:
    """Wait (bounded) until a SIGKILLed group is gone: delivery is not instant.

    A process killed while another holds the CPU stays runnable for a moment;
    saying "stopped" before it is gone let callers see it alive.
    """
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        if reap is not None:
            reap()
        if not group_alive(pgid):
            return
        time.sleep(0.01)


def how_stopped(killed: bool, grace: float) -> str:
    """How a command was stopped, for the record (local and remote alike)."""
    if killed:
        return f"command stopped with SIGKILL ({grace:g}s after SIGTERM)"
    return "command stopped with SIGTERM"


def wait_group(pgid: int, started: str | None, poll: float = 0.2) -> None:
    """Wait until the group has ended (no deadline: Ctrl-C stops the wait)."""
    while same_group_alive(pgid, started):
        time.sleep(poll)
