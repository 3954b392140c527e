"""A step's hosts over libssh2 from one thread (README.md, "SSH").

With a thread a host, each of the ~30 libssh2 calls a host makes lets the GIL go and
takes it back, and 50 threads on 2 cores that sshd keeps busy hand it round through
the kernel: on a 200-host step that was about a quarter of our CPU (685 ms against 505
ms from one thread; benchmarks/RESULTS.md).
Here one thread drives every host's session, non-blocking, waiting on all their
sockets at once: each host is a generator that yields what it waits for.

It does what the thread of a host does (client.SSHExecutor._host with libssh2_conn and
libssh2_run), and hands the host to such a thread for anything else:

- a host for the paramiko path (no key file libssh2 can use, a ProxyJump, a handshake
  or a key libssh2 cannot do: libssh2_conn says when), or whose connection another
  host of the step holds, runs as it would in its thread;
- a command that times out or is stopped is killed from its thread (a second
  channel, waited for), which then ends it as libssh2_run does.

An IP address is dialled from the loop (connections.dial_steps); a name is looked up
and dialled by `dial` in a thread (a resolver may take its time).
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from ssh2.exceptions import SSH2Error

from runbookctl.executors.base import CommandSpec, HostResult, Masker, OutputSink
from runbookctl.executors.output import Output
from runbookctl.executors.ssh.connections import dial, dial_steps, is_address
from runbookctl.executors.ssh.host_keys import ConnectError
from runbookctl.executors.ssh.host_run import POLL, Stop, host_log, host_result, not_run
from runbookctl.executors.ssh.libssh2_conn import (
    Libssh2Conn,
    Libssh2Pool,
    host_known,
    login,
    login_key,
    waiting,
)
from runbookctl.executors.ssh.libssh2_run import (
    Libssh2Run,
    channel_steps,
    no_session,
    start_steps,
)
from runbookctl.runbook.inventory import HostSpec, HostSpecError, as_host_spec

if TYPE_CHECKING:
    from runbookctl.executors.ssh.targets import Target

# Longest read of one host's flood before the loop turns to the others (a host's own
# thread reads for host_run.SLICE between its checks).
LOOP_SLICE = 0.005
# What a host's generator yields: a socket to wait on (fd, poll events, until when), or
# a Future (work done in a thread) whose result it is sent back.
Wait = tuple[int, int, float] | Future[Any]
# What it returns: its result, or a call that makes it in a thread (a hand-off).
Done = HostResult | Callable[[], HostResult]
HostGen = Generator[Wait, Any, Done]


class FanOut:
    """Runs `spec` on `hosts` from one thread, at most `spec.parallel` at a time: a
    Future a host, in their order. `threads`: for hand-offs and name lookups;
    `thread_run(i)`: host i as its own thread runs it (client.SSHExecutor._host)."""

    def __init__(self, fast: Libssh2Pool, spec: CommandSpec, hosts: Sequence[str | HostSpec],
                 sinks: Sequence[OutputSink], masker: Masker, stop: Stop,
                 threads: ThreadPoolExecutor, thread_run: Callable[[int], HostResult]) -> None:
        self.fast, self.conns, self.config = fast, fast.conns, fast.conns.config
        self.spec, self.hosts = spec, hosts
        self.sinks, self.masker, self.stop, self.threads = sinks, masker, stop, threads
        self.thread_run = thread_run
        self.futures: list[Future[HostResult]] = [Future() for _ in hosts]
        self._woken: deque[tuple[int, Future[Any] | None]] = deque()  # threads' work done
        # Threads wake the loop through this pair; never closed by hand (a late thread
        # could write to a number reused by then): they go with the FanOut.
        self._bell, self._ring = socket.socketpair()
        self._bell.setblocking(False)
        self._ring.setblocking(False)

    def start(self) -> list[Future[HostResult]]:
        threading.Thread(target=self._loop, name="runbookctl-ssh-loop", daemon=True).start()
        return self.futures

    def _loop(self) -> None:
        try:
            _Loop(self).run()
        except BaseException as exc:  # a defect: every host not ended raises it
            for fut in self.futures:
                if not fut.done():
                    fut.set_exception(exc)

    def wake(self, i: int, fut: Future[Any] | None) -> None:
        """From a thread: host i's work there is done (`fut`: what it made for a host
        still in the loop; None: a handed-off host ended)."""
        self._woken.append((i, fut))
        with suppress(OSError):
            self._ring.send(b"x")

    def hand_off(self, i: int, call: Callable[[], HostResult]) -> None:
        """Host i's result made by `call` in a thread."""
        def settle(f: Future[HostResult]) -> None:
            if self.futures[i].done():  # the loop itself failed (a defect) and said so
                return
            if f.cancelled():  # the step's threads shut down before it began (a 2nd Ctrl-C)
                alone(call).add_done_callback(settle)  # a kill must still run
                return
            exc = f.exception()
            if exc is not None:
                self.futures[i].set_exception(exc)
            else:
                self.futures[i].set_result(f.result())
            self.wake(i, None)

        try:
            handed = self.threads.submit(call)
        except RuntimeError:  # the step's threads are shut down (a second Ctrl-C): a
            handed = alone(call)  # thread of its own still stops the command it ran
        handed.add_done_callback(settle)

    def ready(self) -> list[tuple[int, Future[Any] | None]]:
        """What threads finished since the last call."""
        with suppress(BlockingIOError):
            while self._bell.recv(512):
                pass
        done = []
        while self._woken:
            done.append(self._woken.popleft())
        return done

    # -- a host

    def _host(self, i: int) -> HostGen:
        """Host i, as client.SSHExecutor._host runs it over libssh2."""
        host, spec = self.hosts[i], self.spec
        label, started = str(host), time.monotonic()
        if self.stop.is_set():
            return not_run(label, started, "interrupted before it started", interrupted=True)
        if label in spec.per_host:  # the command mentions {{ host }}: rendered for this host
            spec = replace(spec, command=spec.per_host[label])
        try:
            target = self.conns.target(as_host_spec(host))
        except HostSpecError as exc:
            return not_run(label, started, str(exc))
        key_file = login_key(target, self.config.use_agent)
        lock = self.fast.lock_of(target)
        if key_file is None or not lock.acquire(blocking=False):  # paramiko's, or busy
            return partial(self.thread_run, i)
        try:
            for attempt in (1, 2):  # a session gone stale since an earlier step: once more
                conn, paramiko = self.fast.known(target)
                accepted = None
                if conn is None and not paramiko:
                    try:
                        conn, accepted = yield from self._connect(target, key_file)
                    except ConnectError as exc:
                        if not self.stop.is_set():
                            return not_run(label, started, str(exc))
                    if self.stop.is_set():  # a handshake broken off: no paramiko try after it
                        return replace(not_run(label, started, "interrupted while connecting",
                                               interrupted=True), host_key_accepted=accepted)
                if conn is None or not conn.lock.acquire(blocking=False):  # paramiko's, or busy
                    return partial(self.thread_run, i)
                done = yield from self._command(i, spec, target, conn, label, started,
                                                attempt == 2)
                if done is not None:  # its result, or its kill (in a thread)
                    return partial(_with_key, done, accepted) if callable(done) else replace(
                        done, host_key_accepted=accepted)
        finally:
            lock.release()
        raise AssertionError("not reached: the second attempt always ends the host")

    def _connect(self, target: Target, key_file: str
                 ) -> Generator[Wait, Any, tuple[Libssh2Conn | None, str | None]]:
        """libssh2_conn.open_libssh2, from the loop."""
        config = self.config
        known_keys = host_known(self.conns.known, target, key_file)  # before it is dialled
        if is_address(target.hostname):
            sock = yield from dial_steps(target, config.connect_timeout, self.stop)
        else:  # a name: looked up (and dialled) in a thread
            try:
                pending = self.threads.submit(dial, target, config.connect_timeout)
            except RuntimeError:  # the step's threads shut down (a 2nd Ctrl-C)
                raise ConnectError("interrupted") from None
            looked_up = yield pending
            if looked_up.cancelled():
                raise ConnectError("interrupted")
            sock = looked_up.result()
            if self.stop.is_set():
                sock.close()
                raise ConnectError("interrupted")
        conn, accepted = yield from login(known_keys, target, sock, config.connect_timeout,
                                          config.keepalive, self.conns.tracked)
        self.fast.opened(target, conn, accepted)
        return conn, accepted

    def _command(self, i: int, spec: CommandSpec, target: Target, conn: Libssh2Conn,
                 label: str, started: float, last: bool) -> Generator[Wait, Any, Done | None]:
        """client.SSHExecutor._fast_run's command on `conn`, whose lock is held and let go
        of here (or by the thread it is handed to); None: no session could be opened on
        it, and it is not the `last` try."""
        handed = False
        config = self.config
        try:
            try:
                channel = yield from channel_steps(config, conn)
            except (SSH2Error, OSError) as exc:
                self.fast.drop(target, conn)
                if self.stop.is_set():
                    return not_run(label, started, "interrupted while connecting",
                                   interrupted=True)
                if not last:
                    return None
                return not_run(label, started, no_session(target, exc, config))
            out = Output(replace(spec, log_path=host_log(spec.log_path, label)), self.sinks[i],
                         self.masker)
            try:
                token, mark = yield from start_steps(config, spec, conn, channel)
            except (SSH2Error, OSError):  # the host may have taken it: lost, not resent
                self.fast.drop(target, conn)
                out.finish()
                return host_result(spec, out, self.stop, label, started, "lost", None, None,
                                   None)
            run = Libssh2Run(config, spec, conn, channel, out, self.stop, token, mark)
            del channel  # run.end frees it, with the connection's lock held
            pump = run.pump(time.monotonic(), LOOP_SLICE)
            try:
                while True:
                    seconds = next(pump)
                    yield waiting(conn.sock, conn.session, time.monotonic() + seconds)
            except StopIteration as end:
                state = str(end.value)
            except (SSH2Error, OSError):  # libssh2 says no more than the socket failed
                state = "lost"
            if state not in ("timeout", "interrupted"):
                return run.end(state, label, started)
            handed = True  # killed from a thread: it waits for the kill

            def ended() -> HostResult:
                try:
                    return run.end(state, label, started)
                finally:
                    conn.lock.release()
            return ended
        finally:
            if not handed:
                conn.lock.release()


class _Loop:
    """The loop of a FanOut: its hosts' generators, and the sockets they wait on."""

    def __init__(self, fan: FanOut) -> None:
        self.fan = fan
        self.gens: dict[int, HostGen] = {}
        self.waits: dict[int, tuple[int, float]] = {}  # host -> (fd, until) while it waits
        self.by_fd: dict[int, int] = {}
        self.poller = select.poll()
        self.poller.register(fan._bell, select.POLLIN)
        self.busy = 0  # hosts begun and not ended (here, or handed to a thread)

    def run(self) -> None:
        fan, todo = self.fan, deque(range(len(self.fan.hosts)))
        parallel, stopped = max(1, fan.spec.parallel), False
        while todo or self.busy:
            while todo and self.busy < parallel and not stopped:
                i = todo.popleft()
                self.busy += 1
                self.gens[i] = fan._host(i)
                self.advance(i, None)
            now = time.monotonic()
            until = min((u for _, u in self.waits.values()), default=now + POLL)
            events = self.poller.poll(max(0, round(min(POLL, until - now) * 1000)))
            ready = [self.by_fd[fd] for fd, _ in events if fd in self.by_fd]
            for i, fut in fan.ready():
                if fut is not None and i in self.gens:  # a thread's work for a host here
                    self.advance(i, fut)
                elif fut is None:  # a handed-off host ended
                    self.busy -= 1
            now = time.monotonic()
            stopping = fan.stop.is_set() and not stopped
            due = [i for i, (_, u) in self.waits.items() if now >= u or stopping]
            for i in dict.fromkeys(ready + due):
                if i in self.waits:
                    self.advance(i, None)
            if stopping:  # the hosts not begun are not run
                stopped = True
                while todo:
                    i = todo.popleft()
                    fan.futures[i].set_result(not_run(str(fan.hosts[i]), time.monotonic(),
                                                      "interrupted before it started",
                                                      interrupted=True))

    def advance(self, i: int, value: Any) -> None:
        """Host i's generator on to its next wait (or its end)."""
        if i in self.waits:
            fd, _ = self.waits.pop(i)
            self.poller.unregister(fd)
            del self.by_fd[fd]
        fan = self.fan
        try:
            item = self.gens[i].send(value)
        except StopIteration as end:
            del self.gens[i]
            if isinstance(end.value, HostResult):
                fan.futures[i].set_result(end.value)
                self.busy -= 1
            else:
                fan.hand_off(i, end.value)
            return
        except BaseException as exc:  # a defect: the host's result raises it
            del self.gens[i]
            fan.futures[i].set_exception(exc)
            self.busy -= 1
            return
        if isinstance(item, Future):
            item.add_done_callback(partial(fan.wake, i))
            return
        fd, events, until = item
        self.waits[i] = (fd, until)
        self.by_fd[fd] = i
        self.poller.register(fd, events)


def _with_key(end: Callable[[], HostResult], accepted: str | None) -> HostResult:
    """A host's end made in a thread, with the host key its login accepted."""
    return replace(end(), host_key_accepted=accepted)


def alone(call: Callable[[], HostResult]) -> Future[HostResult]:
    """`call` in a thread of its own (the step's are shut down); its Future."""
    future: Future[HostResult] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # the host's result raises it, as from a pool thread
            future.set_exception(exc)
    threading.Thread(target=run, daemon=True, name="runbookctl-ssh-stop").start()
    return future
