"""Human steps: confirm gates, questions, manual checks and messages."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from runbookctl.engine import gates
from runbookctl.outcomes import (
    CONTINUE,
    NEXT,
    RETRY,
    SKIP,
    Flow,
    FlowKind,
    Outcome,
    SkipKind,
    StepStatus,
)
from runbookctl.prompts.protocol import MANUAL_DONE, MANUAL_SKIPPED
from runbookctl.record import events as ev
from runbookctl.runbook.model import InputSpec
from runbookctl.runbook.names import is_template_name
from runbookctl.runbook.values import coerce_value, display_value

if TYPE_CHECKING:
    from runbookctl.engine.context import StepContext

_NOT_ASKED = Outcome(StepStatus.SKIPPED, NEXT, "dry run: not asked", SkipKind.DRY_RUN)


def run_human_step(ctx: StepContext) -> Outcome:
    handler = {"confirm": _confirm, "ask": _ask, "manual": _manual, "message": _message}
    return handler[ctx.step.action](ctx)


def _confirm(ctx: StepContext) -> Outcome:
    question = ctx.shown(ctx.step.text, "question")
    if ctx.opts.dry_run:
        ctx.ui.skip(f"dry run: would ask {question!r}")
        return _NOT_ASKED
    answer, refused = gates.confirm(ctx, question)
    ctx.record(answer=bool(answer.value))
    if refused is not None:
        return refused
    ctx.ui.ok(f"yes ({answer.origin})")
    return Outcome(StepStatus.OK, NEXT, "answered yes")


def _ask(ctx: StepContext) -> Outcome:
    step = ctx.step
    question = ctx.shown(step.text, "question")
    spec = step.answer or InputSpec(name=step.var or step.id.replace("-", "_"))
    if ctx.opts.dry_run:
        ctx.vars.values[spec.name] = f"<{spec.name}>"
        ctx.ui.skip(f"dry run: would ask {question!r}")
        return _NOT_ASKED
    answer = ctx.prompter.ask(ctx.key, question, spec)
    value = coerce_value(spec, answer.value)
    extra = {"report": step.report} if step.report else {}
    ctx.record_answer("ask", question, replace(answer, value=value) if isinstance(value, list)
                      else answer, var=spec.name, **extra)
    ctx.vars.values[spec.name] = value
    ctx.record(answer=value)
    ctx.ui.ok(f"{spec.name} = {display_value(spec, value)} ({answer.origin})")
    return Outcome(StepStatus.OK, NEXT, f"{spec.name} answered")


def _manual(ctx: StepContext) -> Outcome:
    text = ctx.shown(ctx.step.text, "instruction")
    ctx.ui.block(ctx.step.label, text)
    if ctx.opts.dry_run:
        return _NOT_ASKED
    while True:
        answer = ctx.prompter.manual(ctx.key, text)
        ctx.record_answer("manual", text, answer)
        ctx.record(answer=answer.value)
        if answer.value == MANUAL_DONE:
            ctx.ui.ok(f"done ({answer.origin})")
            return Outcome(StepStatus.OK, NEXT, "done")
        if answer.value == MANUAL_SKIPPED:
            ctx.ui.skip(f"skipped: {answer.note}")
            return Outcome(StepStatus.SKIPPED, NEXT, f"skipped: {answer.note}", SkipKind.BY_PERSON)
        reason = f"marked failed: {answer.note or 'no note'}"
        ctx.ui.fail(reason)
        decision = gates.decide_failure(ctx, reason)
        if decision == SKIP:  # moving past a failed check does not make it skipped
            decision = CONTINUE
        if decision != RETRY:
            return gates.after_failure(decision, ctx.key, reason)


def _message(ctx: StepContext) -> Outcome:
    source = ctx.step.text
    if is_template_name(source):
        found = ctx.template_source(source.strip())
        if found is None:
            return Outcome(StepStatus.FAILED, Flow(FlowKind.FAIL, reason=f"template {source} not found"),
                           "template not found")
        source = found
    text = ctx.shown(source, "message")
    ctx.ui.block(ctx.step.label, text)
    post: dict[str, Any] = {} if ctx.step.post is None else {"post": ctx.step.post}  # notify.py
    ctx.publish(ev.MESSAGE, ctx.key, text=text, template=ctx.step.text.strip()
                if is_template_name(ctx.step.text) else None, **post)
    ctx.record(answer=text)
    return Outcome(StepStatus.OK, NEXT, "shown and recorded")
