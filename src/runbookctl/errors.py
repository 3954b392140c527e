"""One error base, one exit-code enum; the CLI's handler maps errors to codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.positions import Pos


class ExitCode(IntEnum):
    """Process exit codes (README.md, "Commands": exit codes)."""

    OK = 0
    FAILED = 1  # the run ended failed or aborted; verify found tampering
    USAGE = 2  # usage error, invalid runbook, unanswered prompt in a non-interactive run
    INTERNAL = 3  # a bug: crash log written
    INTERRUPTED = 130  # Ctrl-C / SIGTERM / SIGHUP; the run is resumable


@dataclass(frozen=True)
class Problem:
    """One problem in a source file: `path:line:col: message`, then the line and a caret."""

    pos: Pos
    message: str
    key_path: str = ""
    severity: str = "error"  # error | warning
    source_line: str | None = None

    def format(self) -> str:
        where = f" ({self.key_path})" if self.key_path else ""
        kind = "" if self.severity == "error" else f"{self.severity}: "
        head = f"{self.pos}: {kind}{self.message}{where}"
        if self.source_line is None or self.pos.line <= 0:
            return head
        caret = " " * max(self.pos.col - 1, 0) + "^"
        return f"{head}\n    {self.source_line}\n    {caret}"


class RunbookctlError(Exception):
    """Base of every error a user may see; `exit_code` says how the process ends."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(RunbookctlError):
    """Bad command-line input, a missing runbook or file."""

    exit_code = ExitCode.USAGE


class ValidationError(RunbookctlError):
    """A runbook (or answers/vars file) has problems; all of them are carried."""

    exit_code = ExitCode.USAGE

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))


class NoAnswerError(RunbookctlError):
    """A prompt had no answer in a non-interactive run (exit 2, resumable)."""

    exit_code = ExitCode.USAGE


class JournalError(RunbookctlError):
    """The journal could not be written: the run stops before its next action."""

    exit_code = ExitCode.FAILED


class InterruptedRun(RunbookctlError):
    """The run was stopped by a signal; it is resumable."""

    exit_code = ExitCode.INTERRUPTED


class CorruptJournal(UsageError):
    """A journal that cannot be read as a run (bad line, wrongly typed field): `path:line: why`."""


class TemplateError(RunbookctlError):
    """A template or expression failed to render (undefined name, bad syntax)."""


class UnaskableStep(NoAnswerError):
    """A confirmation or question whose text cannot be rendered: nobody can be asked it,
    and `on_failure` does not apply to the step (`validate` refuses it there), so the run
    stops at it, resumable (exit 2), naming the step and where its text is written."""
