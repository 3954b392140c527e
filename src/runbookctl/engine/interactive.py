"""Interactive steps (`interactive: true`): whether the terminal can be handed
over (a person is there, or the answers file says skip), and the session itself
(executors/pty_session.py; ssh: executors/ssh). docs/runbook-format.md says
what a runbook author sees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runbookctl.engine import gates
from runbookctl.outcomes import NEXT, Outcome, SkipKind, StepStatus

if TYPE_CHECKING:
    from runbookctl.engine.context import StepContext
    from runbookctl.executors.base import CommandSpec, HostResult


def hand_over(ctx: StepContext, spec: CommandSpec) -> Outcome | None:
    """An interactive step needs the operator's terminal: without one it stops the
    run (NoAnswerError, exit 2) unless the answers file says skip; never half-attached.
    An ssh session is on one host: a person types into one program."""
    if len(spec.hosts) > 1:
        reason = (f"interactive: a session is on one host, {len(spec.hosts)} given "
                  f"({', '.join(spec.hosts)})")
        ctx.ui.fail(reason)
        return gates.after_failure(gates.decide_failure(ctx, reason), ctx.key, reason)
    answer = ctx.prompter.hand_over(ctx.key, spec.display)
    if answer.value != "skip":
        return None
    ctx.record_answer("session", f"interactive session: {spec.display}", answer)
    reason = "interactive: skipped (session: skip, no terminal)"
    ctx.ui.skip(reason)
    return Outcome(StepStatus.SKIPPED, NEXT, reason, SkipKind.BY_PERSON)


def session(ctx: StepContext, spec: CommandSpec) -> HostResult:
    """The terminal is the program's until it exits; then the step goes on as any."""
    from runbookctl.executors.pty_session import run_interactive  # pty, termios, pyte: lazy

    ctx.ui.hold()  # no live line may draw over the program's screen
    ctx.ui.info("interactive session: the terminal is the program's until it exits "
                "(recorded, secrets masked)")
    if spec.hosts:
        result: HostResult = ctx.resources.ssh().interactive(spec, ctx.redactor)  # type: ignore[attr-defined]
    else:
        result = run_interactive(spec, ctx.redactor)
    ctx.ui.info(f"session ended: exit {result.exit_code} · recorded in {result.cast_path}")
    return result
