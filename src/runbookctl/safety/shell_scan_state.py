"""What the parts of the shell scanner share: the text, where it is, the stack of open
frames, the replacements made so far and the heredocs waiting for their bodies.

safety/shell_scan.py puts the parts together: shell code there, quotes and
expansions in safety/shell_expansions.py, heredoc bodies in safety/shell_heredocs.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from runbookctl.safety.shell_contexts import REFUSED, Ctx, Emit
from runbookctl.safety.shell_words import CMD, REFUSE_REASONS, Frame, Heredoc

__all__ = ["Heredoc", "ScanState"]


class ScanState(ABC):
    """The state every part of the scanner reads and moves; the parts are mixins on it."""

    def __init__(self, text: str, emit: Emit, dialect: str, check_bodies: bool) -> None:
        self.t = text
        self.n = len(text)
        self.i = 0
        self.emit = emit
        self.dialect = dialect
        self.check_bodies = check_bodies
        self.stack = [Frame(CMD)]
        self.reps: list[tuple[int, int, str]] = []
        self.pending: list[Heredoc] = []
        self.bodies: list[tuple[Heredoc, int]] = []
        self.poison = ""  # once set, every later value is refused for this reason
        self.doc: Heredoc | None = None  # the heredoc body being read (expanding)
        # Variables declared integer ('int') or nameref ('varname'): what assigning them reads.
        self.attributes: dict[str, str] = {}

    def _refused(self, why: str) -> Ctx:
        return Ctx(REFUSED, REFUSE_REASONS[why])

    def _next_is_plain(self) -> bool:
        """The character after a backslash is not a sentinel (which must stay visible)."""
        return self.i + 1 < self.n and self.t[self.i + 1] != "\x00"

    def _at_line_start(self) -> bool:
        return self.i == 0 or self.t[self.i - 1] == "\n"

    def _line(self) -> tuple[str, int]:
        end = self.t.find("\n", self.i)
        end = self.n if end < 0 else end
        return self.t[self.i:end], end

    @abstractmethod
    def run(self) -> list[tuple[int, int, str]]:
        """Scan the whole text: the (start, end, replacement) of each value."""

    @abstractmethod
    def _reparsed(self, base: Frame | None = None) -> str:
        """Why text here is read again by another shell ("" if it is not)."""

    @abstractmethod
    def _staged(self, rep: int) -> None:
        """The replacement `rep` is a value of the pipeline stages it is in."""

    @abstractmethod
    def _nested(self, text: str) -> ScanState:
        """A scanner for text the shell reads on its own (a backquoted command)."""
