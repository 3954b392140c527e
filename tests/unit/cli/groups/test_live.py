"""serve (cli/groups/live.py) reaches its body with every option and its defaults."""

from __future__ import annotations

import pytest

from runbookctl.cli.commands import serve
from tests.unit.cli.groups.conftest import SESSION, UI, Bodies


def test_serve_passes_host_port_and_token(bodies: Bodies) -> None:
    bodies.replace(serve, "serve")
    bodies.invoke("serve")
    bodies.invoke("serve", "--host", "0.0.0.0", "--port", "0", "--token", "x" * 20)
    assert bodies.calls == [
        ("serve", (SESSION, UI, "127.0.0.1", 8765, None), {}),
        ("serve", (SESSION, UI, "0.0.0.0", 0, "x" * 20), {}),
    ]


def test_the_token_may_come_from_the_environment(bodies: Bodies, monkeypatch: pytest.MonkeyPatch) -> None:
    bodies.replace(serve, "serve")
    monkeypatch.setenv("RUNBOOKCTL_SERVE_TOKEN", "e" * 20)
    bodies.invoke("serve")
    assert bodies.calls == [("serve", (SESSION, UI, "127.0.0.1", 8765, "e" * 20), {})]


def test_serve_has_help_naming_its_pages_and_api(bodies: Bodies) -> None:
    out = bodies.invoke("serve", "--help").output
    assert "/api/runs" in out and "Last-Event-ID" in out and "--token" in out


def test_watch_passes_the_run_or_none(bodies: Bodies) -> None:
    from runbookctl.cli.commands import watch

    bodies.replace(watch, "watch", code=130)
    assert bodies.invoke("watch").exit_code == 130
    bodies.invoke("watch", "20261201")
    assert bodies.calls == [("watch", (SESSION, UI, None), {}), ("watch", (SESSION, UI, "20261201"), {})]
