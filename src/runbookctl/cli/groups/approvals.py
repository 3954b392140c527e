"""The two-person rule's commands: approve and reject a step waiting for approval."""

from __future__ import annotations

from typing import Annotated

import typer

from runbookctl.cli.error_handler import guard
from runbookctl.cli.invocation import session, ui

RunIdArg = Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id (a unique prefix "
                                         "is enough; `runbookctl runs` lists them).",
                                         show_default=False)]
StepArg = Annotated[str, typer.Argument(metavar="STEP", help="The step waiting for approval (its "
                                        "key: `step`, or `runbook/step` inside an include).",
                                        show_default=False)]
AsOpt = Annotated[str | None, typer.Option(
    "--as", metavar="NAME", help="Who decides (default: the operator name: config operator, "
    "$RUNBOOKCTL_OPERATOR, else your login); never the run's own operator.", show_default=False)]


def approve_cmd(run_id: RunIdArg, step: StepArg, author: AsOpt = None,
                reason: Annotated[str | None, typer.Option(
                    "--reason", metavar="TEXT", help="Why (optional; journaled and reported).",
                    show_default=False)] = None) -> None:
    """Approve a step waiting for a second person's approval (two-person rule).

    The run, waiting at that step, goes on (its own confirmation still applies);
    who, when, how and why are journaled and shown in the report. Exit 0 approved;
    2 no such run, the step is not waiting, it was already decided, or NAME is the
    run's operator.
    """
    from runbookctl.cli.commands.approve import decide_command

    guard(lambda: decide_command(session(), ui(), run_id, step, "approve", author, reason))


def reject_cmd(run_id: RunIdArg, step: StepArg,
               reason: Annotated[str, typer.Option(
                   "--reason", metavar="TEXT", help="Why the step must not run (required; "
                   "shown to the operator, journaled and reported).", show_default=False)],
               author: AsOpt = None) -> None:
    """Reject a step waiting for a second person's approval (two-person rule).

    The run follows the step's `on_no` (abort by default), as after a 'no' at
    its confirmation. Exit 0 rejected; 2 no such run, the step is not waiting,
    it was already decided, NAME is the run's operator, or no --reason.
    """
    from runbookctl.cli.commands.approve import decide_command

    guard(lambda: decide_command(session(), ui(), run_id, step, "reject", author, reason))
