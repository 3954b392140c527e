"""Following one run as it is written: its new journal events, and the output of its
running commands as it reaches their logs. `serve`'s event stream (web/sse.py) and
`watch` (cli/commands/watch.py) both poll a Follower; neither reads a file itself.

The journal is polled by size (POLL seconds apart), never read in a busy loop, and
only whole lines are taken: a line still being written waits for the next poll.
A command's log is masked as it is written (executors/output.py); what is read of
it here has its escape sequences made visible before anyone sees it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.outcomes import RunStatus
from runbookctl.web.runs_source import JOURNAL, RunsSource, file_size, read_events

if TYPE_CHECKING:
    from runbookctl.record.journal import Event

POLL = 0.2  # seconds between two looks at the journal's size
# After a run's ending, a little more may still come (its signature, a note): the
# stream ends once the journal has been quiet this long.
ENDING_GRACE = 1.0
# What one read of a log sends at most: catching up with a long command shows its
# last CHUNK bytes (and says how many were left out: the full log has them).
CHUNK = 64 * 1024

ENDINGS = frozenset({"run_finished", "run_interrupted", "run_abandoned"})


@dataclass
class Item:
    """What a Follower found: a journal event, or a piece of a command's output."""

    event: Event | None = None
    output: dict[str, Any] | None = None


@dataclass
class _LogTail:
    step: str | None
    path: Path
    host: str
    offset: int = 0
    decoder: Any = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))

    def read(self) -> dict[str, Any] | None:
        from runbookctl.safety.masking import sanitize_terminal

        size = file_size(self.path)
        if size <= self.offset:
            return None
        skipped = max(0, size - self.offset - CHUNK)
        start = self.offset + skipped
        with open(self.path, "rb") as f:
            f.seek(start)
            data = f.read(size - start)
        self.offset = start + len(data)
        text = self.decoder.decode(data)
        return {"step": self.step, "host": self.host, "log": self.path.name, "offset": start,
                "skipped": skipped, "text": sanitize_terminal(text)}


class Follower:
    """One run followed from event `after` on (its seq: 0 is the start)."""

    def __init__(self, source: RunsSource, run_id: str, after: int = 0, output: bool = False) -> None:
        self.run_dir = source.run_dir(run_id)
        self.journal = self.run_dir / JOURNAL
        self.after = after
        self.output = output
        self.offset = 0
        self.status: str = RunStatus.RUNNING
        self.tails: dict[str, _LogTail] = {}
        self.quiet = 0.0  # seconds without a new byte since the run's ending

    @property
    def ended(self) -> bool:
        """The run ended and its journal has been quiet since: nothing more will come."""
        return self.status != RunStatus.RUNNING and self.quiet >= ENDING_GRACE

    def poll(self, waited: float = POLL) -> list[Item]:
        """What is new since the last poll (`waited` seconds ago)."""
        items: list[Item] = []
        if file_size(self.journal) == self.offset:
            self.quiet += waited
        else:
            self.quiet = 0.0
            events, self.offset = read_events(self.journal, self.offset)
            for event in events:
                items += self._take(event)
        return items + self._drain()  # the commands still running (a new one's output too)

    def _take(self, event: Event) -> list[Item]:
        items: list[Item] = []
        if event.type == "command_started":
            self._open_logs(event)
        elif event.type == "command_finished":  # its last output before the event saying so
            items += self._drain(event.step, close=True, send=event.seq > self.after)
        elif event.type in ENDINGS:
            self.status = str(event.data.get("status") or event.type.removeprefix("run_"))
        elif event.type == "run_resumed":
            self.status = RunStatus.RUNNING
        if event.seq > self.after:
            items.append(Item(event=event))
        return items

    def _open_logs(self, event: Event) -> None:
        if not self.output:
            return
        log = Path(str(event.data.get("log") or ""))
        hosts = [str(h) for h in event.data.get("hosts") or []]
        names = [(f"{log.stem}.{h}.log", h) for h in hosts] if hosts else [(log.name, "local")]
        for name, host in names:  # only ever inside the run's own logs folder
            self.tails[name] = _LogTail(event.step, self.run_dir / "logs" / Path(name).name, host)

    def _drain(self, step: str | None = None, close: bool = False, send: bool = True) -> list[Item]:
        """New output of the open logs (of `step`); `close`: the command ended; not `send`:
        a command that ended before `after`, whose output the reader has seen."""
        items = []
        for name, tail in list(self.tails.items()):
            if step is not None and tail.step != step:
                continue
            out = tail.read() if send else None
            if out is not None and out["text"]:
                items.append(Item(output=out))
            if close:
                del self.tails[name]
        return items
