"""What the record-keeping code (report, commit) tells a person, as a protocol:
the terminal implements it; record/ never imports the CLI.
"""

from __future__ import annotations

from typing import Protocol


class Notices(Protocol):
    """One-line notices."""

    def info(self, text: str) -> None: ...

    def warn(self, text: str) -> None: ...
