"""Walks a runbook's step graph: decides the next step, applies `when`, `next`,
`on_no` and `on_failure`, and publishes everything it does (engine/stream.py).

A step runner gets a StepContext (context.py), never the Engine: command execution
(retries, polling, expect, capture) lives in command_step.py, human steps (confirm,
ask, manual, message) in human_step.py, the decisions about a step in gates.py.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from runbookctl.engine import gates
from runbookctl.engine.approval import approval_gate
from runbookctl.engine.command_step import run_command_step
from runbookctl.engine.context import Resources, ResumePoint, StepContext
from runbookctl.engine.human_step import run_human_step
from runbookctl.engine.reminders import Reminders
from runbookctl.engine.stream import step_view
from runbookctl.engine.waits import Waits
from runbookctl.errors import InterruptedRun, NoAnswerError, TemplateError, UnaskableStep
from runbookctl.outcomes import (
    NEXT,
    RETRY,
    Flow,
    FlowKind,
    Outcome,
    RunStatus,
    SkipKind,
    StepStatus,
)
from runbookctl.record import events as ev
from runbookctl.runbook.includes import find_step
from runbookctl.runbook.model import END
from runbookctl.runbook.schema import STEP_KEYS
from runbookctl.safety.templating import evaluate, truthy

if TYPE_CHECKING:
    from runbookctl.engine.context import Options, RunVars, Services
    from runbookctl.prompts.protocol import Answer
    from runbookctl.runbook.model import InputSpec, Runbook, Step


class Engine:
    """Runs one runbook (and the runbooks it includes) to an end state."""

    def __init__(self, runbook: Runbook, services: Services, options: Options,
                 variables: RunVars) -> None:
        self.runbook = runbook
        self.sv = services
        self.opts = options
        self.vars = variables
        self.failed_steps: list[str] = []
        self.resources = Resources(services)
        self.resources.remind = self.remind
        self.publish = services.events.publish
        self.reminders = Reminders(runbook.reminders)  # counted from now: the run's start
        self.waits = Waits(self.reminders.started)  # `at:` counts from the same start
        # The terminal shows each step as the record has it (critical: a closed
        # terminal stops the run, resumable, as any failure to show output does).
        services.events.subscribe(step_view(services.ui), name="the terminal", critical=True)

    def close(self) -> None:
        self.resources.close()

    def context(self, rb: Runbook, step: Step, key: str) -> StepContext:
        """What the runner of `step` (of runbook `rb`, journaled as `key`) may use."""
        sv = self.sv
        return StepContext(step=step, key=key, rb=rb, vars=self.vars, opts=self.opts,
                           prompter=sv.prompter, ui=sv.ui, redactor=sv.redactor,
                           publish=self.publish, resources=self.resources, local=sv.local,
                           run_dir=sv.run_dir, template_source=sv.template_source,
                           resolve_hosts=sv.resolve_hosts)

    def locate(self, key: str) -> StepContext:
        """The context of the step `key` names (`child/step` inside an include)."""
        rb, step = find_step(self.runbook, key, self.sv.resolve_runbook)
        return self.context(rb, step, key)

    def resumed(self, failed: list[str], actor: str, **data: Any) -> None:
        """A run that goes on (engine/resume.py): the failed steps it already went on
        past count again, and the record says the run resumed."""
        self.failed_steps = list(failed)
        self.publish(ev.RUN_RESUMED, None, actor=actor, **data)

    def run(self, resume: ResumePoint | None = None) -> tuple[RunStatus, str]:
        """Walk the graph from the first (or --from, or resume) step; returns (status, reason)."""
        flow = self.walk(self.runbook, "", self.opts.from_step, resume)
        if flow.kind is FlowKind.ABORT:
            return RunStatus.ABORTED, flow.reason
        if flow.kind is FlowKind.FAIL:
            return RunStatus.FAILED, flow.reason
        if self.failed_steps:
            return (RunStatus.COMPLETED,
                    f"completed; failed steps continued past: {', '.join(self.failed_steps)}")
        return RunStatus.COMPLETED, "all steps done"

    def finish(self, status: str, reason: str) -> None:
        """Publish how the run ended (or stopped, resumable)."""
        if status == RunStatus.INTERRUPTED:
            self.publish(ev.RUN_INTERRUPTED, None, reason=reason)
        else:
            self.publish(ev.RUN_FINISHED, None, status=status, reason=reason)

    def signed(self, record: dict[str, Any]) -> None:
        """The journal's head was signed (record/signing.py): journaled after the events
        the signature covers, with who signed (the operator) and the key's fingerprint."""
        self.publish(ev.RECORD_SIGNED, None, actor=self.opts.operator, **record)

    def ask(self, key: str, kind: str, question: str, spec: InputSpec, **extra: Any) -> Answer:
        """A question outside the steps (weekly's carry-over), asked and journaled as `kind`."""
        answer = self.sv.prompter.ask(key, question, spec)
        self.publish(ev.ANSWER, key, actor=answer.actor, kind=kind, question=question,
                     value=answer.value, origin=answer.origin, note=answer.note, **extra)
        return answer

    def walk(self, rb: Runbook, prefix: str, start: str | None = None,
             resume: ResumePoint | None = None) -> Flow:
        if resume is None:
            index = rb.index(start) if start else 0
        else:  # where the run stopped, not where it began: --from STEP may be renamed since
            index, leave = self._resume_in(rb, prefix, resume)
            if leave is not None:
                where = self._follow(rb, prefix, index, leave)
                if isinstance(where, Flow):
                    return where
                index = where
        while index < len(rb.steps):
            step = rb.steps[index]
            self.remind()
            flow = self.run_step(rb, step, f"{prefix}{step.id}")
            where = self._follow(rb, prefix, index, flow)
            if isinstance(where, Flow):
                return where
            index = where
        return Flow(FlowKind.END)

    def remind(self) -> None:
        """Journal (and so show) each reminder due: asked between steps, never inside one."""
        for due in self.reminders.due():
            self.publish(ev.REMINDER, None, message=due.reminder.message,
                         every=due.reminder.every, slot=due.slot, elapsed=round(due.elapsed, 3))

    def _follow(self, rb: Runbook, prefix: str, index: int, flow: Flow) -> int | Flow:
        """Where the walk goes after step `index` left with `flow`: an index or an ending."""
        step = rb.steps[index]
        key = f"{prefix}{step.id}"
        if flow.stops:
            return flow
        if flow.kind is FlowKind.NEXT:
            flow = self._next_flow(step, key)
        if flow.kind is FlowKind.END:
            return Flow(FlowKind.END, reason=flow.reason)
        if flow.kind is FlowKind.GOTO and flow.target:
            self.publish(ev.JUMP, key, to=f"{prefix}{flow.target}", why=flow.reason)
            return rb.index(flow.target)
        return index + 1

    def _resume_in(self, rb: Runbook, prefix: str, point: ResumePoint) -> tuple[int, Flow | None]:
        """The index to resume at in `rb`, and the flow to leave it with (None: run it)."""
        head, _, rest = point.key.partition("/")
        if not rest:
            return rb.index(head), (None if point.rerun else point.leave)
        for index, step in enumerate(rb.steps):
            if step.action != "include":
                continue
            sub = self.sv.resolve_runbook(step.text)
            if sub.id != head:
                continue
            inner = self.walk(sub, f"{prefix}{sub.id}/", None,
                              ResumePoint(rest, point.rerun, point.leave))
            outcome = self._include_outcome(sub, inner)
            self.finish_step(step, f"{prefix}{step.id}", outcome, None)
            return index, outcome.flow
        raise KeyError(point.key)

    def _next_flow(self, step: Step, key: str) -> Flow:
        for branch in step.next:
            if branch.goto == END and branch.cond is None:
                return Flow(FlowKind.END, reason="next: end")
            if branch.cond is None:
                return Flow(FlowKind.GOTO, branch.goto, "next")
            result = self.vars.steps.get(key, {})
            try:
                hit = truthy(evaluate(branch.cond, self.vars.scope(result=result)))
            except TemplateError as exc:
                self.sv.ui.warn(f"next condition failed: {exc.message}")
                continue
            if hit:
                if branch.goto == END:
                    return Flow(FlowKind.END, reason=f"next: if {branch.cond}")
                return Flow(FlowKind.GOTO, branch.goto, f"next: if {branch.cond}")
        return NEXT

    def run_step(self, rb: Runbook, step: Step, key: str) -> Flow:
        if step.when is not None:
            try:
                skip_reason = self._when_skips(step)
            except TemplateError as exc:  # never a silent skip: the step fails
                return self._failed_before_start(step, key, exc.message)
            if skip_reason:
                self.publish(ev.STEP_SKIPPED, key, reason=skip_reason, title=step.label,
                             action=step.action, skip=SkipKind.WHEN)
                self.vars.record_step(step, key, status=StepStatus.SKIPPED)
                return NEXT
        started = time.monotonic()
        self.publish(ev.STEP_STARTED, key, title=step.label, action=step.action)
        try:
            self._await_time(step, key)
            outcome = self._dispatch(rb, step, key)
        except TemplateError as exc:  # rendering failed before anything ran
            outcome = Outcome(StepStatus.FAILED, gates.policy_flow(step, exc.message),
                              exc.message)
            self.sv.ui.fail(exc.message)
        except (KeyboardInterrupt, BrokenPipeError, InterruptedRun, NoAnswerError) as exc:
            self._interrupted(step, key, exc)
            raise
        self.finish_step(step, key, outcome, started)
        return outcome.flow

    def _await_time(self, step: Step, key: str) -> None:
        """A step with `at:` or `wait:` starts no earlier than its deadline (engine/waits.py),
        journaled first; the reminders due meanwhile are shown. A dry run only says so."""
        deadline = self.waits.deadline(step, key)
        if deadline is None:
            return
        if self.opts.dry_run:
            self.sv.ui.info(f"dry run: not waiting ({self.waits.describe(deadline)})")
            return
        self.publish(ev.WAITING, key, until=deadline.stamp, why=deadline.why)
        self.sv.ui.info(self.waits.describe(deadline))
        self.waits.wait(deadline, self.remind)

    def _interrupted(self, step: Step, key: str, exc: BaseException) -> None:
        """The run stops inside this step: journal how, before it stops (resume reads it)."""
        from runbookctl.signals import deferred, describe, stopped_command

        if step.action == "include":
            return  # the included step that was running has said it already
        how = stopped_command(exc)
        if isinstance(exc, NoAnswerError):
            reason = f"stopped: {exc.message}"
        elif isinstance(exc, InterruptedRun) and exc.message.startswith("interrupted by"):
            reason = exc.message  # decide_interrupt: it says how the command was stopped
        else:
            reason = f"interrupted by {describe(exc)}" + (f"; {how}" if how else "")
        with deferred():
            self.publish(ev.STEP_INTERRUPTED, key, reason=reason, command_stopped=bool(how))

    def _failed_before_start(self, step: Step, key: str, reason: str) -> Flow:
        """A step that fails before it can start (its `when` cannot be evaluated)."""
        self.publish(ev.STEP_STARTED, key, title=step.label, action=step.action)
        self.sv.ui.fail(reason)
        flow = gates.policy_flow(step, reason)
        self.finish_step(step, key, Outcome(StepStatus.FAILED, flow, reason), time.monotonic())
        return flow

    def finish_step(self, step: Step, key: str, outcome: Outcome, started: float | None) -> None:
        """Journal a step's end, with how the walk leaves it (resume reads this)."""
        self.vars.record_step(step, key, status=outcome.status)
        if gates.counts_as_failed(outcome):
            self.failed_steps.append(key)
        duration = round(time.monotonic() - started, 3) if started is not None else 0.0
        skip: dict[str, Any] = {} if outcome.skip is None else {"skip": outcome.skip}  # additive
        self.publish(ev.STEP_FINISHED, key, status=outcome.status, reason=outcome.reason,
                     duration=duration, flow=outcome.flow.record(), **skip)
        if step.milestone and outcome.status == StepStatus.OK:
            self.publish(ev.MILESTONE, key, name=step.milestone)

    def _when_skips(self, step: Step) -> str | None:
        assert step.when is not None
        try:
            value = evaluate(step.when, self.vars.scope())
        except TemplateError as exc:
            raise TemplateError(f"when: {step.when} could not be evaluated: {exc.message}") from None
        return None if truthy(value) else f"when: {step.when} is false"

    def _dispatch(self, rb: Runbook, step: Step, key: str) -> Outcome:
        if step.action == "include":
            return self._include(step, key)
        ctx = self.context(rb, step, key)
        held = approval_gate(ctx, self.sv.decision_sources)  # a second person, first
        if held is not None:
            return held
        while True:
            try:
                return run_command_step(ctx) if step.is_command else run_human_step(ctx)
            except TemplateError as exc:  # rendering failed: `ask` asks as for any failure
                if step.action not in STEP_KEYS["on_failure"].actions:  # confirm, ask
                    raise unaskable(step, key, exc) from None
                if step.on_failure != "ask":
                    raise
                self.sv.ui.fail(exc.message)
                decision = gates.decide_failure(ctx, exc.message)
                if decision != RETRY:
                    return gates.after_failure(decision, key, exc.message)

    def _include(self, step: Step, key: str) -> Outcome:
        sub = self.sv.resolve_runbook(step.text)
        prefix = key[: len(key) - len(step.id)]
        return self._include_outcome(sub, self.walk(sub, f"{prefix}{sub.id}/"))

    @staticmethod
    def _include_outcome(sub: Runbook, flow: Flow) -> Outcome:
        if flow.stops:
            return Outcome(StepStatus.FAILED, flow, flow.reason)
        return Outcome(StepStatus.OK, NEXT, f"runbook {sub.id} done")


def unaskable(step: Step, key: str, exc: TemplateError) -> UnaskableStep:
    """A confirmation or a question whose text cannot be rendered: no `on_failure` to
    follow, so the run stops there (never past a confirmation nobody saw)."""
    where = step.value_pos.get(step.action, step.at(step.action))
    return UnaskableStep(f"step '{key}' ({step.action}, {where}) cannot be asked: "
                         f"{exc.message}; fix the runbook or the value, then resume")
