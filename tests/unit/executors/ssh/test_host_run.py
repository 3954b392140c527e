"""The ssh reader against a channel that never runs dry (logic only; the real sshd
floods in tests/integration/test_ssh_flood.py): it must still see its deadline and the
stop flag. Before, it looped as long as data was ready, which a flood always is."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.output import Output
from runbookctl.executors.ssh.host_run import RemoteRun, Stop
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.safety.masking import Redactor

LINE = b"y\n" * 16384
GIVE_UP = 30.0  # the fake ends the flood itself after this: a broken reader cannot hang pytest


class _Killer:
    exit_status = 0

    def __init__(self) -> None:
        self.status_event = threading.Event()
        self.status_event.set()

    def exec_command(self, command: str) -> None:
        pass

    def fileno(self) -> int:  # a channel's pipe, as paramiko's (never readable here)
        return _PIPE[2]

    def recv_ready(self) -> bool:
        return False

    def close(self) -> None:
        pass


class _Transport:
    def is_active(self) -> bool:
        return True

    def open_session(self, timeout: float) -> _Killer:
        return _Killer()


class _Client:
    def get_transport(self) -> _Transport:
        return _Transport()


class _Flood:
    """A channel with data always ready, on stdout and stderr, until GIVE_UP."""

    closed = False
    eof_received = False

    def __init__(self) -> None:
        self.ends = time.monotonic() + GIVE_UP
        self.status_event = threading.Event()

    def fileno(self) -> int:  # for the selector: a pipe that is never readable
        return _PIPE[0]

    def recv_ready(self) -> bool:
        return time.monotonic() < self.ends

    recv_stderr_ready = recv_ready

    def recv(self, size: int) -> bytes:
        return LINE[:size]

    recv_stderr = recv

    def exit_status_ready(self) -> bool:
        return False

    exit_status = -1

    def exec_command(self, command: str) -> None:
        pass

    def shutdown_write(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


_PIPE: tuple[int, ...] = (-1, -1, -1, -1)  # the command's channel's pipe, the kill's


@pytest.fixture(autouse=True)
def _pipe() -> Any:
    import os

    global _PIPE
    _PIPE = os.pipe() + os.pipe()
    yield
    for fd in _PIPE:
        os.close(fd)


class _Null:
    live = False

    def output(self, host: str, stream: str, text: str) -> None:
        pass


def _reader(tmp_path: Path, timeout: float | None) -> tuple[RemoteRun, Stop]:
    spec = CommandSpec(step_id="s", command="yes", display="yes", log_path=tmp_path / "s.log",
                       hosts=["h"], timeout=timeout)
    stop = Stop()
    out = Output(spec, _Null(), Redactor())
    channel: Any = _Flood()
    run = RemoteRun(SSHConfig(kill_grace=0.1), spec, _Client(), channel,  # type: ignore[arg-type]
                     out, stop, tmp_path / "s.log")
    return run, stop


def _finish(run: RemoteRun, stop: Stop | None = None) -> tuple[HostResult, float]:
    results: list[HostResult] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: results.append(run.run("h", started)), daemon=True)
    thread.start()
    if stop is not None:
        while run.out.raw_bytes == 0:  # the flood is under way
            assert thread.is_alive() and time.monotonic() - started < GIVE_UP
            time.sleep(0.01)
        stop.set()
    thread.join(GIVE_UP + 5)
    assert results, "the reader never returned"
    return results[0], time.monotonic() - started


def test_a_flood_stops_at_the_timeout(tmp_path: Path) -> None:
    run, _ = _reader(tmp_path, timeout=0.5)
    result, took = _finish(run)
    assert result.timed_out and result.error == "timed out after 0.5s"
    assert took < GIVE_UP / 2 and result.output_bytes > 0


def test_a_flood_stops_at_the_stop_flag(tmp_path: Path) -> None:
    run, stop = _reader(tmp_path, timeout=None)
    result, took = _finish(run, stop)
    assert result.interrupted
    assert result.error == "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM"
    assert took < GIVE_UP / 2


def test_a_host_not_run_says_why_with_no_exit_status() -> None:
    from runbookctl.executors.ssh.host_run import not_run

    r = not_run("web1", time.monotonic(), "interrupted before it started", interrupted=True)
    assert (r.host, r.exit_code, r.error, r.interrupted, r.ok) == (
        "web1", None, "interrupted before it started", True, False)
    assert 0 <= r.duration < 60
