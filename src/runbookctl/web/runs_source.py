"""Where `serve` and `watch` read runs from: the one module to change for another store.

Today the runs are the state dir's run folders (docs/record.md, section 1): each
journal is read and replayed with record/; whether a run is still being written
is whether its lock is held (record/lock.py). A store that reads runs from
elsewhere (PostgreSQL) offers the same four reads: `list_runs`, `run_state`,
`run_events` (the events after a seq, masked as journaled) and `is_live`.

Run ids come from URLs here, so a run is found only as a direct child of the runs
folder whose name is a run id: never a path, a prefix or `..`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import CorruptJournal, UsageError
from runbookctl.outcomes import RunStatus

if TYPE_CHECKING:
    from runbookctl.record.journal import Event
    from runbookctl.record.run_state import RunState

JOURNAL = "journal.jsonl"
# A run id as runbookctl makes them (docs/record.md, section 1); a log's file name.
_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,200}")


class NoSuchRun(UsageError):
    """The run (or its log) is not there: 404 on the web, exit 2 at the terminal."""


@dataclass(frozen=True)
class RunsSource:
    """The runs under `root` (`<state dir>/runs`)."""

    root: Path

    def run_dir(self, run_id: str) -> Path:
        folder = self.root / run_id
        if not _NAME.fullmatch(run_id) or not (folder / JOURNAL).is_file():
            raise NoSuchRun(f"no run '{run_id}' in {self.root} (runbookctl runs lists them)")
        return folder

    def run_ids(self) -> list[str]:
        """Every run with a journal, newest first (a run id starts with its UTC start)."""
        if not self.root.is_dir():
            return []
        return sorted((p.name for p in self.root.iterdir()
                       if _NAME.fullmatch(p.name) and (p / JOURNAL).is_file()), reverse=True)

    def list_runs(self) -> list[RunState]:
        """Every readable run, running ones first, then newest first; a damaged journal
        is left out (`runs` names it) so that one bad journal never hides the others."""
        states = []
        for run_id in self.run_ids():
            try:
                states.append(self.run_state(run_id))
            except (CorruptJournal, NoSuchRun):
                continue
        # "running" as `runs` says it (no ending journaled), not whether a process holds the
        # lock: testing the lock takes it for an instant, which a starting resume could meet
        return sorted(states, key=lambda s: s.status != RunStatus.RUNNING)  # stable: newest first

    def run_state(self, run_id: str) -> RunState:
        from runbookctl.record.writeup import load_state

        return load_state(self.run_dir(run_id))

    def run_events(self, run_id: str, after_seq: int = 0) -> list[Event]:
        """The run's complete events with seq > `after_seq`, in order."""
        events = read_events(self.run_dir(run_id) / JOURNAL, 0)[0]
        return [event for event in events if event.seq > after_seq]

    def is_live(self, run_id: str) -> bool:
        """A process (run, resume) holds the run: more events may come."""
        from runbookctl.record import lock

        try:
            return not lock.is_free(self.run_dir(run_id))
        except (OSError, NoSuchRun):
            return False

    def log_path(self, run_id: str, name: str) -> Path:
        """A log of the run by its file name, inside the run's logs folder only."""
        path = self.run_dir(run_id) / "logs" / name
        if not _NAME.fullmatch(name) or not name.endswith(".log") or not path.is_file():
            raise NoSuchRun(f"run {run_id} has no log '{name}'")
        return path


def read_events(journal: Path, offset: int) -> tuple[list[Event], int]:
    """The complete events written after byte `offset`, and the offset after them.

    A line still being written (no newline yet) waits for the next read; a line that is
    not an event is a damaged journal (CorruptJournal), never skipped silently."""
    from runbookctl.record.journal import Event

    try:
        with open(journal, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError as exc:
        raise CorruptJournal(f"{journal}: cannot read: {exc.strerror or exc}") from None
    whole = data.rfind(b"\n") + 1
    events = []
    for line in data[:whole].splitlines():
        try:
            events.append(Event.from_dict(json.loads(line)))
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError too
            raise CorruptJournal(f"{journal}: not a journal event after byte {offset}: {exc}") \
                from None
    return events, offset + whole


def file_size(path: Path) -> int:
    """The size of a file that may not exist yet (0)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
