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
MARK = b"\x1erunbookctl-tok-ok\x1e"


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
    return Libssh2Run(SSHConfig(), spec, conn, channel, out, Stop(), "tok", MARK).run("h", 0.0)


@pytest.mark.parametrize(("chunks", "status", "code", "shown"), [
    ([b"hello\n" + MARK], 0, 0, "hello\n"),
    ([b"hello\n\x1erunbook", b"ctl-tok-ok\x1e"], 0, 0, "hello\n"),  # cut in two
    ([b"hello\n"], 3, 3, "hello\n"),
    ([b"a\x1eb\n\x1e"], 255, 255, "a\x1eb\n\x1e"),  # its beginning, held, then shown
])
def test_the_exit_status_and_the_mark_of_a_real_zero(tmp_path: Path, conn: Libssh2Conn,
                                                     chunks: list[bytes], status: int,
                                                     code: int, shown: str) -> None:
    channel = _Channel(chunks, status)
    result = _run(tmp_path, conn, channel)
    assert (result.exit_code, result.stdout, result.error) == (code, shown, None)
    assert channel.closed_by_us


def test_a_zero_without_the_mark_is_no_status_not_success(tmp_path: Path,
                                                          conn: Libssh2Conn) -> None:
    result = _run(tmp_path, conn, _Channel([b"bye\n"], 0))  # the shell was killed
    assert (result.exit_code, result.error, result.stdout) == (None, NO_STATUS, "bye\n")
    assert not result.ok


@pytest.mark.parametrize(("chunks", "status", "code"), [([b"started\n" + MARK], 0, 0),
                                                        ([b"started\n"], 2, 2)])
def test_a_child_holding_the_output_is_let_go_after_the_linger(
        tmp_path: Path, conn: Libssh2Conn, monkeypatch: pytest.MonkeyPatch,
        chunks: list[bytes], status: int, code: int) -> None:
    monkeypatch.setattr(libssh2_run, "LINGER", 0.05)
    # it exited (status arrived) but its output never ends: no EOF, no close
    result = _run(tmp_path, conn, _Channel(chunks, status, closes=False))
    assert (result.exit_code, result.stdout, result.error) == (code, "started\n", None)


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
