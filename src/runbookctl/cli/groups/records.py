"""The commands about what runs recorded: runs, stats, report, note, verify."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runbookctl.cli.error_handler import guard
from runbookctl.cli.invocation import session, ui


def runs_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit: Annotated[int, typer.Option("--limit", metavar="N",
                                       help="At most N runs (1 or more), newest first.")] = 20,
    runbook: Annotated[
        str | None,
        typer.Option("--runbook", metavar="ID", help="Only runs of this runbook.", show_default=False),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Only runs that ended so: completed, failed, aborted, interrupted, running, "
            "abandoned.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only runs started after a date (2026-11-01) or an age ago (7d, 12h, or seconds: "
            "3600).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run history from the state dir: id, runbook, status, operator, started, duration."""
    from runbookctl.cli.commands import history

    guard(
        lambda: history.list_runs(
            session(), ui(), as_json=as_json, limit=limit, runbook=runbook, status=status, since=since
        )
    )


def stats_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    reports: Annotated[
        Path | None,
        typer.Option(
            "--reports",
            metavar="DIR",
            help="Read the reports committed under DIR (a post-mortem repo: their front matter, or "
            "the journal copy beside an older one) instead of the state dir.",
            show_default=False,
        ),
    ] = None,
    runbook: Annotated[
        str | None, typer.Option("--runbook", metavar="ID", help="Only this runbook.", show_default=False)
    ] = None,
    markdown: Annotated[
        bool,
        typer.Option("--markdown", help="A Markdown page (tables, a Mermaid chart per runbook) on stdout."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE",
                     help="Write the Markdown page to FILE (implies --markdown; '-' is stdout).",
                     show_default=False),
    ] = None,
) -> None:
    """Per runbook and month: runs, completion rate, time to acknowledge, mitigate and resolve
    (from the milestones: median, p90, count), active time, most-failed steps."""
    from runbookctl.cli.commands import stats

    guard(lambda: stats.stats(session(), ui(), as_json=as_json, reports=reports, runbook=runbook,
                              markdown=markdown, output=output))


def report_cmd(
    run_id: Annotated[
        str,
        typer.Argument(metavar="RUN_ID", help="Run id (see `runbookctl runs`); a unique prefix is enough."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here instead of the run's report path; '-' for stdout.",
        ),
    ] = None,
) -> None:
    """Re-render a run's Markdown report from its journal."""
    from runbookctl.cli.commands import history

    guard(lambda: history.rerender(session(), ui(), run_id, output))


def verify_cmd(
    target: Annotated[
        str,
        typer.Argument(metavar="REPORT_OR_RUN", help="A report file, a journal file, a run dir or a run id."),
    ],
    store: Annotated[bool, typer.Option("--store", help="Also check the run's copy in the team's store "
                                        "(config `store:`): its chain, and each event equal to the "
                                        "journal's; unreachable is a failure (without --store, a "
                                        "warning).")] = False,
) -> None:
    """Check a run's journal hash chain, and that a report matches its journal.

    Exit 0 valid, 1 tampered (each problem located), 2 not found.
    """
    from runbookctl.cli.commands.verify import verify

    guard(lambda: verify(session(), target, store))


def note_cmd(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="[RUN_ID] TEXT",
            help="The note, quoted as one argument; before it, the run's id (a unique prefix is "
            "enough). Without RUN_ID: the run running now, else the latest run.",
            show_default=False,
        ),
    ],
    author: Annotated[
        str | None,
        typer.Option("--as", metavar="NAME", help="Who wrote the note (default: the operator name: "
                     "config operator, $RUNBOOKCTL_OPERATOR, else your login).", show_default=False),
    ] = None,
    commit: Annotated[
        bool,
        typer.Option("--commit", help="Commit the rewritten report, its journal copy and logs "
                     "to the git repository that holds it, as run --commit does."),
    ] = False,
) -> None:
    """Add a timestamped note to a running or finished run, from any terminal.

    The note is journaled (masked, hash-chained, beside the running run's own
    events) and shown in the report's timeline with its author and time; a
    finished run's report is rewritten, and the journal copy beside a committed
    report with it (--commit commits them). At a prompt of the run itself, Ctrl-N
    adds one too. Exit 0 added, 1 the commit failed, 2 no such run (or several
    running: name one).
    """
    from runbookctl.cli.commands.note import add_note

    guard(lambda: add_note(session(), ui(), words, author, commit))
