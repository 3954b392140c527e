"""The commands that write runbooks: new (a scaffold) and import (from a Markdown playbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runbookctl.cli.error_handler import guard
from runbookctl.cli.invocation import G


def new_cmd(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The runbook id: a lowercase slug, e.g. db-overload.")
    ],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Where to write NAME.yaml (default: the first --runbooks folder, else ./runbooks).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing NAME.yaml.")] = False,
) -> None:
    """Scaffold a runbook: a valid DIR/NAME.yaml with every key explained in a comment."""
    from runbookctl.cli.commands.authoring import new_runbook

    guard(lambda: new_runbook(name, directory=directory, force=force, runbook_dirs=G.runbooks or []))


def import_cmd(
    playbook: Annotated[
        str, typer.Argument(metavar="PLAYBOOK.md", help="A Markdown playbook ('-' reads stdin).")
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Write one DIR/<id>.yaml per runbook (default: one YAML stream on stdout, as with -).",
            show_default=False,
        ),
    ] = None,
    id_prefix: Annotated[
        str, typer.Option("--id-prefix", metavar="P", help="Start every runbook id with P- (e.g. team name).")
    ] = "",
    force: Annotated[bool, typer.Option("--force", help="Overwrite runbook files already in DIR.")] = False,
) -> None:
    """Turn a Markdown playbook into runbooks that validate.

    Each heading holding numbered steps, checklists or code blocks becomes a runbook (id from
    the heading, severity from "P1" / "Severity 2" in it or its parents); items become manual
    steps, shell blocks run steps behind a confirmation (timeout 5m), [placeholders] in
    commands become inputs; conditions ("If X:") are left as TODO comments to review.
    Without --output the runbooks are printed as one YAML stream.
    """
    from runbookctl.cli.commands.authoring import import_playbook

    guard(lambda: import_playbook(playbook, output=output, id_prefix=id_prefix, force=force))
