"""What a person (or the runbook's policy) decides about a step: the confirm gate and
its `on_no`, the failure decision (`on_failure`, asked when it says `ask`), the
decision after an interrupted command, and what each decision makes of the step.

One home for these rules: command steps, human steps, the walk and resume use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runbookctl.errors import InterruptedRun
from runbookctl.outcomes import (
    ABORT,
    CONTINUE,
    FAIL,
    NEXT,
    RETRY,
    RETRY_FAILED_HOSTS,
    SKIP,
    SKIPPED_AFTER_FAILURE,
    Decision,
    DecisionKind,
    Flow,
    FlowKind,
    Outcome,
    SkipKind,
    StepStatus,
    is_failure,
)
from runbookctl.runbook import model

if TYPE_CHECKING:
    from runbookctl.engine.context import StepContext
    from runbookctl.prompts.protocol import Answer
    from runbookctl.runbook.model import Step


def no_means(step: Step) -> str:
    """What a 'no' at this step's confirmation does (shown at every gate); on_no decides."""
    if step.on_no == model.ABORT:
        return "abort the run"
    if step.on_no == model.SKIP:
        return "skip this step"
    return f"go to {step.on_no}"


def on_no(ctx: StepContext) -> Outcome:
    """A 'no' at a confirmation: on_no decides (default abort)."""
    target, key = ctx.step.on_no, ctx.key
    if target == model.ABORT:
        return Outcome(StepStatus.SKIPPED, Flow(FlowKind.ABORT, reason=f"'no' at {key}"),
                       "answered no: run aborted", SkipKind.ANSWERED_NO)
    if target == model.SKIP:
        return Outcome(StepStatus.SKIPPED, NEXT, "answered no: skipped", SkipKind.ANSWERED_NO)
    return Outcome(StepStatus.SKIPPED, Flow(FlowKind.GOTO, target, "on_no"),
                   f"answered no: going to {target}", SkipKind.ANSWERED_NO)


def confirm(ctx: StepContext, question: str, *, detail: str | None = None,
            recorded: str | None = None) -> tuple[Answer, Outcome | None]:
    """The confirm gate (a confirm step, or a command's `confirm:` / `dangerous:`): ask,
    journal the answer (as `recorded`, else the question), and on a no, the step's
    outcome by `on_no`. None: the person said yes."""
    step = ctx.step
    answer = ctx.prompter.confirm(ctx.key, question, dangerous=step.dangerous,
                                  no_means=no_means(step), detail=detail)
    ctx.record_answer("confirm", recorded or question, answer)
    if answer.value is True:
        return answer, None
    ctx.ui.skip(f"no ({answer.origin})")
    return answer, on_no(ctx)


def decide_failure(ctx: StepContext, reason: str, failed_hosts: bool = False) -> Decision:
    """What to do about a failed step, from on_failure (asking when it says `ask`)."""
    policy = ctx.step.on_failure
    if policy == "continue":
        return CONTINUE
    if policy == model.ABORT:
        return FAIL
    if policy != "ask":
        return Decision.goto(policy)
    offered = [RETRY, *([RETRY_FAILED_HOSTS] if failed_hosts else []), SKIP, ABORT]
    offered += [Decision.goto(s.id) for s in ctx.rb.steps if s.id != ctx.step.id]
    # No answer in a non-interactive run: NoAnswerError stops the run (exit 2, resumable),
    # as for every other prompt — never a silent abort.
    question = f"{ctx.key} failed: {reason}"
    answer = ctx.prompter.on_failure(ctx.key, question, [str(d) for d in offered])
    ctx.record_answer("on_failure", question, answer)
    return Decision.parse(answer.value)


def decide_interrupt(ctx: StepContext, reason: str) -> Decision:
    """After a first Ctrl-C stopped a command: retry, skip or abort (asked, never assumed).

    With nobody to ask, the run stops as interrupted (resumable); `reason` says
    how the command was stopped.
    """
    if not ctx.prompter.interactive:
        from runbookctl.signals import mark_stopped

        stop = InterruptedRun(reason)
        mark_stopped(stop, reason.partition("; ")[2])  # the executor's "command stopped ..."
        raise stop
    question = f"{ctx.key} was interrupted (Ctrl-C)"
    answer = ctx.prompter.on_failure(ctx.key, question, [str(RETRY), str(SKIP), str(ABORT)])
    ctx.record_answer("on_failure", question, answer)
    return Decision.parse(answer.value)


def after_failure(decision: Decision, key: str, reason: str) -> Outcome:
    """What a decision (other than a retry) makes of a failed step, and where the walk goes."""
    kind = decision.kind
    if kind is DecisionKind.CONTINUE:
        return Outcome(StepStatus.FAILED, NEXT, reason)
    if kind is DecisionKind.SKIP:
        return Outcome(StepStatus.SKIPPED, NEXT, f"{SKIPPED_AFTER_FAILURE}{reason}",
                       SkipKind.AFTER_FAILURE)
    if kind is DecisionKind.ABORT:
        return Outcome(StepStatus.FAILED, Flow(FlowKind.ABORT, reason=f"aborted at {key}: {reason}"),
                       reason)
    if kind is DecisionKind.GOTO:
        return Outcome(StepStatus.FAILED, Flow(FlowKind.GOTO, decision.target,
                                               f"after failure: {reason}"), reason)
    return Outcome(StepStatus.FAILED, Flow(FlowKind.FAIL, reason=f"{key} failed: {reason}"), reason)


def policy_flow(step: Step, reason: str) -> Flow:
    """For errors outside the command loop (rendering): the step's policy, no retry."""
    policy = step.on_failure
    if policy == "continue":
        return NEXT
    if policy in ("ask", model.ABORT):
        return Flow(FlowKind.FAIL, reason=f"step {step.id} failed: {reason}")
    return Flow(FlowKind.GOTO, policy, f"on_failure after: {reason}")


def counts_as_failed(outcome: Outcome) -> bool:
    """A failed step the run went on past (reported as 'completed; failed steps ...'),
    also one a person skipped after it failed."""
    return is_failure(outcome.status, outcome.skip) and not outcome.flow.stops
