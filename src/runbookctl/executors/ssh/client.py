"""SSH commands (README.md, "SSH"): one command on many hosts at once, over paramiko.

We use paramiko (fabric's engine) directly rather than fabric.Connection:
fabric hard-wires AutoAddPolicy on every connection and ProxyJump hop,
rounds timeouts to whole seconds and reads invoke config files. ProxyJump is
done the way fabric's gateways do it: a `direct-tcpip` channel through the
jump host's connection.

The executor fans a command out to the hosts, one thread each;
ssh/host_run.py runs it on one host, ssh/remote_shell.py writes the shell
lines it sends.

Each host's command runs without a pty (stdout and stderr stay apart). Its
login shell carries a random token in its argv, so a timeout or Ctrl-C can
find it (pgrep) and kill its whole process group from a second channel.
Each host's output goes (masked) to the sink prefixed by host, and to its own
log file: `<log stem>.<host>.log` beside `spec.log_path`.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.executors.base import (
    CommandSpec,
    HostResult,
    Masker,
    OutputSink,
    attach_results,
)
from runbookctl.executors.output import Output
from runbookctl.executors.ssh.connections import AcceptedKey, ConnectError, ConnectionPool
from runbookctl.executors.ssh.host_run import (
    RemoteRun,
    Stop,
    host_log,
    host_result,
    not_run,
)
from runbookctl.executors.ssh.remote_shell import remote_command
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.executors.ssh.targets import Target, describe
from runbookctl.runbook.inventory import HostSpec, HostSpecError, as_host_spec

if TYPE_CHECKING:
    from runbookctl.executors.ssh.libssh2_conn import Libssh2Pool

CLOSE_WAIT = 5.0  # seconds close() waits for hosts still stopping once hung up
FANOUT = 10  # hosts in a step from which its connections are libssh2's (ssh/libssh2_conn.py)


class SSHExecutor:
    """Runs a CommandSpec on `spec.hosts` (host spec strings or HostSpec objects,
    already resolved from groups); implements executors.base.Executor."""

    def __init__(self, config: SSHConfig | None = None, fanout: int | None = None) -> None:
        self.config = config or SSHConfig()
        # A step on this many hosts or more: libssh2 where it can.
        self.fanout = FANOUT if fanout is None else fanout
        self._conns = ConnectionPool(self.config)
        self._fast: Libssh2Pool | None = None  # made at the first step on FANOUT hosts
        self._fast_lock = threading.Lock()
        self._left: list[Future[HostResult]] = []

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
            return [not_run(str(h), started, str(exc)) for h in hosts]
        if not hosts:
            return []
        stop, go = Stop(), threading.Event()
        lock = threading.Lock()
        pool = ThreadPoolExecutor(max(1, min(spec.parallel, len(hosts))), "runbookctl-ssh")
        sinks: list[OutputSink] = [_HostSink(sink, str(h), lock) for h in hosts]
        if len(hosts) >= self.fanout and (fast := self._libssh2()) is not None:
            from runbookctl.executors.ssh.libssh2_loop import FanOut

            go.set()  # a host handed to a thread runs at once
            futures = FanOut(fast, spec, hosts, sinks, masker, stop, pool,
                             lambda i: self._host(spec, hosts[i], sinks[i], masker, stop, go)
                             ).start()
        else:
            futures = [pool.submit(self._host, spec, h, s, masker, stop, go)
                       for h, s in zip(hosts, sinks, strict=True)]
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
            attach_results(exc, [_so_far(f, str(h), started)
                                 for f, h in zip(futures, hosts, strict=True)])
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            # A second Ctrl-C leaves hosts still stopping: close() waits for them.
            self._left = [f for f in futures if not f.done()]
        return [_collect(f, str(h), started) for f, h in zip(futures, hosts, strict=True)]

    def interactive(self, spec: CommandSpec, masker: Masker) -> HostResult:
        """`interactive: true` on one host: the operator's terminal, handed over."""
        from runbookctl.executors.ssh.interactive import run_remote_interactive

        log = host_log(spec.log_path, str(spec.hosts[0]))
        return run_remote_interactive(self._conns, replace(spec, log_path=log), masker)

    def close(self) -> None:
        """Hang up every connection; the hosts a second Ctrl-C left stopping end with
        their connection, and are waited for (at most CLOSE_WAIT): what they printed
        last is shown and logged before the run's record is written."""
        if self._fast is not None:
            self._fast.close()
        self._conns.close()
        left, self._left = self._left, []
        if left:
            wait(left, timeout=CLOSE_WAIT)

    def _stop_all(self, stop: Stop, why: str, futures: list[Future[HostResult]]) -> None:
        stop.why = why
        stop.set()
        self._conns.abort_pending()
        _wait_all(futures)

    def _host(self, spec: CommandSpec, host: str | HostSpec, sink: OutputSink, masker: Masker,
              stop: Stop, go: threading.Event) -> HostResult:
        go.wait()
        label, started = str(host), time.monotonic()
        if stop.is_set():
            return not_run(label, started, "interrupted before it started", interrupted=True)
        if label in spec.per_host:  # the command mentions {{ host }}: rendered for this host
            spec = replace(spec, command=spec.per_host[label])
        log = host_log(spec.log_path, label)
        try:
            target = self._conns.target(as_host_spec(host))
            if len(spec.hosts) >= self.fanout and self._libssh2() is not None:
                ran = self._fast_run(spec, target, label, started, sink, masker, stop, log)
                if ran is not None:
                    return ran
                if stop.is_set():  # a handshake broken off by Ctrl-C: no paramiko try after it
                    raise ConnectError("interrupted")
            client, channel, accepted = self._conns.session(target)
            if self._fast is not None:  # accepted by libssh2, then handed over: its row says so
                accepted = self._fast.handed(target) or accepted
        except (ConnectError, HostSpecError) as exc:
            if stop.is_set():
                return not_run(label, started, "interrupted while connecting", interrupted=True)
            return not_run(label, started, str(exc))
        out = Output(replace(spec, log_path=log), sink, masker)  # its file made at the first byte
        run = RemoteRun(self.config, spec, client, channel, out, stop, log)
        return replace(run.run(label, started), host_key_accepted=accepted)

    def _libssh2(self) -> Libssh2Pool | None:
        with self._fast_lock:
            if self._fast is None:
                self._fast = _libssh2_pool(self._conns)
            return self._fast

    def _fast_run(self, spec: CommandSpec, target: Target, label: str, started: float,
                  sink: OutputSink, masker: Masker, stop: Stop, log: Path) -> HostResult | None:
        """The command over libssh2 (ssh/libssh2_conn.py says when), or None for the
        paramiko path. A session gone stale since an earlier step is opened again once;
        a command is never sent twice."""
        from ssh2.exceptions import SSH2Error

        from runbookctl.executors.ssh.libssh2_run import (
            Libssh2Run,
            no_session,
            open_channel,
            start_command,
        )

        assert self._fast is not None
        for attempt in (1, 2):
            conn, accepted = self._fast.get(target)
            if conn is None:
                return None
            with conn.lock:
                try:
                    channel = open_channel(self.config, conn)
                except (SSH2Error, OSError) as exc:
                    self._fast.drop(target, conn)
                    if attempt == 2:
                        raise ConnectError(no_session(target, exc, self.config)) from None
                    continue
                out = Output(replace(spec, log_path=log), sink, masker)
                try:
                    token, mark = start_command(self.config, spec, conn, channel)
                except (SSH2Error, OSError):  # the host may have taken it: lost, not resent
                    self._fast.drop(target, conn)
                    out.finish()
                    return host_result(spec, out, stop, label, started, "lost", None, None,
                                       None)
                run = Libssh2Run(self.config, spec, conn, channel, out, stop, token, mark)
                del channel  # run.run frees it, with the connection's lock held
                return replace(run.run(label, started), host_key_accepted=accepted)
        return None


def _libssh2_pool(conns: ConnectionPool) -> Libssh2Pool | None:
    """The libssh2 sessions for steps on many hosts; None (paramiko for every host)
    when ssh2-python cannot be imported here."""
    try:
        from runbookctl.executors.ssh.libssh2_conn import Libssh2Pool
    except ImportError:
        return None
    return Libssh2Pool(conns)


def _wait_all(futures: list[Future[HostResult]]) -> None:
    # A timeout keeps the main thread responsive to Ctrl-C.
    while wait(futures, timeout=0.5).not_done:
        pass


def _collect(future: Future[HostResult], label: str, started: float) -> HostResult:
    if future.cancelled() or not future.done():
        return not_run(label, started, "interrupted before it started", interrupted=True)
    return future.result()


def _so_far(future: Future[HostResult], label: str, started: float) -> HostResult:
    """A host's result as the run stops: its own, or that it did not finish."""
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return not_run(label, started, "interrupted", interrupted=True)


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
