"""One command on one host over an open channel: stream its output until it ends,
times out or is stopped, kill it remotely when needed, and say how it ended."""

from __future__ import annotations

import re
import selectors
import threading
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.durations import format_seconds
from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.output import Output
from runbookctl.executors.ssh.connections import alive, open_session
from runbookctl.executors.ssh.remote_shell import kill_command, kill_outcome, remote_command
from runbookctl.executors.ssh.settings import SSHConfig

if TYPE_CHECKING:
    import paramiko

CHUNK = 32 * 1024
POLL = 0.2  # seconds between checks for timeout / Ctrl-C while a command runs
SLICE = 0.05  # longest read of a flood between two such checks
LINGER = 1.0  # keep reading this long after exit while a background child holds the output


class Stop(threading.Event):
    """Set to stop every host: `why` names the signal, `hows` says per host how its
    remote command was stopped (procs.how_stopped)."""

    def __init__(self) -> None:
        super().__init__()
        self.why = "SIGINT (Ctrl-C)"
        self.hows: dict[str, str] = {}

    def how(self) -> str:
        """The hardest way any host's command was stopped."""
        return max(self.hows.values(), key=lambda how: "SIGKILL" in how)


class RemoteRun:
    """One command on one host: stream its output until it ends, times out
    or is interrupted, then build the HostResult."""

    def __init__(self, config: SSHConfig, spec: CommandSpec, client: paramiko.SSHClient,
                 channel: paramiko.Channel, out: Output, stop: Stop,
                 log_path: Path) -> None:
        self.config, self.spec, self.client = config, spec, client
        self.channel, self.out, self.stop = channel, out, stop
        self.log_path = log_path
        self.token = uuid.uuid4().hex
        self.how: str | None = None  # how _kill stopped the command

    def run(self, label: str, started: float) -> HostResult:
        import paramiko  # the paramiko path's (a libssh2 fan-out never imports it)

        state, error = "done", None
        begun = time.monotonic()
        try:
            self._start()
            state = self._pump(begun)
            if state in ("timeout", "interrupted"):
                error = self._kill()
                self._drain(time.monotonic() + 1.0)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            state, error = "lost", f"connection lost: {exc or type(exc).__name__}"
        finally:
            self.channel.close()
            self.out.finish()
        return self._result(label, started, state, error)

    def _start(self) -> None:
        self.channel.exec_command(remote_command(self.spec, self.token))
        if self.spec.sudo and self.spec.sudo_password is not None:
            self.channel.sendall((self.spec.sudo_password + "\n").encode("utf-8"))
        self.channel.shutdown_write()  # the command reads EOF, as a local one does

    def _pump(self, begun: float) -> str:
        """Read until the command ends: "done", "timeout", "interrupted" or "lost"."""
        timeout = self.spec.timeout
        deadline = None if timeout is None else begun + timeout
        linger_until: float | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(self.channel, selectors.EVENT_READ)
            while True:
                # A flood never leaves the pipe empty: read one slice, then look
                # at the clock and the stop flag whatever is still pending.
                pending = self._read(time.monotonic() + SLICE)
                chan = self.channel
                now = time.monotonic()
                if cut := cut_short(self.stop, deadline, now):
                    return cut
                if pending:
                    continue
                if _has_status(chan) and (chan.closed or chan.eof_received):
                    return "done"
                if chan.closed:  # no exit status: the command was killed, or the link died
                    return "lost" if _dies_within(self.client, 0.5) else "done"
                if not alive(self.client):
                    return "lost"
                if _has_status(chan):
                    linger_until = linger_until or now + LINGER
                    if now >= linger_until:
                        return "done"
                wait_for = POLL if deadline is None else max(min(POLL, deadline - now), 0)
                if chan.eof_received:
                    chan.status_event.wait(wait_for)  # the pipe stays readable after EOF
                else:
                    selector.select(wait_for)

    def _read(self, until: float) -> bool:
        """Read what is ready, until `until`; True if data was still pending then."""
        chan, feed = self.channel, self.out.feed
        while True:
            got = False
            if chan.recv_ready():
                feed("stdout", chan.recv(CHUNK))
                got = True
            if chan.recv_stderr_ready():
                feed("stderr", chan.recv_stderr(CHUNK))
                got = True
            if not got:
                return False
            if time.monotonic() >= until:
                return chan.recv_ready() or chan.recv_stderr_ready()

    def _drain(self, until: float) -> None:
        """After a kill: what the command printed last, for at most until `until`; best
        effort: output that cannot be shown (closed) or a link gone ends it."""
        with suppress(OSError):
            while not self.channel.closed and time.monotonic() < until:
                if self._read(until):
                    continue
                if self.channel.eof_received and _has_status(self.channel):
                    break
                time.sleep(0.05)
            self._read(until)

    def _kill(self) -> str | None:
        """Kill the remote process group over a second channel; `self.how` says how
        it went, the result an error if it could not be done."""
        import paramiko

        grace = self.config.kill_grace
        try:
            killer = open_session(self.client, self.config.connect_timeout)
            try:
                killer.exec_command(kill_command(self.token, grace))
                self._follow(killer, time.monotonic() + grace + 4)
                status = killer.exit_status
            finally:
                killer.close()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            return f"could not stop the remote command (it may still run): {exc}"
        error, self.how = kill_outcome(status, grace)
        return error

    def _follow(self, killer: paramiko.Channel, until: float) -> None:
        """Until the kill is done (or `until`): what the command prints as it winds down
        (a TERM trap, a drain) is shown and logged as it comes, not after the grace. If
        showing fails, the kill is still waited for: it must not be cut short."""
        if killer.status_event.is_set():
            return
        chan, reading = self.channel, True
        with selectors.DefaultSelector() as selector:
            selector.register(chan, selectors.EVENT_READ)  # the command's output
            selector.register(killer, selectors.EVENT_READ)  # the kill's end (its EOF)
            while not killer.status_event.is_set():
                left = until - time.monotonic()
                if left <= 0:
                    return
                try:
                    if reading and self._read(time.monotonic() + SLICE):
                        continue
                except OSError:  # it cannot be shown (the output closed): the kill goes on
                    reading = False
                while killer.recv_ready():  # the kill says nothing; were it to, not again
                    killer.recv(CHUNK)
                if reading and not (chan.closed or chan.eof_received):
                    selector.select(min(POLL, left))
                else:  # nothing more to read from the command: wait for the kill alone
                    killer.status_event.wait(min(POLL, left))

    def _result(self, label: str, started: float, state: str, error: str | None) -> HostResult:
        code: int | None = self.channel.exit_status if _has_status(self.channel) else None
        return host_result(self.spec, self.out, self.stop, label, started, state, code,
                           error, self.how)


def host_result(spec: CommandSpec, out: Output, stop: Stop, label: str, started: float,
                state: str, code: int | None, error: str | None, how: str | None
                ) -> HostResult:
    """How one host's command ended (`state`: "done", "timeout", "interrupted" or "lost";
    `code`: its exit status, None when none came; `how`: how it was stopped)."""
    if state == "timeout":
        code, error = None, _join(f"timed out after {format_seconds(spec.timeout or 0)}",
                                  error)
    elif state == "interrupted":  # as a local command says it (executors.local)
        if how:
            stop.hows[label] = how
        why = f"interrupted by {stop.why}"
        code, error = None, _join(f"{why}; {how}" if how else why, error)
    elif state == "lost":
        code, error = None, error or ("connection lost while the command ran (it may "
                                      "still be running there)")
    elif code is None:
        code, error = None, error or "the remote command ended without an exit status (killed?)"
    streams = out.streams
    return HostResult(
        host=label, exit_code=code, duration=time.monotonic() - started,
        stdout=streams["stdout"].text, stderr=streams["stderr"].text,
        stdout_truncated=streams["stdout"].truncated,
        stderr_truncated=streams["stderr"].truncated,
        output_bytes=out.raw_bytes, output_sha256=out.sha256,
        tail=out.tail_lines(), timed_out=state == "timeout",
        interrupted=state == "interrupted", error=error or out.log_error,
        log_path=out.log_written,
    )


def cut_short(stop: Stop, deadline: float | None, now: float) -> str | None:
    """"interrupted" once the run is stopping, "timeout" past the command's deadline."""
    if stop.is_set():
        return "interrupted"
    if deadline is not None and now >= deadline:
        return "timeout"
    return None


def _has_status(chan: paramiko.Channel) -> bool:
    """An exit status arrived (paramiko also sets its event, with -1, on close)."""
    return chan.exit_status_ready() and chan.exit_status >= 0


def _dies_within(client: paramiko.SSHClient, seconds: float) -> bool:
    """Whether the connection turns out dead (its channel close may come first)."""
    deadline = time.monotonic() + seconds
    while alive(client):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _join(reason: str, extra: str | None) -> str:
    return f"{reason}; {extra}" if extra else reason


def host_log(log_path: Path, host: str) -> Path:
    """The log of one host: `0003-step.log` -> `0003-step.web1_2222.log`."""
    safe = re.sub(r"[^A-Za-z0-9_.@-]+", "_", host)
    return log_path.with_name(f"{log_path.stem}.{safe}{log_path.suffix}")


def not_run(label: str, started: float, error: str, interrupted: bool = False) -> HostResult:
    """A host whose command was never run (`error` says why)."""
    return HostResult(host=label, exit_code=None, duration=time.monotonic() - started,
                      error=error, interrupted=interrupted)
