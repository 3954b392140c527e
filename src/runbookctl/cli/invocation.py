"""What every command body needs: the global options, a Session, a UI, the error handler.

The typer command modules (cli/groups/) call these; each import is lazy so that
`runbookctl --help` loads none of the heavy modules.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI


class _Globals:
    """The options given before the command name (set by the app's callback)."""

    runbooks: list[Path] | None = None
    config: Path | None = None


G = _Globals()


def session() -> Session:
    from runbookctl.check.workspace import Session

    return Session.create(G.runbooks, G.config)


def ui() -> UI:
    from runbookctl.cli.terminal import UI

    return UI()


def guard(fn: Callable[[], int | None]) -> NoReturn:
    """Run a command body under the one error handler."""
    from runbookctl.cli.error_handler import handle

    raise typer.Exit(handle(fn))
