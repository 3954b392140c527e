"""The fan-out loop's scheduling (libssh2_loop.FanOut) with scripted hosts in place of
SSH sessions, and its non-blocking dial against real sockets. Against real sshd servers
every libssh2 test of tests/integration/test_ssh_executor.py runs through it."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.ssh.host_run import Stop
from runbookctl.executors.ssh.libssh2_loop import FanOut
from tests.waiting import wait_for

FAR = 3600.0


class Scripted(FanOut):
    """A FanOut whose hosts are the test's generators, each waiting on its own socket
    pair: `ring(i)` makes host i's socket ready."""

    def __init__(self, hosts: int, parallel: int, script: Any, threads: int = 4) -> None:
        spec = CommandSpec(step_id="s", command="true", display="true",
                           log_path=Path("/nonexistent/s.log"), hosts=[f"h{i}" for i in
                                                                       range(hosts)],
                           parallel=parallel)
        self.pool = ThreadPoolExecutor(threads)
        super().__init__(SimpleNamespace(conns=SimpleNamespace(config=None)),  # type: ignore[arg-type]
                         spec, list(spec.hosts),
                         [], None, Stop(), self.pool, self._thread_run)  # type: ignore[arg-type]
        self.pairs = [socket.socketpair() for _ in range(hosts)]
        self.script = script
        self.begun: list[int] = []
        self.handed: list[int] = []
        self.running: set[int] = set()
        self.most = 0

    def hand_off(self, i: int, call: Any) -> None:
        super().hand_off(i, call)
        self.handed.append(i)

    def _thread_run(self, i: int) -> HostResult:
        return _result(i, f"thread {threading.current_thread().name}")

    def _host(self, i: int) -> Generator[Any, Any, Any]:
        self.begun.append(i)
        self.running.add(i)
        self.most = max(self.most, len(self.running))
        try:
            return (yield from self.script(self, i))
        finally:
            self.running.discard(i)

    def wait_on(self, i: int, until: float = FAR) -> tuple[int, int, float]:
        return self.pairs[i][0].fileno(), select.POLLIN, time.monotonic() + until

    def ring(self, i: int) -> None:
        self.pairs[i][1].send(b"x")


def _result(i: int, error: str | None = None) -> HostResult:
    return HostResult(host=f"h{i}", exit_code=0 if error is None else None, duration=0.0,
                      error=error)


def _outcomes(fan: FanOut) -> list[tuple[int | None, str | None]]:
    return [(r.exit_code, r.error) for r in (f.result(timeout=10) for f in fan.futures)]


def test_parallel_bounds_the_hosts_begun_and_every_host_ends_in_order() -> None:
    def script(fan: Scripted, i: int) -> Generator[Any, Any, HostResult]:
        yield fan.wait_on(i)
        return _result(i)

    fan = Scripted(5, 2, script)
    fan.start()
    wait_for("two hosts begun", lambda: fan.begun == [0, 1])
    fan.ring(1)
    wait_for("a third host once one ended", lambda: fan.begun == [0, 1, 2])
    for i in (0, 2, 3, 4):
        wait_for(f"host {i} begun", lambda i=i: i in fan.begun)  # type: ignore[misc]
        fan.ring(i)
    assert _outcomes(fan) == [(0, None)] * 5
    assert fan.most == 2


def test_a_handed_off_host_runs_in_a_thread_and_holds_its_place() -> None:
    def script(fan: Scripted, i: int) -> Generator[Any, Any, Any]:
        if i == 0:
            return lambda: fan._thread_run(0)
        yield fan.wait_on(i)
        return _result(i)

    fan = Scripted(3, 1, script)
    fan.start()
    wait_for("host 1 begun after host 0's thread", lambda: fan.begun == [0, 1])
    fan.ring(1)
    wait_for("host 2 begun", lambda: fan.begun == [0, 1, 2])
    fan.ring(2)
    outcomes = _outcomes(fan)
    assert outcomes[0][1] is not None and outcomes[0][1].startswith("thread ")
    assert "loop" not in outcomes[0][1]
    assert outcomes[1:] == [(0, None), (0, None)]


def test_a_hand_off_the_step_s_threads_never_began_still_runs_alone() -> None:
    """A second Ctrl-C shuts the step's threads down with hand-offs still queued: each
    (a remote kill among them) still runs, in a thread of its own."""
    release = threading.Event()

    def script(fan: Scripted, i: int) -> Generator[Any, Any, Any]:
        if i == 0:
            return lambda: _result(0) if release.wait(10) else _result(0, "never released")
        return lambda: fan._thread_run(i)
        yield

    fan = Scripted(2, 2, script, threads=1)
    fan.start()
    wait_for("both hosts handed off", lambda: fan.handed == [0, 1])
    fan.pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert _outcomes(fan) == [(0, None), (None, "thread runbookctl-ssh-stop")]


def test_a_hand_off_after_the_threads_shut_down_still_runs_in_a_thread() -> None:
    """A command stopped after a second Ctrl-C shut the step's threads down is still
    killed: its hand-off gets a thread of its own."""
    def script(fan: Scripted, i: int) -> Generator[Any, Any, Any]:
        yield fan.wait_on(i)
        return lambda: fan._thread_run(i)

    fan = Scripted(1, 1, script)
    fan.start()
    wait_for("the host begun", lambda: fan.begun == [0])
    fan.pool.shutdown(wait=True)
    fan.ring(0)
    assert _outcomes(fan) == [(None, "thread runbookctl-ssh-stop")]


def test_work_a_host_waits_for_in_a_thread_is_sent_back_to_it() -> None:
    def script(fan: Scripted, i: int) -> Generator[Any, Any, HostResult]:
        got = yield fan.pool.submit(lambda: f"looked up {i}")
        assert isinstance(got, Future)
        return _result(i, got.result())

    fan = Scripted(3, 3, script)
    fan.start()
    assert _outcomes(fan) == [(None, f"looked up {i}") for i in range(3)]


def test_a_host_whose_socket_stays_silent_is_woken_at_its_deadline() -> None:
    def script(fan: Scripted, i: int) -> Generator[Any, Any, HostResult]:
        fd, events, until = fan.wait_on(i, 0.05)
        yield fd, events, until
        return _result(i, "past its deadline" if time.monotonic() >= until else "early")

    fan = Scripted(2, 2, script)
    fan.start()
    assert _outcomes(fan) == [(None, "past its deadline")] * 2


def test_a_defect_in_one_host_is_its_result_and_the_others_end() -> None:
    def script(fan: Scripted, i: int) -> Generator[Any, Any, HostResult]:
        if i == 1:
            raise ValueError("a defect")
        yield fan.wait_on(i, 0.0)
        return _result(i)

    fan = Scripted(3, 3, script)
    fan.start()
    assert fan.futures[0].result(timeout=10).exit_code == 0
    with pytest.raises(ValueError, match="a defect"):
        fan.futures[1].result(timeout=10)
    assert fan.futures[2].result(timeout=10).exit_code == 0


def test_a_stop_wakes_every_waiting_host_and_begins_no_other() -> None:
    def script(fan: Scripted, i: int) -> Generator[Any, Any, HostResult]:
        yield fan.wait_on(i)
        return _result(i, "stopped" if fan.stop.is_set() else "not stopped")

    fan = Scripted(4, 2, script)
    fan.start()
    wait_for("two hosts begun", lambda: fan.begun == [0, 1])
    fan.stop.set()
    assert _outcomes(fan) == [(None, "stopped"), (None, "stopped"),
                              (None, "interrupted before it started"),
                              (None, "interrupted before it started")]
    assert fan.begun == [0, 1]
