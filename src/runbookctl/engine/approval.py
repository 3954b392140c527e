"""The two-person rule at run time: a step that needs approval (`approval: required`,
or config `approvals: dangerous` for a dangerous step) journals `approval_requested`,
tells the operator who may approve and how, and waits for the decision.

The decision arrives from outside the run: `runbookctl approve`/`reject` or the web
app append it to the run's journal (record/approvals.py:decide), or a decision source
(record/approvals.py:DecisionSource, e.g. a shared store) reports one made on another
machine, which the engine then journals itself. The wait polls the journal's new
bytes a few times a second (a sleep between looks, never a busy loop); Ctrl-C or
SIGTERM stops it like any prompt — the run stays resumable, and a resumed run goes
back to the same request: a decision taken while it was down counts, and the timeout
counts from the request.

Approve: the step goes on (its own confirmation still applies). Reject: the step's
`on_no` (as a 'no' at its confirmation). No decision within the timeout:
`approval_timed_out`, then `on_approval_timeout` (abort, skip or a step to escalate to).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.durations import format_elapsed, format_seconds
from runbookctl.engine import gates
from runbookctl.errors import UsageError
from runbookctl.outcomes import NEXT, Flow, FlowKind, Outcome, StepStatus
from runbookctl.record import events as ev
from runbookctl.record.approvals import (
    APPROVE,
    Decided,
    DecisionSource,
    check_decision,
    current_request,
    decided_of,
)
from runbookctl.record.journal import Event, read_journal
from runbookctl.runbook.config import DANGEROUS
from runbookctl.runbook.model import ABORT, SKIP

if TYPE_CHECKING:
    from runbookctl.engine.context import StepContext
    from runbookctl.runbook.model import Step

# Seconds between two looks for a decision: a person's click is seen within it.
POLL = 0.25


def needs_approval(step: Step, approvals: str) -> bool:
    return step.approval or (approvals == DANGEROUS and step.dangerous)


def approval_gate(ctx: StepContext, sources: Sequence[DecisionSource] = ()) -> Outcome | None:
    """Wait for a second person when the step needs one. None: approved (or a dry
    run), the step goes on; else its outcome (rejected, timed out)."""
    if not needs_approval(ctx.step, ctx.opts.approvals):
        return None
    if ctx.opts.dry_run:
        ctx.ui.info(f"dry run: {ctx.key} would wait here for a second person's approval "
                    f"(anyone but {ctx.opts.operator})")
        return None
    path = ctx.run_dir / "journal.jsonl"
    request, resolution = current_request(read_journal(path).events, ctx.key)
    if request is None:
        request = _request(ctx)
    _show_waiting(ctx, request)
    if resolution is None:
        resolution = Waiter(ctx, request, path, sources).wait()
    return _outcome(ctx, resolution, request)


def timeout_of(ctx: StepContext) -> float | None:
    return ctx.step.approval_timeout or ctx.rb.approval_timeout


def _request(ctx: StepContext) -> Event:
    step = ctx.step
    why = "approval: required" if step.approval else "approvals: dangerous"
    return ctx.publish(ev.APPROVAL_REQUESTED, ctx.key, operator=ctx.opts.operator, reason=why,
                       timeout=timeout_of(ctx), on_timeout=step.on_approval_timeout,
                       url=ctx.opts.run_url)


def _show_waiting(ctx: StepContext, request: Event) -> None:
    run_id, key, ui = ctx.vars.run.get("id", "RUN_ID"), ctx.key, ctx.ui
    ui.hold()
    ui.warn(f"waiting for approval of {key}: anyone but {ctx.opts.operator} may approve it")
    ui.info(f"  on the web: {ctx.opts.run_url}")
    ui.info(f"  or from a terminal: runbookctl approve {run_id} {key} --as NAME")
    ui.info(f"                      runbookctl reject {run_id} {key} --as NAME --reason TEXT")
    limit = timeout_of(ctx)
    if limit is not None:
        ui.info(f"  no decision within {format_seconds(limit)} (from {request.ts}): "
                f"{_then_text(ctx.step.on_approval_timeout)}")
    ui.info("  Ctrl-C stops the run; `runbookctl resume` waits again")


def _then_text(target: str) -> str:
    if target == ABORT:
        return "the run aborts"
    return "the step is skipped" if target == SKIP else f"the run goes to {target}"


def _outcome(ctx: StepContext, resolution: Event, request: Event) -> Outcome | None:
    waited = format_elapsed(_seconds_between(request.ts, resolution.ts))
    if resolution.type == ev.APPROVAL_TIMED_OUT:
        ctx.ui.fail(f"no approval after {waited}: {_then_text(ctx.step.on_approval_timeout)}")
        return _timed_out(ctx, waited)
    decided = decided_of(resolution)
    if decided.decision == APPROVE:
        ctx.ui.ok(f"approved by {decided.by} ({decided.via}) after {waited}")
        return None
    ctx.ui.fail(f"rejected by {decided.by} ({decided.via}): {decided.reason}")
    return _rejected(ctx, decided)


def _rejected(ctx: StepContext, decided: Decided) -> Outcome:
    """A rejection is a 'no' at the step: its on_no decides (gates.on_no)."""
    outcome = gates.on_no(ctx)
    why = f"rejected by {decided.by}: {decided.reason}"
    flow = outcome.flow
    if flow.kind is FlowKind.ABORT:
        flow = replace(flow, reason=f"{ctx.key} {why}")
    done = {FlowKind.ABORT: "run aborted", FlowKind.GOTO: f"going to {flow.target}"}
    return replace(outcome, flow=flow, reason=f"{why}: {done.get(flow.kind, 'skipped')}")


def _timed_out(ctx: StepContext, waited: str) -> Outcome:
    target = ctx.step.on_approval_timeout
    why = f"no approval after {waited}"
    if target == ABORT:
        return Outcome(StepStatus.SKIPPED, Flow(FlowKind.ABORT, reason=f"{ctx.key}: {why}"),
                       f"{why}: run aborted")
    if target == SKIP:
        return Outcome(StepStatus.SKIPPED, NEXT, f"{why}: skipped")
    return Outcome(StepStatus.SKIPPED, Flow(FlowKind.GOTO, target, "approval timed out"),
                   f"{why}: escalated to {target}")


class _Settled(Exception):
    """A decision reached the journal first: the engine's own write is withdrawn."""


class Waiter:
    """Waits for a decision on one request: the journal's new lines, then each source."""

    def __init__(self, ctx: StepContext, request: Event, path: Path,
                 sources: Sequence[DecisionSource]) -> None:
        self.ctx, self.request, self.path, self.sources = ctx, request, path, sources
        # The first look reads the whole journal: a decision may have landed between the
        # request and this wait (then it is found, not skipped); later looks read what is new.
        self._offset = 0
        self._pending = b""
        limit = timeout_of(ctx)
        # Counted from the request (also across a resume), in wall-clock time.
        self.deadline = None if limit is None else _epoch(request.ts) + limit

    def wait(self) -> Event:
        while True:
            found = self._journaled() or self._from_sources() or self._if_timed_out()
            if found is not None:
                return found
            remaining = POLL if self.deadline is None else self.deadline - time.time()
            time.sleep(max(min(POLL, remaining), 0.01))
            self.ctx.resources.remind()  # "post a status update" matters most while waiting

    def _journaled(self) -> Event | None:
        """A decision another process appended since the last look."""
        with open(self.path, "rb") as journal:
            journal.seek(self._offset)
            added = journal.read()
        self._offset += len(added)
        lines = (self._pending + added).split(b"\n")
        self._pending = lines.pop()  # an unfinished line: read again at the next look
        for line in lines:
            try:
                event = Event.from_dict(json.loads(line))
            except ValueError:
                continue
            if event.type in (ev.APPROVAL_DECIDED, ev.APPROVAL_TIMED_OUT) and \
                    event.step == self.ctx.key and event.seq > self.request.seq:
                return event
        return None

    def _from_sources(self) -> Event | None:
        run_id = str(self.ctx.vars.run.get("id", ""))
        for source in self.sources:
            decided = source.poll(run_id, self.ctx.key)
            if decided is None or decided.journaled:
                continue
            try:
                return self._write(ev.APPROVAL_DECIDED, decided.by, decision=decided.decision,
                                   by=decided.by, reason=decided.reason, via=decided.via)
            except UsageError as exc:  # e.g. the operator approving through the store
                self.ctx.ui.warn(f"a decision from elsewhere was ignored: {exc.message}")
        return None

    def _if_timed_out(self) -> Event | None:
        if self.deadline is None or time.time() < self.deadline:
            return None
        return self._write(ev.APPROVAL_TIMED_OUT, ev.SYSTEM, timeout=timeout_of(self.ctx),
                           then=self.ctx.step.on_approval_timeout)

    def _write(self, type_: str, actor: str, **data: Any) -> Event | None:
        """Journal the engine's own resolution, unless a decision got there first (None:
        the next look at the journal finds it)."""

        def guard() -> None:
            events = read_journal(self.path).events
            if current_request(events, self.ctx.key)[1] is not None:
                raise _Settled
            if type_ == ev.APPROVAL_DECIDED:
                check_decision(events, self.ctx.key, actor)  # never the operator's own

        try:
            return self.ctx.publish(type_, self.ctx.key, actor=actor, guard=guard, **data)
        except _Settled:
            return None


def _epoch(ts: str) -> float:
    from datetime import UTC, datetime

    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def _seconds_between(a: str, b: str) -> float:
    return max(_epoch(b) - _epoch(a), 0.0)
