"""The options `run` and `weekly` share (and `resume` in part), and the RunRequest they make."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from runbookctl.engine.request import RunRequest

Var = Annotated[
    list[str] | None,
    typer.Option(
        "--var", metavar="NAME=VALUE", help="Set an input: NAME=VALUE (repeatable).", show_default=False
    ),
]
VarsFile = Annotated[
    Path | None,
    typer.Option("--vars-file", metavar="FILE", help="YAML file of input values (name: value; each name an "
                 "input of the runbook).", show_default=False),
]
Answers = Annotated[
    Path | None,
    typer.Option(
        "--answers",
        metavar="FILE",
        help="YAML answers to prompts, keyed by step id (for drills and CI).",
        show_default=False,
    ),
]
Yes = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Answer yes to confirmation gates (never to dangerous steps, questions or manual checks).",
    ),
]
NoInput = Annotated[
    bool, typer.Option("--no-input", help="Never prompt: an unanswered prompt stops the run with exit 2.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would run; only readonly steps execute.")]
FromStep = Annotated[
    str | None, typer.Option("--from", metavar="STEP", help="Start at this step id.", show_default=False)
]
ReportDir = Annotated[
    Path | None,
    typer.Option(
        "--report-dir",
        metavar="DIR",
        help="Where the report is written (default: config reports_dir, else ./reports); "
        "checked before the run.",
        show_default=False,
    ),
]
Operator = Annotated[
    str | None,
    typer.Option(
        "--operator",
        metavar="NAME",
        help="Who is running this (default: config operator, $RUNBOOKCTL_OPERATOR, the login).",
        show_default=False,
    ),
]
Incident = Annotated[
    str | None,
    typer.Option("--incident", metavar="ID", help="Incident id, shown in the report.", show_default=False),
]
Commit = Annotated[
    bool,
    typer.Option(
        "--commit",
        help="Commit the report and its journal to the git repository holding the report dir (never pushes); "
        "no repository there: exit 2 before the run.",
    ),
]
Hosts = Annotated[
    list[str] | None,
    typer.Option(
        "--hosts",
        metavar="GROUP=H1,H2",
        help="Host group override: GROUP=h1,h2 (repeatable); GROUP must be one a step runs on; "
        "kept for resume.",
        show_default=False,
    ),
]


# The options `run` and `weekly` share (their signatures must list them for typer;
# a test keeps the two lists equal).
RUN_OPTIONS = ("var", "vars_file", "answers", "yes", "no_input", "dry_run", "from_step",
               "report_dir", "operator", "incident", "commit", "hosts")


def run_request(runbook: str, params: dict[str, Any]) -> RunRequest:
    """A RunRequest from a command's parameters (its `locals()` on entry)."""
    from runbookctl.engine.request import RunRequest

    kw = {name: params[name] for name in RUN_OPTIONS}
    kw["variables"] = kw.pop("var") or []
    kw["hosts"] = kw["hosts"] or []
    return RunRequest(runbook=runbook, **kw)
