"""SSH commands (README.md, "SSH"): one command on many hosts at once, over paramiko.

We use paramiko (fabric's engine) directly rather than fabric.Connection:
fabric hard-wires AutoAddPolicy on every connection and ProxyJump hop,
rounds timeouts to whole seconds and reads invoke config files. ProxyJump is
done the way fabric's gateways do it: a `direct-tcpip` channel through the
jump host's connection.

Each host's command runs without a pty (stdout and stderr stay apart). Its
login shell carries a random token in its argv, so a timeout or Ctrl-C can
find it (pgrep) and kill its whole process group from a second channel.
Each host's output goes (masked) to the sink prefixed by host, and to its own
log file: `<log stem>.<host>.log` beside `spec.log_path`.
"""

from __future__ import annotations

import re
import selectors
import shlex
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

import paramiko

from runbookctl.durations import format_seconds
from runbookctl.executors.base import CommandSpec, HostResult, Masker, OutputSink
from runbookctl.executors.output import Output
from runbookctl.executors.procs import how_stopped
from runbookctl.executors.ssh.connections import (
    AcceptedKey,
    ConnectError,
    ConnectionPool,
    alive,
    open_session,
)
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.executors.ssh.targets import Target, describe
from runbookctl.runbook.inventory import HostSpec, HostSpecError, as_host_spec

CHUNK = 32 * 1024
POLL = 0.2  # seconds between checks for timeout / Ctrl-C while a command runs
SLICE = 0.05  # longest read of a flood between two such checks
LINGER = 1.0  # keep reading this long after exit while a background child holds the output
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SSHExecutor:
    """Runs a CommandSpec on `spec.hosts` (host spec strings or HostSpec objects,
    already resolved from groups); implements executors.base.Executor."""

    def __init__(self, config: SSHConfig | None = None) -> None:
        self.config = config or SSHConfig()
        self._conns = ConnectionPool(self.config)

    @property
    def accepted_keys(self) -> list[AcceptedKey]:
        return list(self._conns.accepted)

    def target(self, host: str | HostSpec) -> Target:
        """Where `host` leads after ~/.ssh/config, without connecting."""
        return self._conns.target(as_host_spec(host))

    def dry_run_lines(self, spec: CommandSpec) -> list[str]:
        """One line per host: where the command would run and what, without connecting."""
        sudo = "sudo " if spec.sudo else ""
        lines = []
        for host in spec.hosts:
            try:
                where = describe(self.target(host))
            except HostSpecError as exc:
                where = f"cannot resolve: {exc.message}"
            lines.append(f"{host} ({where}): {sudo}{spec.display}")
        return lines

    def execute(self, spec: CommandSpec, sink: OutputSink, masker: Masker) -> list[HostResult]:
        started, hosts = time.monotonic(), list(spec.hosts)
        try:
            remote_command(spec, "check")
        except ValueError as exc:
            return [_not_run(str(h), started, str(exc)) for h in hosts]
        if not hosts:
            return []
        stop, go = _Stop(), threading.Event()
        lock = threading.Lock()
        pool = ThreadPoolExecutor(max(1, min(spec.parallel, len(hosts))), "runbookctl-ssh")
        futures = [pool.submit(self._host, spec, h, _HostSink(sink, str(h), lock), masker, stop,
                               go) for h in hosts]
        # Threads start one by one, each waiting for the GIL; with the first
        # hosts already handshaking the last would start ~100 ms late.
        go.set()
        try:
            _wait_all(futures)
        except KeyboardInterrupt:
            # Stop every host (remote processes too), then report; a second
            # Ctrl-C while we clean up propagates.
            self._stop_all(stop, "SIGINT (Ctrl-C)", futures)
        except BaseException as exc:  # SIGTERM/SIGHUP: stop the remote commands, then the run
            from runbookctl.signals import describe, mark_stopped

            self._stop_all(stop, describe(exc), futures)
            if stop.hows:
                mark_stopped(exc, stop.how())
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return [_collect(f, str(h), started) for f, h in zip(futures, hosts, strict=True)]

    def close(self) -> None:
        self._conns.close()

    def _stop_all(self, stop: _Stop, why: str, futures: list[Future[HostResult]]) -> None:
        stop.why = why
        stop.set()
        self._conns.abort_pending()
        _wait_all(futures)

    def _host(self, spec: CommandSpec, host: str | HostSpec, sink: OutputSink, masker: Masker,
              stop: _Stop, go: threading.Event) -> HostResult:
        go.wait()
        label, started = str(host), time.monotonic()
        if stop.is_set():
            return _not_run(label, started, "interrupted before it started", interrupted=True)
        try:
            client, channel, accepted = self._conns.session(self._conns.target(as_host_spec(host)))
        except (ConnectError, HostSpecError) as exc:
            if stop.is_set():
                return _not_run(label, started, "interrupted while connecting", interrupted=True)
            return _not_run(label, started, str(exc))
        log = host_log(spec.log_path, label)
        try:
            out = Output(replace(spec, log_path=log), sink, masker)
        except OSError as exc:
            channel.close()
            return _not_run(label, started, f"cannot write the log {log}: {exc.strerror or exc}")
        if label in spec.per_host:  # the command mentions {{ host }}: rendered for this host
            spec = replace(spec, command=spec.per_host[label])
        run = _RemoteRun(self.config, spec, client, channel, out, stop, log)
        return replace(run.run(label, started), host_key_accepted=accepted)


class _Stop(threading.Event):
    """Set to stop every host: `why` names the signal, `hows` says per host how its
    remote command was stopped (procs.how_stopped)."""

    def __init__(self) -> None:
        super().__init__()
        self.why = "SIGINT (Ctrl-C)"
        self.hows: dict[str, str] = {}

    def how(self) -> str:
        """The hardest way any host's command was stopped."""
        return max(self.hows.values(), key=lambda how: "SIGKILL" in how)


def _wait_all(futures: list[Future[HostResult]]) -> None:
    # A timeout keeps the main thread responsive to Ctrl-C.
    while wait(futures, timeout=0.5).not_done:
        pass


def _collect(future: Future[HostResult], label: str, started: float) -> HostResult:
    if future.cancelled() or not future.done():
        return _not_run(label, started, "interrupted before it started", interrupted=True)
    return future.result()


def _not_run(label: str, started: float, error: str, interrupted: bool = False) -> HostResult:
    return HostResult(host=label, exit_code=None, duration=time.monotonic() - started,
                      error=error, interrupted=interrupted)


def host_log(log_path: Path, host: str) -> Path:
    """The log of one host: `0003-step.log` -> `0003-step.web1_2222.log`."""
    safe = re.sub(r"[^A-Za-z0-9_.@-]+", "_", host)
    return log_path.with_name(f"{log_path.stem}.{safe}{log_path.suffix}")


class _HostSink:
    """Gives each host's output its host name; one host writes at a time."""

    def __init__(self, sink: OutputSink, host: str, lock: threading.Lock) -> None:
        self.sink, self.host, self.lock = sink, host, lock

    @property
    def live(self) -> bool:
        return self.sink.live

    def output(self, host: str, stream: str, text: str) -> None:
        with self.lock:
            self.sink.output(self.host, stream, text)


# --- the remote command ----------------------------------------------------------


def remote_command(spec: CommandSpec, token: str) -> str:
    """The POSIX sh line sent to the host: env, cwd and sudo around
    `spec.shell -c spec.command`.

    The login shell sshd starts for it leads its own session and process
    group, and carries `runbookctl-TOKEN` in its argv, so `kill_command` can
    find and kill the whole group. It must stay the parent: `exit $?` keeps
    sh from exec'ing the last command in its place.
    """
    parts = [f": runbookctl-{token}"]
    for name, value in spec.env.items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"bad environment variable name '{name}'")
        parts.append(f"export {name}={shlex.quote(value)}")
    if spec.cwd:
        parts.append(f"cd {shlex.quote(spec.cwd)} || exit 1")
    run = f"{shlex.quote(spec.shell)} -c {shlex.quote(spec.command)}"
    if spec.sudo:
        # `-n` fails at once instead of waiting for a password nobody sends.
        auth = "-S -p ''" if spec.sudo_password is not None else "-n"
        # The command's stdin is /dev/null, so a password sudo did not ask
        # for is never read by the command.
        inner = "; ".join([*parts[1:], f"exec {run}"])
        parts = [parts[0], f"sudo {auth} /bin/sh -c {shlex.quote('exec </dev/null; ' + inner)}"]
    else:
        parts.append(run)
    return "; ".join(parts) + "; exit $?"


KILL_NO_PGREP = 3  # kill_command's exit status when the host has no pgrep
KILL_NEEDED = 4  # kill_command's exit status when SIGTERM was not enough


def kill_command(token: str, grace: float) -> str:
    """SIGTERM the process group (and session) of `remote_command(token)`,
    SIGKILL it after `grace` seconds. Exits 0 when SIGTERM was enough (or it was
    already gone), KILL_NEEDED when it took SIGKILL."""
    tries = max(1, round(grace / 0.05))
    # `[x]yz` matches "xyz" but not this script's own command line.
    pattern = f"runbookctl-[{token[0]}]{token[1:]}"
    return (
        f"command -v pgrep >/dev/null 2>&1 || exit {KILL_NO_PGREP}; p=; i=0; "
        f"while [ $i -lt 10 ]; do p=$(pgrep -o -u \"$(id -u)\" -f '{pattern}') && break; "
        "sleep 0.2; i=$((i+1)); done; "
        '[ -n "$p" ] || exit 0; '
        f"{_LIVE}; "
        'kill -TERM -"$p" 2>/dev/null; pkill -TERM -s "$p" 2>/dev/null; i=0; '
        f"while live && [ $i -lt {tries} ]; do sleep 0.05; i=$((i+1)); done; "
        f"e=0; live && e={KILL_NEEDED}; "
        'kill -KILL -"$p" 2>/dev/null; pkill -KILL -s "$p" 2>/dev/null; exit $e'
    )


# `live`: a process of group $p is still running. Zombies do not count: an orphan
# whose new parent (PID 1 in some containers) never reaps it is dead, and must
# neither hold up the stop until the grace runs out nor be called a SIGKILL.
_LIVE = (
    'live() { for q in $(pgrep -g "$p"); do '
    'if [ -r "/proc/$q/stat" ]; then '
    "case $(sed 's/.*) //' \"/proc/$q/stat\" 2>/dev/null) in Z*|'') ;; *) return 0;; esac; "
    'elif kill -0 "$q" 2>/dev/null; then return 0; fi; done; return 1; }'
)


class _RemoteRun:
    """One command on one host: stream its output until it ends, times out
    or is interrupted, then build the HostResult."""

    def __init__(self, config: SSHConfig, spec: CommandSpec, client: paramiko.SSHClient,
                 channel: paramiko.Channel, out: Output, stop: _Stop,
                 log_path: Path) -> None:
        self.config, self.spec, self.client = config, spec, client
        self.channel, self.out, self.stop = channel, out, stop
        self.log_path = log_path
        self.token = uuid.uuid4().hex
        self.how: str | None = None  # how _kill stopped the command

    def run(self, label: str, started: float) -> HostResult:
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
                if self.stop.is_set():
                    return "interrupted"
                if deadline is not None and now >= deadline:
                    return "timeout"
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
        """After a kill: what the command printed last, for at most until `until`."""
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
        grace = self.config.kill_grace
        try:
            killer = open_session(self.client, self.config.connect_timeout)
            try:
                killer.exec_command(kill_command(self.token, grace))
                killer.status_event.wait(grace + 4)
                status = killer.exit_status
            finally:
                killer.close()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            return f"could not stop the remote command (it may still run): {exc}"
        if status == KILL_NO_PGREP:
            return "could not stop the remote command (no pgrep on the host); it may still run"
        if status in (0, KILL_NEEDED):
            self.how = how_stopped(killed=status == KILL_NEEDED, grace=grace)
        return None

    def _result(self, label: str, started: float, state: str, error: str | None) -> HostResult:
        code: int | None = self.channel.exit_status if _has_status(self.channel) else None
        if state == "timeout":
            code, error = None, _join(f"timed out after {format_seconds(self.spec.timeout or 0)}",
                                      error)
        elif state == "interrupted":  # as a local command says it (executors.local)
            if self.how:
                self.stop.hows[label] = self.how
            why = f"interrupted by {self.stop.why}"
            code, error = None, _join(f"{why}; {self.how}" if self.how else why, error)
        elif state == "lost":
            code, error = None, error or ("connection lost while the command ran (it may "
                                          "still be running there)")
        elif code is None:
            code, error = None, "the remote command ended without an exit status (killed?)"
        streams = self.out.streams
        return HostResult(
            host=label, exit_code=code, duration=time.monotonic() - started,
            stdout=streams["stdout"].text, stderr=streams["stderr"].text,
            stdout_truncated=streams["stdout"].truncated,
            stderr_truncated=streams["stderr"].truncated,
            output_bytes=self.out.raw_bytes, output_sha256=self.out.sha256,
            tail=self.out.tail_lines(), timed_out=state == "timeout",
            interrupted=state == "interrupted", error=error or self.out.log_error,
            log_path=str(self.log_path),
        )


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
