"""How a command over libssh2 ends (logic only, a scripted channel; the real sshd runs
every executor test over libssh2 too: tests/integration/test_ssh_executor.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from ssh2.error_codes import LIBSSH2_ERROR_EAGAIN

from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.output import Output
from runbookctl.executors.ssh import libssh2_run
from runbookctl.executors.ssh.host_run import Stop
from runbookctl.executors.ssh.libssh2_conn import Libssh2Conn
from runbookctl.executors.ssh.libssh2_run import NO_STATUS, Libssh2Run
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.safety.masking import Redactor

AGAIN = (LIBSSH2_ERROR_EAGAIN, b"")


class _Channel:
    def __init__(self, out: list[bytes], status: int, closes: bool = True) -> None:
        self.out, self.status, self.closes = list(out), status, closes
        self.closed_by_us = False

    def read(self, size: int) -> tuple[int, bytes]:
        return (len(self.out[0]), self.out.pop(0)) if self.out else AGAIN

    def read_stderr(self, size: int) -> tuple[int, bytes]:
        return AGAIN

    def eof(self) -> bool:
        return not self.out and self.closes

    def wait_closed(self) -> int:
        return 0

    def get_exit_status(self) -> int:
        return self.status

    def close(self) -> int:
        self.closed_by_us = True
        return 0


class _Session:
    def keepalive_send(self) -> int:
        return 10

    def block_directions(self) -> int:
        return 0


class _Sink:
    live = False

    def output(self, host: str, stream: str, text: str) -> None:
        pass


@pytest.fixture
def conn() -> Iterator[Libssh2Conn]:
    ours, theirs = socket.socketpair()  # never readable: a wait lasts its whole time
    yield Libssh2Conn(ours, _Session())
    ours.close()
    theirs.close()


def _run(tmp_path: Path, conn: Libssh2Conn, channel: _Channel, timeout: float | None = 30
         ) -> HostResult:
    spec = CommandSpec("s", "x", "x", tmp_path / "0001-s.log", hosts=["h"], timeout=timeout)
    out = Output(spec, _Sink(), Redactor())
    return Libssh2Run(SSHConfig(), spec, conn, channel, out, Stop(), "tok").run("h", 0.0)


@pytest.mark.parametrize(("status", "code"), [(1, 0), (4, 3), (255, 254)])
def test_the_exit_status_is_the_shifted_one_less_one(tmp_path: Path, conn: Libssh2Conn,
                                                     status: int, code: int) -> None:
    channel = _Channel([b"hello\n"], status)
    result = _run(tmp_path, conn, channel)
    assert (result.exit_code, result.stdout, result.error) == (code, "hello\n", None)
    assert channel.closed_by_us


def test_no_exit_status_is_said_not_taken_for_success(tmp_path: Path, conn: Libssh2Conn) -> None:
    result = _run(tmp_path, conn, _Channel([], 0))
    assert (result.exit_code, result.error) == (None, NO_STATUS)
    assert not result.ok


def test_a_child_holding_the_output_is_let_go_after_the_linger(
        tmp_path: Path, conn: Libssh2Conn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libssh2_run, "LINGER", 0.05)
    # it exited (status arrived) but its output never ends: no EOF, no close
    result = _run(tmp_path, conn, _Channel([b"started\n"], 1, closes=False))
    assert (result.exit_code, result.stdout, result.error) == (0, "started\n", None)


def test_a_command_past_its_timeout_is_timed_out(tmp_path: Path, conn: Libssh2Conn,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Libssh2Run, "_kill", lambda self: None)
    result = _run(tmp_path, conn, _Channel([], 0, closes=False), timeout=0.05)
    assert result.timed_out and result.exit_code is None
    assert result.error == "timed out after 0.05s"


def test_a_socket_failure_is_a_lost_connection(tmp_path: Path, conn: Libssh2Conn) -> None:
    channel = _Channel([], 1)

    def broken(size: int) -> tuple[int, bytes]:
        raise OSError("socket recv")

    channel.read = broken  # type: ignore[method-assign]
    result = _run(tmp_path, conn, channel)
    assert result.exit_code is None
    assert result.error == "connection lost while the command ran (it may still be running there)"
