"""One command on one host over a libssh2 session (libssh2_conn.py): the run
host_run.RemoteRun makes over paramiko — output streamed and logged as it comes, the
timeout, Ctrl-C, the remote kill from a second channel, a background child holding the
output let go of after LINGER — with the same HostResult.

The session is driven non-blocking from the host's own thread: read what libssh2 has,
then wait on the socket for what it needs. libssh2 cannot tell an exit status of 0 from
none at all, so the remote line prints a mark when its command exited 0
(remote_shell.confirmed_command), taken out of the output here (`_Mark`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from ssh2.error_codes import LIBSSH2_ERROR_EAGAIN
from ssh2.exceptions import SSH2Error

from runbookctl.durations import format_seconds
from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.output import Output
from runbookctl.executors.ssh.host_run import (
    CHUNK,
    LINGER,
    POLL,
    SLICE,
    Stop,
    cut_short,
    host_result,
)
from runbookctl.executors.ssh.libssh2_conn import (
    Libssh2Conn,
    Wait,
    blocking,
    call,
    drive,
    wait_socket,
)
from runbookctl.executors.ssh.remote_shell import (
    confirmed_command,
    kill_command,
    kill_outcome,
)
from runbookctl.executors.ssh.settings import SSHConfig

if TYPE_CHECKING:
    from runbookctl.executors.ssh.targets import Target

NO_STATUS = "the remote command ended without an exit status (killed?)"


class _Mark:
    """Takes the line's mark (remote_shell.confirmed_command) out of stdout wherever it
    comes (a background child may print after it), holding back only bytes that may be
    its beginning; `seen` once it came."""

    def __init__(self, mark: bytes) -> None:
        self.mark, self.held, self.seen = mark, b"", False

    def feed(self, data: bytes) -> bytes:
        data = self.held + data
        if not self.seen and self.mark in data:
            self.seen = True
            data = data.replace(self.mark, b"", 1)
        self.held = b""
        if not self.seen:
            for size in range(min(len(self.mark) - 1, len(data)), 0, -1):
                if self.mark.startswith(data[-size:]):
                    data, self.held = data[:-size], data[-size:]
                    break
        return data

    def rest(self) -> bytes:
        held, self.held = self.held, b""
        return held


class Libssh2Run:
    """One command on one host over `conn` (whose lock the caller holds)."""

    def __init__(self, config: SSHConfig, spec: CommandSpec, conn: Libssh2Conn, channel: Any,
                 out: Output, stop: Stop, token: str, mark: bytes) -> None:
        self.config, self.spec, self.conn = config, spec, conn
        self.channel, self.out, self.stop, self.token = channel, out, stop, token
        self.mark = _Mark(mark)
        self.how: str | None = None  # how _kill stopped the command
        self.closed = False

    def run(self, label: str, started: float) -> HostResult:
        try:
            state = self._pump(time.monotonic())
        except (SSH2Error, OSError):  # libssh2 says no more than the socket failed
            state = "lost"
        return self.end(state, label, started)

    def end(self, state: str, label: str, started: float) -> HostResult:
        """After the pump (`state` as it ended: "done", "timeout", "interrupted" or
        "lost"): the remote kill when needed, the exit status, the HostResult."""
        error, code = None, None
        try:
            if state in ("timeout", "interrupted"):
                error = self._kill()
                self._drain(time.monotonic() + 1.0)
            elif state == "done":  # closed, or its status came and a child holds the output
                code = self._status()
                error = None if code is not None else NO_STATUS
        except (SSH2Error, OSError):  # libssh2 says no more than the socket failed
            state, error = "lost", None  # host_result says it as the paramiko path does
        finally:
            with suppress(SSH2Error, OSError):
                self.channel.close()  # non-blocking: our half of the close, if it can go now
            # Freed here (libssh2 writes to the session), while the caller holds the
            # connection's lock: not later, where another host may be using the session.
            self.channel = None
            if held := self.mark.rest():  # bytes that looked like the mark's beginning
                self.out.feed("stdout", held)
            self.out.finish()
        return host_result(self.spec, self.out, self.stop, label, started, state, code, error,
                           self.how)

    def pump(self, begun: float, slice_: float = SLICE) -> Generator[float, None, str]:
        """Read until the command ends; yields how long to wait on the socket (the caller
        waits as wait_socket does; 0 after `slice_` of a flood, for a caller with others
        to serve) and returns "done", "timeout" or "interrupted"."""
        timeout = self.spec.timeout
        deadline = None if timeout is None else begun + timeout
        linger_until: float | None = None
        while True:
            pending = self._read(time.monotonic() + slice_)
            now = time.monotonic()
            if cut := cut_short(self.stop, deadline, now):
                return cut
            if pending:
                yield 0.0
                continue
            if self._ended():
                return "done"
            if self._status() is not None:  # it exited; a child holds the output
                linger_until = linger_until or now + LINGER
                if now >= linger_until:
                    return "done"
            self.conn.session.keepalive_send()
            left = POLL if deadline is None else min(POLL, deadline - now)
            yield min(left, linger_until - now) if linger_until else left

    def _pump(self, begun: float) -> str:
        """The pump, waiting on the socket from this thread."""
        steps = self.pump(begun)
        while True:
            try:
                seconds = next(steps)
            except StopIteration as done:
                return str(done.value)
            wait_socket(self.conn, seconds)

    def _status(self) -> int | None:
        """The exit status, once it came: not 0, or 0 with the mark."""
        status = int(self.channel.get_exit_status())
        return status if status != 0 or self.mark.seen else None

    def _ended(self) -> bool:
        """The channel is closed by the server (after its EOF and exit status)."""
        if not self.closed and self.channel.eof():
            self.closed = self.channel.wait_closed() == 0
        return self.closed

    def _read(self, until: float) -> bool:
        """Read what is ready, until `until`; True if data was still pending then."""
        chan, feed = self.channel, self.out.feed
        while True:
            got = False
            for stream, read in (("stdout", chan.read), ("stderr", chan.read_stderr)):
                size, data = read(CHUNK)
                if size > 0:
                    got = True
                    if stream == "stdout":
                        data = self.mark.feed(data)
                    if data:
                        feed(stream, data)
                elif size not in (0, LIBSSH2_ERROR_EAGAIN):
                    raise OSError(f"libssh2 error {size}")
            if not got:
                return False
            if time.monotonic() >= until:
                return True

    def _drain(self, until: float) -> None:
        """After a kill: what the command printed last, for at most until `until`."""
        try:
            while time.monotonic() < until and not self._ended():
                if not self._read(until):
                    wait_socket(self.conn, min(POLL, until - time.monotonic()))
            self._read(until)
        except (SSH2Error, OSError):
            pass

    def _kill(self) -> str | None:
        """Kill the remote process group over a second channel (as RemoteRun._kill);
        what the command prints as it winds down is shown as it comes."""
        grace = self.config.kill_grace

        def start(session: Any) -> Any:
            killer = session.open_session()
            killer.execute(kill_command(self.token, grace))
            killer.send_eof()
            return killer

        try:
            killer = blocking(self.conn, start, self.config.connect_timeout)
            try:
                status = self._follow(killer, time.monotonic() + grace + 4)
            finally:
                with suppress(SSH2Error, OSError):
                    killer.close()  # as the paramiko path closes its killer
        except (SSH2Error, OSError) as exc:
            return f"could not stop the remote command (it may still run): {exc}"
        error, self.how = kill_outcome(status, grace)
        return error

    def _follow(self, killer: Any, until: float) -> int | None:
        """The kill's exit status once it is done (None if not done by `until`); the
        command's output meanwhile, unless it cannot be shown (the kill goes on)."""
        reading = True
        while time.monotonic() < until:
            if reading:
                try:
                    if self._read(time.monotonic() + SLICE):
                        continue
                except OSError:
                    reading = False
            while killer.read(CHUNK)[0] > 0:  # the kill says nothing; were it to, not again
                pass
            if killer.eof() and killer.wait_closed() == 0:
                return int(killer.get_exit_status())
            wait_socket(self.conn, min(POLL, until - time.monotonic()))
        return None


def no_session(target: Target, exc: BaseException, config: SSHConfig) -> str:
    """Why no session channel could be opened on a host's connection."""
    if isinstance(exc, TimeoutError):
        why = f"no answer within {format_seconds(config.connect_timeout)}"
    else:
        why = str(exc) or type(exc).__name__
    return f"cannot open a session on {target.address}: {why}"


def open_channel(config: SSHConfig, conn: Libssh2Conn) -> Any:
    """A new session channel on `conn` (an error here: the connection went stale, and
    nothing was sent to run)."""
    return drive(channel_steps(config, conn))


def channel_steps(config: SSHConfig, conn: Libssh2Conn) -> Generator[Wait, Any, Any]:
    """open_channel, non-blocking (libssh2_conn.login says how)."""
    until = time.monotonic() + config.connect_timeout
    channel = yield from call(conn.sock, conn.session, until, conn.session.open_session)
    if isinstance(channel, int):  # no channel, and no error said
        raise SSH2Error(f"no channel ({channel})")
    return channel


def start_command(config: SSHConfig, spec: CommandSpec, conn: Libssh2Conn, channel: Any
                  ) -> tuple[str, bytes]:
    """Start `spec`'s command on `channel` (its stdin closed, or given the sudo password);
    the token that finds it again and the mark of its exit 0. An error here may come after
    the host took the command: it is never sent again."""
    return drive(start_steps(config, spec, conn, channel))


def start_steps(config: SSHConfig, spec: CommandSpec, conn: Libssh2Conn, channel: Any
                ) -> Generator[Wait, Any, tuple[str, bytes]]:
    """start_command, non-blocking."""
    token = uuid.uuid4().hex
    line, mark = confirmed_command(spec, token)
    sock, session = conn.sock, conn.session
    until = time.monotonic() + config.connect_timeout
    yield from call(sock, session, until, channel.execute, line)
    if spec.sudo and spec.sudo_password is not None:
        data = (spec.sudo_password + "\n").encode("utf-8")
        while data:
            sent = yield from call(sock, session, until, _write, channel, data)
            data = data[sent:]
    yield from call(sock, session, until, channel.send_eof)  # EOF, as a local command reads
    return token, mark


def _write(channel: Any, data: bytes) -> int:
    """How much of `data` the channel took now (LIBSSH2_ERROR_EAGAIN: none yet). ssh2's
    write says (its code, bytes written): EAGAIN may come after a part was taken."""
    rc, sent = channel.write(data)
    return int(sent) if sent > 0 or rc != LIBSSH2_ERROR_EAGAIN else LIBSSH2_ERROR_EAGAIN
