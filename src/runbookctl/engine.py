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

from runbookctl import recorder as ev
from runbookctl.errors import NoAnswerError
from runbookctl.model import ABORT, END, SKIP, Runbook, Step
from runbookctl.templating import TemplateError, evaluate, truthy

if TYPE_CHECKING:
    from runbookctl.executors.base import Executor
    from runbookctl.prompts_base import Prompter
    from runbookctl.recorder import Recorder
    from runbookctl.redact import Redactor
    from runbookctl.ui import UI

# Step statuses as journaled and reported.
OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"
DRY_RUN = "dry-run"

# Run statuses (SPEC §5).
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

    def ssh_executor(self) -> Executor:
        """The run's one SSH executor (one connection per host, reused across steps)."""
        if self._ssh is None:
            if self.sv.ssh is None:
                raise RuntimeError("no SSH executor configured")
            self._ssh = self.sv.ssh()
        return self._ssh

    def close(self) -> None:
        if self._ssh is not None:
            self._ssh.close()

    def run(self) -> tuple[str, str]:
        """Walk the graph from the first (or --from) step; returns (status, reason)."""
        start = self.opts.from_step
        flow = self.walk(self.runbook, "", start)
        if flow.kind == "abort":
            return ABORTED, flow.reason
        if flow.kind == "fail":
            return RUN_FAILED, flow.reason
        if self.failed_steps:
            return COMPLETED, f"completed; failed steps continued past: {', '.join(self.failed_steps)}"
        return COMPLETED, "all steps done"

    def walk(self, rb: Runbook, prefix: str, start: str | None = None) -> Flow:
        index = rb.index(start) if start else 0
        while index < len(rb.steps):
            step = rb.steps[index]
            key = f"{prefix}{step.id}"
            flow = self.run_step(rb, step, key)
            if flow.kind in ("abort", "fail", "end"):
                return flow if flow.kind != "end" else Flow("end")
            if flow.kind == "next":
                flow = self._next_flow(step, key)
            if flow.kind == "end":
                return flow
            if flow.kind == "goto" and flow.target:
                self.sv.recorder.event(ev.JUMP, key, to=f"{prefix}{flow.target}", why=flow.reason)
                index = rb.index(flow.target)
                continue
            index += 1
        return Flow("end")

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
            skip_reason = self._when_skips(step)
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
        except NoAnswerError:
            raise
        except TemplateError as exc:
            status, flow, reason = FAILED, self._failure_policy_flow(step, exc.message), exc.message
            ui.fail(exc.message)
        self.vars.record_step(step, key, status=status)
        if status == FAILED and flow.kind in ("next", "goto", "end"):
            self.failed_steps.append(key)
        rec.event(ev.STEP_FINISHED, key, status=status, reason=reason,
                  duration=round(time.monotonic() - started, 3))
        return flow

    def _when_skips(self, step: Step) -> str | None:
        assert step.when is not None
        try:
            value = evaluate(step.when, self.vars.scope())
        except TemplateError as exc:
            return f"when: {step.when} could not be evaluated ({exc.message})"
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
        from runbookctl import cmdstep, human

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
        if flow.kind in ("abort", "fail"):
            return FAILED, flow, flow.reason
        return OK, NEXT, f"runbook {sub.id} done"

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
        from runbookctl.prompts_base import FAIL_ABORT

        policy = step.on_failure
        if policy == "continue":
            return "continue"
        if policy == ABORT:
            return "fail"
        if policy != "ask":
            return f"goto:{policy}"
        choices = ["retry", *(["retry-failed-hosts"] if failed_hosts else []), "skip", "abort"]
        choices += [f"goto:{s.id}" for s in rb.steps if s.id != step.id]
        try:
            answer = self.sv.prompter.on_failure(key, f"{key} failed: {reason}", choices)
        except NoAnswerError:
            self.sv.recorder.event(ev.ANSWER, key, kind="on_failure", value=FAIL_ABORT,
                                   origin="non-interactive", actor=ev.SYSTEM,
                                   question="step failed",
                                   note="no answer in a non-interactive run: aborting")
            return "abort"
        self.record_answer(key, "on_failure", f"{key} failed: {reason}", answer)
        return str(answer.value)

    def record_answer(self, key: str, kind: str, question: str, answer: Any) -> None:
        """Journal an answer with its origin and who gave it."""
        self.sv.recorder.event(ev.ANSWER, key, actor=answer.actor, kind=kind, question=question,
                               value=answer.value, origin=answer.origin, note=answer.note)
