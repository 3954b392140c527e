"""Walks a runbook's step graph: decides the next step, applies `when`,
`next`, `on_no` and `on_failure`, and journals everything it does.

Command execution (retries, polling, expect, capture) lives in cmdstep.py;
human steps (confirm, ask, manual, message) in human.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.errors import InterruptedRun, NoAnswerError, TemplateError
from runbookctl.record import events as ev
from runbookctl.runbook.model import ABORT, END, SKIP, Runbook, Step
from runbookctl.safety.templating import evaluate, truthy

if TYPE_CHECKING:
    from runbookctl.engine.display import Display as UI
    from runbookctl.executors.base import Executor
    from runbookctl.prompts.protocol import Prompter
    from runbookctl.record.events import Recorder
    from runbookctl.safety.masking import Redactor

# Step statuses as journaled and reported.
OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"
DRY_RUN = "dry-run"

# Run statuses (docs/record.md, section 3).
COMPLETED = "completed"
RUN_FAILED = "failed"
ABORTED = "aborted"
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Flow:
    """Where the walk goes after a step: next in order, a jump, the end, or a stop."""

    kind: str  # next | goto | end | abort | fail
    target: str | None = None
    reason: str = ""


NEXT = Flow("next")


def flow_record(flow: Flow) -> dict[str, str | None]:
    return {"kind": flow.kind, "target": flow.target, "reason": flow.reason}


def flow_from_record(data: object) -> Flow:
    if not isinstance(data, dict):
        return NEXT
    return Flow(str(data.get("kind") or "next"), data.get("target"), str(data.get("reason") or ""))


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed run picks up: run step `key` again, or leave it with `leave`.

    `key` is relative to the root runbook: `kill`, or `child/write` inside an include.
    """

    key: str
    rerun: bool
    leave: Flow = NEXT


@dataclass
class Options:
    """Run options that change how steps behave."""

    dry_run: bool = False
    from_step: str | None = None
    default_timeout: float = 600.0
    operator: str = "unknown"


@dataclass
class Services:
    """Everything a run talks to; passed in so tests can use fakes."""

    prompter: Prompter
    recorder: Recorder
    redactor: Redactor
    ui: UI
    local: Executor
    ssh: Callable[[], Executor] | None
    run_dir: Path
    resolve_runbook: Callable[[str], Runbook]
    template_source: Callable[[str], str | None]
    resolve_hosts: Callable[[Step, Runbook], list[str]] | None = None


@dataclass
class RunVars:
    """The names templates see; `steps` holds each step's outcome."""

    values: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)

    def scope(self, **extra: Any) -> dict[str, Any]:
        return {**self.values, "steps": self.steps, "run": self.run, **extra}

    def record_step(self, step: Step, key: str, **outcome: Any) -> None:
        view = self.steps.setdefault(key, {"status": None, "exit_code": None, "stdout": "",
                                           "stderr": "", "answer": None, "hosts": {}})
        view.update(outcome)
        self.steps[step.id] = view
        self.steps[step.id.replace("-", "_")] = view


class Engine:
    """Runs one runbook (and the runbooks it includes) to an end state."""

    def __init__(self, runbook: Runbook, services: Services, options: Options,
                 variables: RunVars) -> None:
        self.runbook = runbook
        self.sv = services
        self.opts = options
        self.vars = variables
        self.failed_steps: list[str] = []
        self.current_rb = runbook
        self.log_seq = 0
        self._ssh: Executor | None = None
        self._sudo: str | None = None

    def ssh_executor(self) -> Executor:
        """The run's one SSH executor (one connection per host, reused across steps)."""
        if self._ssh is None:
            if self.sv.ssh is None:
                raise RuntimeError("no SSH executor configured")
            self._ssh = self.sv.ssh()
        return self._ssh

    def sudo_password(self, key: str) -> str | None:
        """The sudo password, asked once per run (hidden, masked, never journaled).

        Empty means passwordless sudo; a non-interactive run without one uses `sudo -n`.
        """
        if self._sudo is None:
            if not self.sv.prompter.interactive:
                return None
            self._sudo = self.sv.prompter.secret(key, "sudo password for the remote hosts "
                                                      "(empty for passwordless sudo)")
            if self._sudo:
                self.sv.redactor.add(self._sudo, "sudo")
        return self._sudo or None

    def close(self) -> None:
        if self._ssh is not None:
            self._ssh.close()

    def run(self, resume: ResumePoint | None = None) -> tuple[str, str]:
        """Walk the graph from the first (or --from, or resume) step; returns (status, reason)."""
        flow = self.walk(self.runbook, "", self.opts.from_step, resume)
        if flow.kind == "abort":
            return ABORTED, flow.reason
        if flow.kind == "fail":
            return RUN_FAILED, flow.reason
        if self.failed_steps:
            return COMPLETED, f"completed; failed steps continued past: {', '.join(self.failed_steps)}"
        return COMPLETED, "all steps done"

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
            flow = self.run_step(rb, step, f"{prefix}{step.id}")
            where = self._follow(rb, prefix, index, flow)
            if isinstance(where, Flow):
                return where
            index = where
        return Flow("end")

    def _follow(self, rb: Runbook, prefix: str, index: int, flow: Flow) -> int | Flow:
        """Where the walk goes after step `index` left with `flow`: an index or an ending."""
        step = rb.steps[index]
        key = f"{prefix}{step.id}"
        if flow.kind in ("abort", "fail"):
            return flow
        if flow.kind == "next":
            flow = self._next_flow(step, key)
        if flow.kind == "end":
            return Flow("end", reason=flow.reason)
        if flow.kind == "goto" and flow.target:
            self.sv.recorder.event(ev.JUMP, key, to=f"{prefix}{flow.target}", why=flow.reason)
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
            key = f"{prefix}{step.id}"
            inner = self.walk(sub, f"{prefix}{sub.id}/", None,
                              ResumePoint(rest, point.rerun, point.leave))
            self.current_rb = rb
            status, flow, reason = self._include_outcome(sub, inner)
            self._finish_step(step, key, status, flow, reason, None)
            return index, flow
        raise KeyError(point.key)

    def _next_flow(self, step: Step, key: str) -> Flow:
        for branch in step.next:
            if branch.goto == END and branch.cond is None:
                return Flow("end", reason="next: end")
            if branch.cond is None:
                return Flow("goto", branch.goto, "next")
            result = self.vars.steps.get(key, {})
            try:
                hit = truthy(evaluate(branch.cond, self.vars.scope(result=result)))
            except TemplateError as exc:
                self.sv.ui.warn(f"next condition failed: {exc.message}")
                continue
            if hit:
                if branch.goto == END:
                    return Flow("end", reason=f"next: if {branch.cond}")
                return Flow("goto", branch.goto, f"next: if {branch.cond}")
        return NEXT

    def run_step(self, rb: Runbook, step: Step, key: str) -> Flow:
        ui, rec = self.sv.ui, self.sv.recorder
        self.current_rb = rb
        ui.step(key, step.label, step.action)
        if step.when is not None:
            try:
                skip_reason = self._when_skips(step)
            except TemplateError as exc:  # never a silent skip: the step fails
                return self._failed_before_start(step, key, exc.message)
            if skip_reason:
                rec.event(ev.STEP_SKIPPED, key, reason=skip_reason, title=step.label,
                          action=step.action)
                self.vars.record_step(step, key, status=SKIPPED)
                ui.skip(skip_reason)
                return NEXT
        started = time.monotonic()
        rec.event(ev.STEP_STARTED, key, title=step.label, action=step.action)
        try:
            status, flow, reason = self._dispatch(rb, step, key)
        except TemplateError as exc:  # rendering failed before anything ran
            status, flow, reason = FAILED, self._failure_policy_flow(step, exc.message), exc.message
            ui.fail(exc.message)
        except (KeyboardInterrupt, BrokenPipeError, InterruptedRun, NoAnswerError) as exc:
            self._interrupted(step, key, exc)
            raise
        self._finish_step(step, key, status, flow, reason, started)
        return flow

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
            self.sv.recorder.event(ev.STEP_INTERRUPTED, key, reason=reason,
                                   command_stopped=bool(how))

    def _failed_before_start(self, step: Step, key: str, reason: str) -> Flow:
        """A step that fails before it can start (its `when` cannot be evaluated)."""
        self.sv.recorder.event(ev.STEP_STARTED, key, title=step.label, action=step.action)
        self.sv.ui.fail(reason)
        flow = self._failure_policy_flow(step, reason)
        self._finish_step(step, key, FAILED, flow, reason, time.monotonic())
        return flow

    def _finish_step(self, step: Step, key: str, status: str, flow: Flow, reason: str,
                     started: float | None) -> None:
        """Journal a step's end, with how the walk leaves it (resume reads this)."""
        self.vars.record_step(step, key, status=status)
        if status == FAILED and flow.kind in ("next", "goto", "end"):
            self.failed_steps.append(key)
        duration = round(time.monotonic() - started, 3) if started is not None else 0.0
        self.sv.recorder.event(ev.STEP_FINISHED, key, status=status, reason=reason,
                               duration=duration, flow=flow_record(flow))

    def _when_skips(self, step: Step) -> str | None:
        assert step.when is not None
        try:
            value = evaluate(step.when, self.vars.scope())
        except TemplateError as exc:
            raise TemplateError(f"when: {step.when} could not be evaluated: {exc.message}") from None
        return None if truthy(value) else f"when: {step.when} is false"

    def _failure_policy_flow(self, step: Step, reason: str) -> Flow:
        """For errors outside the command loop (rendering): the step's policy, no retry."""
        policy = step.on_failure
        if policy == "continue":
            return NEXT
        if policy in ("ask", ABORT):
            return Flow("fail", reason=f"step {step.id} failed: {reason}")
        return Flow("goto", policy, f"on_failure after: {reason}")

    def _dispatch(self, rb: Runbook, step: Step, key: str) -> tuple[str, Flow, str]:
        from runbookctl.engine import command_step as cmdstep
        from runbookctl.engine import human_step as human

        if step.is_command:
            return cmdstep.run_command_step(self, rb, step, key)
        if step.action == "include":
            return self._include(step, key)
        return human.run_human_step(self, step, key)

    def _include(self, step: Step, key: str) -> tuple[str, Flow, str]:
        parent = self.current_rb
        sub = self.sv.resolve_runbook(step.text)
        prefix = key[: len(key) - len(step.id)]
        flow = self.walk(sub, f"{prefix}{sub.id}/")
        self.current_rb = parent
        return self._include_outcome(sub, flow)

    @staticmethod
    def _include_outcome(sub: Runbook, flow: Flow) -> tuple[str, Flow, str]:
        if flow.kind in ("abort", "fail"):
            return FAILED, flow, flow.reason
        return OK, NEXT, f"runbook {sub.id} done"

    @staticmethod
    def no_means(step: Step) -> str:
        """What a 'no' at this step's confirmation does (shown at every gate); on_no decides."""
        if step.on_no == ABORT:
            return "abort the run"
        if step.on_no == SKIP:
            return "skip this step"
        return f"go to {step.on_no}"

    def on_no(self, step: Step, key: str) -> tuple[str, Flow, str]:
        """A 'no' at a confirmation: on_no decides (default abort)."""
        target = step.on_no
        if target == ABORT:
            return SKIPPED, Flow("abort", reason=f"'no' at {key}"), "answered no: run aborted"
        if target == SKIP:
            return SKIPPED, NEXT, "answered no: skipped"
        return SKIPPED, Flow("goto", target, "on_no"), f"answered no: going to {target}"


    def decide_failure(self, rb: Runbook, step: Step, key: str, reason: str,
                       failed_hosts: bool = False) -> str:
        """What to do about a failed step: retry, retry-failed-hosts, skip, abort,
        continue, fail or goto:<id>, from on_failure (asking when it says `ask`)."""
        policy = step.on_failure
        if policy == "continue":
            return "continue"
        if policy == ABORT:
            return "fail"
        if policy != "ask":
            return f"goto:{policy}"
        choices = ["retry", *(["retry-failed-hosts"] if failed_hosts else []), "skip", "abort"]
        choices += [f"goto:{s.id}" for s in rb.steps if s.id != step.id]
        # No answer in a non-interactive run: NoAnswerError stops the run (exit 2, resumable),
        # as for every other prompt — never a silent abort.
        answer = self.sv.prompter.on_failure(key, f"{key} failed: {reason}", choices)
        self.record_answer(key, "on_failure", f"{key} failed: {reason}", answer)
        return str(answer.value)

    def decide_interrupt(self, key: str, reason: str) -> str:
        """After a first Ctrl-C stopped a command: retry, skip or abort (asked, never assumed).

        With nobody to ask, the run stops as interrupted (resumable); `reason` says
        how the command was stopped.
        """
        if not self.sv.prompter.interactive:
            from runbookctl.signals import mark_stopped

            stop = InterruptedRun(reason)
            mark_stopped(stop, reason.partition("; ")[2])  # the executor's "command stopped ..."
            raise stop
        question = f"{key} was interrupted (Ctrl-C)"
        answer = self.sv.prompter.on_failure(key, question, ["retry", "skip", "abort"])
        self.record_answer(key, "on_failure", question, answer)
        return str(answer.value)

    def record_answer(self, key: str, kind: str, question: str, answer: Any, **extra: Any) -> None:
        """Journal an answer with its origin and who gave it."""
        self.sv.recorder.event(ev.ANSWER, key, actor=answer.actor, kind=kind, question=question,
                               value=answer.value, origin=answer.origin, note=answer.note, **extra)
