"""The command line: the typer app, its global options, and the table of commands.

No logic lives here. The commands are declared one module per group in
cli/groups/ and their bodies live in cli/commands/, imported inside each
command so that `runbookctl --help` starts instantly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runbookctl import __version__
from runbookctl.cli.groups import approvals, authoring, catalog, live, records, running
from runbookctl.cli.groups.store import store_app
from runbookctl.cli.invocation import G
from runbookctl.cli.lazy import lazy_group

# Every command, in the order `--help` lists them: declared here, built by the app's
# group only when used (cli/lazy.py: building them all cost ~20 ms of every start).
commands = typer.Typer(rich_markup_mode=None)
for _name, _command in (
    ("list", catalog.list_cmd),
    ("show", catalog.show_cmd),
    ("validate", catalog.validate_cmd),
    ("schema", catalog.schema_cmd),
    ("run", running.run_cmd),
    ("weekly", running.weekly_cmd),
    ("runs", records.runs_cmd),
    ("stats", records.stats_cmd),
    ("report", records.report_cmd),
    ("resume", running.resume_cmd),
    ("discard", running.discard_cmd),
    ("note", records.note_cmd),
    ("approve", approvals.approve_cmd),
    ("reject", approvals.reject_cmd),
    ("serve", live.serve_cmd),
    ("watch", live.watch_cmd),
    ("verify", records.verify_cmd),
    ("new", authoring.new_cmd),
    ("import", authoring.import_cmd),
):
    commands.command(_name)(_command)
commands.add_typer(store_app)

app = typer.Typer(
    name="runbookctl",
    help="Executable runbooks: YAML step graphs of shell, SSH and human steps, journaled as "
    "they run and written up as a Markdown incident report.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # plain help: rich's help renderer costs ~75 ms of start-up (markdown_it etc.)
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=lazy_group(commands),
)

RunbooksOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--runbooks",
        metavar="DIR",
        help="A folder of runbooks searched before the others (repeatable).",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Config file (default: runbookctl.yaml in this folder or a parent).",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"runbookctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    runbooks: RunbooksOpt = None,
    config: ConfigOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Executable runbooks with a journal and a Markdown report."""
    G.runbooks = runbooks
    G.config = config


def main() -> None:
    """The app, as a function that raises SystemExit (tests and embedders call it)."""
    try:
        app()
    except KeyboardInterrupt:
        from runbookctl.errors import ExitCode

        raise SystemExit(int(ExitCode.INTERRUPTED)) from None


def entry() -> None:
    """Console-script entry point: main(), then out of the process without the
    interpreter's teardown (cli/leave.py)."""
    import gc

    from runbookctl.cli.leave import expect, leave

    # Start-up makes ~60,000 objects that live as long as the process (modules, the
    # runbook): the collector's 90 passes over them cost ~15 ms before a run's first
    # step. It is off until a command that lasts turns it on (cli/collector.py).
    gc.disable()
    expect()
    try:
        main()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)
