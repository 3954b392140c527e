"""What the engine shows a person, as a protocol: the terminal (cli/terminal.py)
implements it, tests pass a recording fake. The engine never writes to stdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from runbookctl.executors.base import HostResult, Masker, OutputSink
from runbookctl.record.notices import Notices


class Display(OutputSink, Notices, Protocol):
    """The progress of a run: steps, commands and their output, outcomes."""

    masker: Masker | None  # set once the run knows its secrets: nothing shown unmasked

    def step(self, key: str, title: str, action: str) -> None: ...

    def jump(self, to: str, why: str) -> None:
        """The walk goes to `to` out of the plan's order; `why` as journaled."""

    def attempt(self, number: int, attempts: int | None, elapsed: float | None = None,
                within: float | None = None) -> None:
        """The attempt about to run: of `attempts` (retries), or a poll `elapsed`
        seconds into its `within` window (`until`)."""

    def running(self) -> None:
        """A command started (a terminal may show its elapsed time live)."""

    def hold(self) -> None:
        """Stop any live redraw: called when a command ends and before the terminal
        is handed to a person (a prompt, an interactive session)."""

    def command(self, display: str, hosts: list[str] | None = None) -> None: ...

    def flush_output(self) -> None: ...

    def hosts_done(self, results: Sequence[HostResult]) -> None:
        """A command ended on these hosts: a terminal may sum up a step on many
        (hostsets.grouped) in a line per failed host and one for the rest."""

    def ok(self, text: str) -> None: ...

    def fail(self, text: str) -> None: ...

    def skip(self, text: str) -> None: ...

    def block(self, title: str, text: str) -> None: ...
