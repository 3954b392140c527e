"""The commands that read runbooks without running them: list, show, validate, schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runbookctl.cli.error_handler import guard
from runbookctl.cli.invocation import session, ui


def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    tag: Annotated[
        str | None, typer.Option("--tag", metavar="TAG", help="Only runbooks with this tag.")
    ] = None,
) -> None:
    """List the runbooks found on the search path: id, title, severity, steps, source."""
    from runbookctl.cli.commands import catalog

    guard(lambda: catalog.list_runbooks(session(), as_json=as_json, tag=tag))


def show_cmd(
    runbook: Annotated[str, typer.Argument(metavar="RUNBOOK", help="Runbook id or path to a runbook file.")],
    graph: Annotated[
        bool, typer.Option("--graph", help="Print the step graph as a Mermaid flowchart.")
    ] = False,
) -> None:
    """Show a runbook's inputs and steps, or its step graph with --graph."""
    from runbookctl.cli.commands import catalog

    guard(lambda: catalog.show_runbook(session(), ui(), runbook, graph=graph))


def validate_cmd(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[RUNBOOK|PATH]...",
            help="Runbook ids, files or folders (default: every runbook found).",
            show_default=False,
        ),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", metavar="FILE",
            help="Also check this answers file against the runbook: name exactly one (else exit 2).",
        ),
    ] = None,
) -> None:
    """Check runbooks: every problem as path:line:col. Exit 0 valid, 2 invalid."""
    from runbookctl.cli.commands import validate as v

    guard(lambda: v.validate(session(), targets or [], answers))


def schema_cmd() -> None:
    """Print the JSON Schema of the runbook format (for editors and CI)."""
    from runbookctl.cli.commands import catalog

    guard(catalog.print_schema)
