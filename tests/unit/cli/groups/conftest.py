"""Invoke the real typer app with the command bodies replaced by recorders: what a group
module must do is hand each option to the right body, under the error handler."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner, Result

from runbookctl.cli.app import app

SESSION, UI = object(), object()  # stand-ins: the bodies only pass them on


class Bodies:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def replace(self, module: Any, name: str, code: int = 0) -> None:
        def body(*args: Any, **kwargs: Any) -> int:
            self.calls.append((name, args, kwargs))
            return code

        self.monkeypatch.setattr(module, name, body)

    def invoke(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args))


@pytest.fixture
def bodies(monkeypatch: pytest.MonkeyPatch) -> Bodies:
    from runbookctl.cli.groups import approvals, catalog, live, records, running

    for group in (approvals, catalog, live, records, running):
        monkeypatch.setattr(group, "session", lambda: SESSION)
        monkeypatch.setattr(group, "ui", lambda: UI)
    return Bodies(monkeypatch)


