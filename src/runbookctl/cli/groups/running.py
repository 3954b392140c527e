"""The commands that run a runbook or end a run: run, weekly, resume, discard."""

from __future__ import annotations

from typing import Annotated

import typer

from runbookctl.cli.error_handler import guard
from runbookctl.cli.invocation import session, ui
from runbookctl.cli.options import (
    Answers,
    Commit,
    DryRun,
    FromStep,
    Hosts,
    Incident,
    NoInput,
    Operator,
    ReportDir,
    Var,
    VarsFile,
    Yes,
    run_request,
)


def run_cmd(
    runbook: Annotated[str, typer.Argument(metavar="RUNBOOK", help="Runbook id or path to a runbook file.")],
    var: Var = None,
    vars_file: VarsFile = None,
    answers: Answers = None,
    yes: Yes = False,
    no_input: NoInput = False,
    dry_run: DryRun = False,
    from_step: FromStep = None,
    report_dir: ReportDir = None,
    operator: Operator = None,
    incident: Incident = None,
    commit: Commit = False,
    hosts: Hosts = None,
) -> None:
    """Run a runbook: every step journaled, a Markdown report written at the end.

    Exit codes: 0 completed, 1 failed or aborted, 2 usage error / invalid runbook / unanswered
    prompt, 3 internal error, 130 interrupted (resumable).
    """
    params = dict(locals())
    from runbookctl.cli.commands.run import run_command

    req = run_request(runbook, params)
    guard(lambda: run_command(req, session(), ui()))


def weekly_cmd(
    day: Annotated[
        str | None,
        typer.Argument(metavar="[DAY]", help="monday … sunday (default: today).", show_default=False),
    ] = None,
    var: Var = None,
    vars_file: VarsFile = None,
    answers: Answers = None,
    yes: Yes = False,
    no_input: NoInput = False,
    dry_run: DryRun = False,
    from_step: FromStep = None,
    report_dir: ReportDir = None,
    operator: Operator = None,
    incident: Incident = None,
    commit: Commit = False,
    hosts: Hosts = None,
) -> None:
    """Run the weekly ops checklist `weekly-<day>` (default: today's). Same options as run.

    First asks about what the previous run of the same checklist left failed or skipped
    (answers file key: `carry-over/STEP`: resolved | still open | won't fix).
    """
    params = dict(locals())
    from runbookctl.cli.commands.run import resolve_day
    from runbookctl.cli.commands.weekly import weekly_command

    def body() -> int:
        req = run_request(f"weekly-{resolve_day(day)}", params)
        return weekly_command(req, session(), ui())

    guard(body)


def resume_cmd(
    run_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[RUN_ID]",
            help="Run id or unique prefix (default: the only unfinished run; at a terminal, "
            "choose among them).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Resume even though the runbook file changed since the run began.")
    ] = False,
    var: Var = None,
    answers: Answers = None,
    yes: Yes = False,
    no_input: NoInput = False,
    operator: Operator = None,
    commit: Commit = False,
) -> None:
    """Continue an interrupted run where it stopped; completed steps never run again.

    A step that was running when the run stopped is UNKNOWN: you choose rerun, done, failed or
    skip (answers file: `STEP: {resume: rerun|done|failed|skip}`). Secrets are read again.
    """
    from runbookctl.cli.commands.resume import ResumeRequest, resume_command

    req = ResumeRequest(
        run_id=run_id,
        force=force,
        answers=answers,
        yes=yes,
        no_input=no_input,
        operator=operator,
        variables=var or [],
        commit=commit,
    )
    guard(lambda: resume_command(req, session(), ui()))


def discard_cmd(
    run_id: Annotated[
        str,
        typer.Argument(metavar="RUN_ID", help="Run id (see `runbookctl runs`); a unique prefix is enough."),
    ],
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="TEXT", help="Why, for the record (journal and report).",
                     show_default=False),
    ] = None,
) -> None:
    """End an unfinished run as abandoned: journaled, its report rewritten; it can no longer be
    resumed, and `runs` shows it as abandoned.
    """
    from runbookctl.cli.commands.stale import discard_command

    guard(lambda: discard_command(session(), ui(), run_id, reason))
