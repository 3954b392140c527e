"""What the engine shows a person, as a protocol: the terminal (cli/terminal.py)
implements it, tests pass a recording fake. The engine never writes to stdout.
"""

from __future__ import annotations

from typing import Protocol

from runbookctl.executors.base import Masker, OutputSink
from runbookctl.record.notices import Notices


class Display(OutputSink, Notices, Protocol):
    """The progress of a run: steps, commands and their output, outcomes."""

    masker: Masker | None  # set once the run knows its secrets: nothing shown unmasked

    def step(self, key: str, title: str, action: str) -> None: ...

    def command(self, display: str, hosts: list[str] | None = None) -> None: ...

    def flush_output(self) -> None: ...

    def ok(self, text: str) -> None: ...

    def fail(self, text: str) -> None: ...

    def skip(self, text: str) -> None: ...

    def block(self, title: str, text: str) -> None: ...
