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
    playbooks: Annotated[
        list[str],
        typer.Argument(metavar="PLAYBOOK.md...", help="Markdown playbooks ('-' reads stdin)."),
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
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite the runbooks an earlier import of the same playbook wrote."),
    ] = False,
    split: Annotated[
        bool,
        typer.Option("--split", help="One runbook per heading holding a procedure (default: one per file)."),
    ] = False,
    review: Annotated[
        str | None,
        typer.Option("--review", metavar="FILE", help="Also write the review list (Markdown) to FILE.",
                     show_default=False),
    ] = None,
) -> None:
    """Turn Markdown playbooks into runbooks that validate, and list what to review.

    Each file becomes one runbook (--split: one per heading holding a procedure): its sections
    are consecutive steps, prose and tables shown in messages, warnings in messages before the
    steps they guard; items become manual steps, shell blocks run steps that must be confirmed
    by typing the step id unless known to only read (--yes never runs them); placeholders in
    commands become inputs, and a variable one step sets from a command (POD=$(...)) and later
    steps read a capture of that command; "If X, do Y" a confirmation "X?" whose no skips Y.
    Severity from front matter or headings. Prints (and --review FILE writes) what became
    what, with line numbers, and every place to check. Without --output the runbooks are
    printed as YAML.
    """
    from runbookctl.cli.commands.authoring import import_playbook

    guard(lambda: import_playbook(playbooks, output=output, id_prefix=id_prefix, force=force,
                                  split=split, review=review))
