"""How a command over libssh2 ends (logic only, a scripted channel; the real sshd runs
every executor test over libssh2 too: tests/integration/test_ssh_executor.py)."""

from __future__ import annotations

import socket
import time
import weakref
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
from runbookctl.executors.ssh.targets import Target
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


class _Flood(_Channel):
    """A channel that always has more to read."""

    def __init__(self) -> None:
        super().__init__([], 0, closes=False)
        self.reads = 0

    def read(self, size: int) -> tuple[int, bytes]:
        self.reads += 1
        return 5, b"yes\n\n"


def test_a_flood_gives_the_caller_its_turn_after_each_slice(tmp_path: Path,
                                                            conn: Libssh2Conn) -> None:
    """The pump yields (a wait of 0) once it has read for its slice with more still
    there: the fan-out loop's other hosts get their turns (libssh2_loop)."""
    spec = CommandSpec("s", "x", "x", tmp_path / "0001-s.log", hosts=["h"], timeout=5)
    channel = _Flood()
    run = Libssh2Run(SSHConfig(), spec, conn, channel, Output(spec, _Sink(), Redactor()),
                     Stop(), "tok", MARK)
    pump = run.pump(time.monotonic(), 0.001)
    assert next(pump) == 0.0
    assert next(pump) == 0.0
    assert channel.reads > 2


@pytest.mark.parametrize(("exc", "why"), [
    (TimeoutError(), "no answer within 7s"),
    (OSError("Socket recv error"), "Socket recv error"),
    (OSError(), "OSError"),
])
def test_why_no_session_could_be_opened(exc: BaseException, why: str) -> None:
    target = Target(label="web1", hostname="10.0.0.5", port=2222, user="u")
    assert libssh2_run.no_session(target, exc, SSHConfig(connect_timeout=7.0)) == (
        f"cannot open a session on 10.0.0.5:2222: {why}")


def test_the_channel_is_let_go_when_the_run_ends(tmp_path: Path, conn: Libssh2Conn) -> None:
    """libssh2 frees a channel by writing to its session: at the run's end, while its
    caller holds the connection's lock, not whenever the last reference goes."""
    channel = _Channel([b"hi\n" + MARK], 0)
    gone = weakref.ref(channel)
    spec = CommandSpec("s", "x", "x", tmp_path / "0001-s.log", hosts=["h"], timeout=30)
    run = Libssh2Run(SSHConfig(), spec, conn, channel, Output(spec, _Sink(), Redactor()),
                     Stop(), "tok", MARK)
    del channel
    assert run.run("h", time.monotonic()).exit_code == 0
    assert gone() is None
