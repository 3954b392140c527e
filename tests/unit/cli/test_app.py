"""`run` and `weekly` take the same options, and every one reaches the RunRequest."""

from __future__ import annotations

import typer

from runbookctl.cli.app import app
from runbookctl.cli.options import RUN_OPTIONS


def _options(name: str) -> dict[str, list[str]]:
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    return {p.name: p.opts for p in command.params if p.param_type_name == "option"}


def test_run_and_weekly_share_every_option() -> None:
    run, weekly = _options("run"), _options("weekly")
    assert run == weekly
    assert sorted(run) == sorted(RUN_OPTIONS)
