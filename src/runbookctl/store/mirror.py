"""The team's runs read back from the store, for `runs`, `stats`, `report` and `verify`.

Runs started on other machines are copied into a local mirror, one journal per run,
line for line as the store holds them (`<state dir>/store/<store>/runs/<run id>/`),
fetching only the lines added since the last look. Every reader then reads a mirrored
run exactly as a local one — the same parser, the same replay, the same chain check —
and with the store down, the last copy is still there. A run this machine has in its
own state folder is read from there (its journal is ahead of, or equal to, the store).

`store_problems` is `verify --store`: a run's rows in the store checked on their own
(the chain recomputed from each stored line) and against the local journal.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.store.tail import JOURNAL_NAME, Cursor

if TYPE_CHECKING:
    from runbookctl.store.postgres import PgStore

# A run id from the store becomes a folder name: one plain path component, nothing else.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


def mirror_root(state_dir: Path, store_name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", store_name).strip("_")
    return state_dir / "store" / slug / "runs"


def mirror_runs(store: PgStore, root: Path, local: set[str]) -> None:
    """Bring the mirror up to date with the store, skipping the runs held locally."""
    wanted: dict[str, int] = {}
    for run_id, last in store.run_heads().items():
        if run_id in local or not _SAFE_ID.fullmatch(run_id) or ".." in run_id:
            continue
        have = Cursor.load(root / run_id, store.name)
        if have.seq > last:  # the mirror is ahead of an append-only store: not ours, redo it
            have = Cursor(store.name)
        if have.seq < last:
            wanted[run_id] = have.seq
    for run_id, lines in store.lines(wanted).items():
        if lines:
            _append(root / run_id, store.name, wanted[run_id], lines)


def _append(run_dir: Path, store_name: str, after: int, lines: list[str]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    cursor = Cursor.load(run_dir, store_name) if after else Cursor(store_name)
    mode = "ab" if after else "wb"
    with open(run_dir / JOURNAL_NAME, mode) as fh:
        fh.write("".join(line + "\n" for line in lines).encode("utf-8"))
        offset = fh.tell()
    cursor.seq, cursor.offset = after + len(lines), offset
    cursor.save(run_dir)


def mirrored(root: Path) -> list[Path]:
    """The mirrored runs' folders."""
    if not root.is_dir():
        return []
    return [p for p in root.iterdir() if (p / JOURNAL_NAME).is_file()]


def store_problems(store: PgStore, run_id: str, local_journal: Path | None) -> tuple[int, list[str]]:
    """(events in the store, every problem of the run's rows there): each stored line must
    be the event its seq says, the chain must hold from seq 1, and each must equal the
    local journal's event of that seq where there is one."""
    from runbookctl.record.chain import chain_problems
    from runbookctl.record.journal import parse_event, read_journal

    lines = store.lines({run_id: 0}).get(run_id, [])
    problems: list[str] = []
    events = []
    for number, line in enumerate(lines, start=1):
        try:
            events.append(parse_event(line.encode("utf-8")))
        except ValueError as exc:
            problems.append(f"store row {number}: not a journal event ({exc})")
    problems += [f"store {p}" for p in chain_problems(events)]
    if local_journal is not None and local_journal.is_file():
        local = {e.seq: e for e in read_journal(local_journal).events}
        problems += [f"store seq {e.seq}: differs from the local journal's event {e.seq}"
                     for e in events if e.seq in local and local[e.seq] != e]
        problems += [f"store seq {e.seq}: the local journal has no event {e.seq}"
                     for e in events if e.seq not in local]
    return len(lines), problems


class Refresher:
    """Keeps the mirror up to date while `serve` or `watch` runs: LISTENs for inserted
    events and mirrors what is new as soon as a notification comes (every `idle` seconds
    anyway); the store down: tried again after `retry` seconds, the last copy served."""

    def __init__(self, connect: Callable[[], PgStore], root: Path, local: Callable[[], set[str]],
                 idle: float = 5.0, retry: float = 2.0) -> None:
        self.root = root
        self._connect, self._local, self._idle, self._retry = connect, local, idle, retry
        self._stop = threading.Event()
        self.rounds = 0  # how many times the mirror was brought up to date (tests wait on it)
        self._thread = threading.Thread(target=self._loop, name="runbookctl-mirror", daemon=True)

    def start(self) -> Refresher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        from runbookctl.store.postgres import StoreUnavailable

        while not self._stop.is_set():
            try:
                store = self._connect()
            except StoreUnavailable:
                self._stop.wait(self._retry)
                continue
            try:
                store.wait_for_events(0.0)  # LISTEN first: nothing inserted after is missed
                while not self._stop.is_set():
                    mirror_runs(store, self.root, self._local())
                    self.rounds += 1
                    store.wait_for_events(self._idle)
            except StoreUnavailable:
                self._stop.wait(self._retry)
            finally:
                store.close()
