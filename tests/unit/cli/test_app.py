"""`run` and `weekly` take the same options, and every one reaches the RunRequest;
`--help` loads no more than the command table."""

from __future__ import annotations

import subprocess
import sys

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


# What ARCHITECTURE.md promises `runbookctl --help` loads of runbookctl ("Heavy imports
# are lazy"), and the libraries it must not load.
HELP_LOADS = {"runbookctl", "runbookctl.cli", "runbookctl.cli.app", "runbookctl.cli.groups",
              "runbookctl.cli.options", "runbookctl.cli.invocation", "runbookctl.cli.lazy",
              "runbookctl.cli.error_handler"}
NEVER_FOR_HELP = ("yaml", "jinja2", "rich", "questionary", "paramiko", "markdown_it",
                  "starlette", "uvicorn")


def test_help_loads_only_the_command_table() -> None:
    code = ("import sys\nsys.argv = ['runbookctl', '--help']\n"
            "from runbookctl.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stderr.split()
    ours = {m for m in loaded if m.split(".")[0] == "runbookctl"}
    assert ours - HELP_LOADS == {m for m in ours if m.startswith("runbookctl.cli.groups.")}
    assert [m for m in loaded if m.split(".")[0] in NEVER_FOR_HELP] == []
