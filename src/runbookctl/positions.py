"""Places in source files (file:line:col), for every message that points at a line.

The bottom layer with errors.py: it imports nothing of runbookctl.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Pos:
    """A place in a source file; line and col are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{shown_name(self.file)}:{self.line}:{self.col}"


def shown_name(name: str) -> str:
    """A file name or id as it may be printed: a newline, an escape or a right-to-left
    override in it is shown escaped (`\\n`, `\\u202e`), never acted on by the terminal."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name)
