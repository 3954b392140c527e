"""`store init` and `store sync` (cli/groups/store.py) reach their bodies with every option."""

from __future__ import annotations

import pytest

from runbookctl.cli.commands import store
from runbookctl.cli.groups import store as group
from tests.unit.cli.groups.conftest import SESSION, UI, Bodies


def test_store_init_and_sync_pass_their_options(bodies: Bodies,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group, "session", lambda: SESSION)
    monkeypatch.setattr(group, "ui", lambda: UI)
    bodies.replace(store, "init_store")
    bodies.replace(store, "sync_store", code=1)
    bodies.invoke("store", "init")
    bodies.invoke("store", "init", "--admin", "postgresql://postgres@db/runs", "--role", "rb")
    assert bodies.invoke("store", "sync").exit_code == 1
    assert bodies.calls == [
        ("init_store", (SESSION, UI, None, None), {}),
        ("init_store", (SESSION, UI, "postgresql://postgres@db/runs", "rb"), {}),
        ("sync_store", (SESSION, UI), {}),
    ]


def test_store_has_help() -> None:
    from typer.testing import CliRunner

    from runbookctl.cli.app import app

    out = CliRunner().invoke(app, ["store", "--help"]).output
    assert "init" in out and "sync" in out
