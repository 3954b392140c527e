"""What every command body is given: the global options, a Session, a UI.

The typer command modules (cli/groups/) call these; each import is lazy so that
`runbookctl --help` loads none of the heavy modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
