"""A run's shipper in a process of its own (docs/store.md, "What is shipped, and when").

The shipper's work — importing psycopg (~140 ms of CPU), connecting, reading and
checking every journal line, the inserts — ran in a thread of the run and shared its
GIL: 500 `true` steps cost 1.1 ms more a step with the store on (issue 18.5), and
each time the run's thread came back from an fsync or a step's exit it could find
the GIL taken. In a child process that work runs beside the run, never in its way.

The child is forked from the run when the run has no other thread (it then starts
with everything the run already imported: no interpreter start-up, no second import
of the standard library); with other threads (a fork would copy locks they may hold)
it is a fresh interpreter (`python -m runbookctl.store.worker`), started with
posix_spawn. Either way it runs store/shipper.py:Shipper as before, and the two talk
through:

- shared memory (an unlinked temporary file both map): the journal's fsynced size,
  written by the run after each event (no system call); the child looks at it every
  `every` seconds and ships no further — batches gather on a timer, not per event;
- a pipe to the child: `close` then its end closed at the run's end (ship the rest,
  to the journal's end, then exit). Closed without `close`, the run died: the child
  exits at once and `store sync` (or the next run) ships what is left;
- a pipe from the child: one JSON line per report (`{"kind", "message"}`, journaled
  by the run as before) and `{"done": N}` last.

The child runs in a session of its own: a Ctrl-C at the terminal is the run's to
handle, and the shipping of what the run journals about it goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from runbookctl.store.shipper import STOPPED
from runbookctl.store.tail import Cursor, JournalTail

_SIZE = struct.Struct("<q")
EVERY = 0.2  # seconds between the child's looks at the fsynced size: one batch at most


class ShipperProcess:
    """The run's handle on its shipper process: `start`, `notify` (the event stream's
    subscriber), `close` at the run's end."""

    def __init__(self, run_dir: Path, url: str, name: str, *, durable: Callable[[], int | None],
                 report: Callable[[str, str], None], backlog: Path | None = None,
                 every: float = EVERY, fork: bool | None = None) -> None:
        self.run_dir, self.name = run_dir, name
        self.spec: dict[str, Any] = {"run_dir": str(run_dir), "url": url, "name": name,
                                     "backlog": None if backlog is None else str(backlog),
                                     "every": every}
        self._durable, self._report = durable, report
        self._last = -1
        self._done = self._closing = False
        self.pid = 0
        self.forked = fork  # None: fork when the run has no other thread (`start`)
        self.exit_code: int | None = None

    def start(self) -> ShipperProcess:
        """Start the child; when it cannot be, say so once: the run goes on, unshipped."""
        import mmap
        import tempfile

        self._fd, path = tempfile.mkstemp(prefix="runbookctl-store-")
        os.unlink(path)  # only the two processes' descriptors keep it
        os.ftruncate(self._fd, _SIZE.size)
        self._mem = mmap.mmap(self._fd, _SIZE.size)
        self.notify()
        ctl_r, self._ctl = os.pipe()
        out_r, out_w = os.pipe()
        if self.forked is None:
            self.forked = threading.active_count() == 1
        try:
            self.pid = (self._fork if self.forked else self._spawn)(ctl_r, out_w)
        except (OSError, NotImplementedError) as exc:
            os.close(out_r)
            os.close(self._ctl)
            self._report(STOPPED, f"the store's shipper could not start ({exc}); "
                                  "`runbookctl store sync` ships this run's events")
            return self
        finally:
            os.close(ctl_r)
            os.close(out_w)
        self._reader = threading.Thread(target=self._read_reports, args=(out_r,),
                                        name="runbookctl-store-reports", daemon=True)
        self._reader.start()
        return self

    def notify(self, _event: object = None) -> None:
        """The journal grew: tell the child how far it is fsynced (no system call). Also
        called by the reader thread: a value one of the two read a moment earlier may
        land last, which is still fsynced, and the next call corrects it."""
        size = self._durable()
        if size is not None and size != self._last:
            self._last = size
            _SIZE.pack_into(self._mem, 0, size)

    def close(self, timeout: float) -> int:
        """The run has ended (its journal fsynced): ship the rest, waiting at most `timeout`
        seconds; the events still pending then."""
        self._closing = True
        if self.pid:
            self._stop(timeout)
        self._mem.close()
        os.close(self._fd)
        return self.pending()

    def _take(self, line: bytes) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            return
        if "done" in msg:
            self._done = True
        else:
            self._report(str(msg["kind"]), str(msg["message"]))

    def _stop(self, timeout: float) -> None:
        self.notify()
        with contextlib.suppress(OSError):  # the child is gone: what it left is pending
            os.write(self._ctl, b"close\n")
        os.close(self._ctl)
        self._reader.join(timeout)
        if self._reader.is_alive():
            os.kill(self.pid, signal.SIGKILL)  # a transaction cut short is rolled back
            self._reader.join()

    def pending(self) -> int:
        """The journal's whole lines the child has not shipped (its cursor says)."""
        return JournalTail(self.run_dir, Cursor.load(self.run_dir, self.name)).count_pending()

    def _fork(self, ctl_r: int, out_w: int) -> int:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                _after_fork(keep=(ctl_r, out_w, self._fd))
                serve(self.spec, ctl_r, os.fdopen(out_w, "wb"), self._fd)
            finally:
                os._exit(0)
        return pid

    def _spawn(self, ctl_r: int, out_w: int) -> int:
        ends = (ctl_r, out_w, self._fd)
        spec = json.dumps({**self.spec, "fds": ends})
        null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
        for fd in ends:
            os.set_inheritable(fd, True)
        try:  # -P: the run's folder is not put on the child's import path
            return os.posix_spawn(sys.executable, [sys.executable, "-P", "-m", "runbookctl.store.worker",
                                                   spec], os.environ, file_actions=null, setsid=True)
        finally:
            for fd in ends:  # the run's steps must not inherit them
                os.set_inheritable(fd, False)

    def _read_reports(self, out: int) -> None:
        """The child's reports, until it exits; between them, every `every` seconds, the
        fsynced size again: an fsync may come with no event after it to announce it
        (Journal.sync of events written with sync=False, then a command that runs for hours)."""
        import select

        pending = b""
        while True:
            if not select.select([out], [], [], self.spec["every"])[0]:
                self.notify()
                continue
            data = os.read(out, 65536)
            if not data:
                break
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                self._take(line)
        os.close(out)
        self.exit_code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        if not self._done and not (self._closing and self.exit_code < 0):  # killed by close
            self._report(STOPPED, f"the store's shipper process ended early (exit {self.exit_code}); "
                                  "`runbookctl store sync` ships what it did not")


def _after_fork(keep: tuple[int, ...]) -> None:
    """Make a forked copy of the run a process of its own: none of the run's objects
    finalised here, the run's signal handlers and descriptors dropped, no terminal."""
    import gc

    gc.freeze()  # what the run holds is never collected (its finalisers are the run's)
    gc.enable()  # what the child makes is: the run may fork it with the collector still off
    os.setsid()
    for sig in signal.valid_signals():
        if callable(signal.getsignal(sig)):
            signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 20)


def read_size(mem: Any) -> int:
    """The fsynced size the run wrote; read until two reads agree (never a torn value)."""
    while True:
        first, second = _SIZE.unpack_from(mem, 0)[0], _SIZE.unpack_from(mem, 0)[0]
        if first == second:
            return int(first)


def watch(wake: Callable[[], None], size: Callable[[], int], every: float, ctl: int) -> bool:
    """Call `wake` when the fsynced size has grown, looking every `every` seconds, until the
    run says `close` (True) or closes its end without it (False: it died)."""
    import select

    seen, said = -1, b""
    while True:
        if select.select([ctl], [], [], every)[0]:
            data = os.read(ctl, 64)
            if not data:
                return said.startswith(b"close")
            said += data
        now = size()
        if now > seen:
            seen = now
            wake()


def serve(spec: dict[str, Any], ctl: int, out: IO[bytes], mem_fd: int) -> None:
    """The child's work: a Shipper on the run's journal until the run closes its end."""
    import mmap

    emit = _emitter(out)
    mem = mmap.mmap(mem_fd, _SIZE.size)
    try:
        shipper = _shipper(spec, lambda: read_size(mem), lambda kind, message: emit(
            {"kind": kind, "message": message}))
        shipper.start()
        if watch(shipper.notify, lambda: read_size(mem), spec["every"], ctl):
            shipper.close(3600.0)  # the run bounds the wait: it kills this process
            emit({"done": shipper.shipped})
    except Exception as exc:  # a bug here must not end the child without a word
        emit({"kind": STOPPED, "message": f"the store's shipper failed: {exc!r}"})


def _shipper(spec: dict[str, Any], durable: Callable[[], int], report: Callable[[str, str], None]) -> Any:
    from runbookctl.store.postgres import connect
    from runbookctl.store.shipper import Pace, Shipper

    run_dir, name, url = Path(spec["run_dir"]), spec["name"], spec["url"]
    runs_root = spec["backlog"]

    def backlog(store: Any, stop: Callable[[], bool]) -> None:
        from runbookctl.record.lock import is_free
        from runbookctl.store.sync import pending_runs, sync_runs

        sync_runs(pending_runs(Path(runs_root), name, skip=run_dir), store, is_free, stop)

    # no linger: `watch` already gathers a period's events into one wake-up
    return Shipper(run_dir, name, lambda: connect(url), durable=durable, report=report,
                   backlog=backlog if runs_root else None, pace=Pace(linger=0.0))


def _emitter(out: IO[bytes]) -> Callable[[dict[str, Any]], None]:
    """Write one JSON line to the run, whole (the shipper's thread and this one both do)."""
    lock = threading.Lock()

    def emit(msg: dict[str, Any]) -> None:
        with lock:
            out.write(json.dumps(msg).encode() + b"\n")
            out.flush()

    return emit


def main(argv: list[str]) -> None:
    """A spawned child: the spec names its ends (from the run, to the run, the memory)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        spec = json.loads(argv[0])
        ctl, out, mem = spec["fds"]
        serve(spec, ctl, os.fdopen(out, "wb"), mem)
    finally:
        os._exit(0)  # no interpreter teardown: the run waits for this exit


if __name__ == "__main__":
    main(sys.argv[1:])
