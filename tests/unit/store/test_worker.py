"""A run's shipper process (store/worker.py) without a server: the child looks at the
fsynced size the run shares and wakes its shipper only when it grew, tells a clean
close from a run that died, runs in its own session, and a store that cannot be
reached is reported once with the events left pending — forked from a run with one
thread, started as a fresh interpreter when the run has others. The shipping itself,
against a real PostgreSQL: tests/integration/test_store_worker.py."""

from __future__ import annotations

import mmap
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbookctl.record.journal import Journal
from runbookctl.store.shipper import STOPPED, UNREACHABLE
from runbookctl.store.worker import ShipperProcess, read_size, watch
from tests.unit.store.conftest import write_events
from tests.waiting import wait_for


def test_read_size_gives_what_was_written_to_the_shared_memory() -> None:
    mem = mmap.mmap(-1, 8)
    assert read_size(mem) == 0
    mem[:8] = (123456789).to_bytes(8, "little")
    assert read_size(mem) == 123456789


def _watch_with(steps: list[bytes | int | None]) -> tuple[bool, list[int]]:
    """Run `watch` on a pipe: each step writes bytes to it, sets the size (an int) or
    closes it (None); the sizes `watch` woke the shipper for."""
    ctl_r, ctl_w = os.pipe()
    size = [0]
    woken: list[int] = []
    feed = iter(steps)

    def wake() -> None:
        woken.append(size[0])

    def look() -> int:  # each look at the size plays the next step of the script
        step = next(feed, None)
        if isinstance(step, int):
            size[0] = step
        elif step is None:
            os.close(ctl_w)
        else:
            os.write(ctl_w, step)
        return size[0]

    try:
        return watch(wake, look, 0.0, ctl_r), woken
    finally:
        os.close(ctl_r)


def test_watch_wakes_the_shipper_only_when_the_fsynced_size_grew() -> None:
    clean, woken = _watch_with([10, 10, 25, 25, 25, 40, b"close\n", None])
    assert clean
    assert woken == [10, 25, 40]  # once per growth, not once per look


def test_watch_tells_a_run_that_died_from_a_clean_close() -> None:
    assert _watch_with([10, None]) == (False, [10])


@pytest.fixture
def nobody() -> str:
    """A store URL where nothing listens: every connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://rb@127.0.0.1:{port}/runs"


@pytest.fixture
def journal(run_dir: Path) -> Iterator[Journal]:
    j = Journal.create(run_dir / "journal.jsonl")
    yield j
    j.close()


def _process(run_dir: Path, journal: Journal, url: str,
             fork: bool | None = None) -> tuple[ShipperProcess, list[tuple[str, str]]]:
    reports: list[tuple[str, str]] = []
    shipper = ShipperProcess(run_dir, url, "rb@127.0.0.1/runs", durable=lambda: journal.synced_size,
                             report=lambda kind, message: reports.append((kind, message)), every=0.01,
                             fork=fork)
    return shipper, reports


@pytest.mark.parametrize("threads", [1, 2])
def test_the_child_is_forked_only_from_a_run_with_no_other_thread(
        run_dir: Path, journal: Journal, nobody: str, threads: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a fork would copy the locks another thread may hold: then a fresh interpreter
    monkeypatch.setattr(threading, "active_count", lambda: threads)
    shipper, _ = _process(run_dir, journal, nobody)
    shipper.start()
    shipper.close(timeout=30)
    assert shipper.forked is (threads == 1)


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_a_store_that_cannot_be_reached_is_reported_once_and_the_events_stay_pending(
        run_dir: Path, journal: Journal, nobody: str, fork: bool,
        capfd: pytest.CaptureFixture[str]) -> None:
    shipper, reports = _process(run_dir, journal, nobody, fork)
    write_events(journal, 3)
    shipper.start()
    # a session of its own: a Ctrl-C at the terminal is the run's to handle
    wait_for("the child's own session", lambda: os.getsid(shipper.pid) == shipper.pid or None)
    write_events(journal, 4)
    shipper.notify()
    assert shipper.close(timeout=30) == 7
    assert shipper.exit_code == 0
    assert [kind for kind, _ in reports] == [UNREACHABLE]
    assert "cannot reach the store rb@127.0.0.1:" in reports[0][1]
    assert capfd.readouterr() == ("", "")  # the child never writes to the run's terminal


def test_a_shipper_that_cannot_start_is_reported_once_and_the_run_goes_on(
        run_dir: Path, journal: Journal, nobody: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    shipper, reports = _process(run_dir, journal, nobody, fork=True)
    write_events(journal, 2)
    shipper.start()
    shipper.notify()  # the run's events go on being journaled
    assert shipper.close(timeout=30) == 2
    assert reports == [(STOPPED, "the store's shipper could not start ([Errno 11] Resource "
                                 "temporarily unavailable); `runbookctl store sync` ships this "
                                 "run's events")]


def test_a_forked_child_collects_its_cycles_though_the_run_forked_it_with_the_collector_off(
        run_dir: Path, journal: Journal, nobody: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """cli/app.py:entry turns the collector off at start-up and drive() turns it back on
    (cli/collector.lasting), but drive_shipped forks the shipper (store attach) before
    drive: the child, which lives as long as the run (hours), inherited it off for good."""
    import gc

    from runbookctl.store import worker

    def serve(spec: Any, ctl: int, out: Any, mem_fd: int) -> None:
        out.write(f'{{"kind": "gc", "message": "{gc.isenabled()}"}}\n'.encode())
        out.flush()

    monkeypatch.setattr(worker, "serve", serve)
    shipper, reports = _process(run_dir, journal, nobody, fork=True)
    was = gc.isenabled()
    gc.disable()  # as the console script's entry leaves it until drive()
    try:
        shipper.start()
    finally:
        if was:
            gc.enable()
    shipper.close(timeout=30)
    assert reports[:1] == [("gc", "True")]
