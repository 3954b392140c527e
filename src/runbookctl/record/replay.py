"""Replays a journal into a RunState: what the report renders and resume reads.

One handler per event type folds it into the state (record/run_state.py);
record/event_data.py checks each event's data first.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from runbookctl.durations import format_elapsed
from runbookctl.outcomes import RunStatus, StepStatus
from runbookctl.record import events as ev
from runbookctl.record.event_data import EventDataError, check_data

# Re-exported (`as`): what replay() returns may be imported with it.
from runbookctl.record.run_state import RunState as RunState
from runbookctl.record.run_state import StepRecord as StepRecord
from runbookctl.record.run_state import seconds_between
from runbookctl.runbook.values import answer_text

if TYPE_CHECKING:
    from runbookctl.record.journal import Event


def replay(events: list[Event]) -> RunState:
    """Fold journal events into a RunState; EventDataError names a wrongly typed event."""
    state = RunState()
    for index, event in enumerate(events):
        try:
            check_data(event)
            _apply(state, event)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            raise EventDataError(index, f"{event.type} event: {exc}") from None
        state.head_hash = event.hash
        state.events += 1
        if event.type != ev.NOTE:  # a note added later is not the run running longer
            state.last_ts = max(state.last_ts, event.ts)
    _note_unfinished(state)
    return state


def _note_unfinished(state: RunState) -> None:
    """Give a timeline row to each step whose visit has no end event: the run
    stopped (crash, kill, power) while it ran. Placed at the visit's start."""
    for rec in state.steps.values():
        if rec.open_since is None:
            continue
        cmd = rec.commands[-1] if rec.command_in_visit and rec.commands else None
        if cmd is not None and "finished" not in cmd:
            what = "no end recorded: its command started, outcome unknown"
        else:
            what = "no end recorded: the run stopped during this step"
        row = {"ts": rec.open_since, "step": rec.key, "what": what, "who": ""}
        at = bisect.bisect_right([t["ts"] for t in state.timeline], rec.open_since)
        state.timeline.insert(at, row)
        rec.open_since = None


def _step(state: RunState, event: Event) -> StepRecord:
    key = event.step or "?"
    rec = state.steps.get(key)
    if rec is None:
        rec = StepRecord(key, str(event.data.get("title", key)), str(event.data.get("action", "")))
        state.steps[key] = rec
    return rec


def _apply(state: RunState, event: Event) -> None:
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(state, event)


def _run_started(state: RunState, e: Event) -> None:
    d = e.data
    state.run_id = str(d.get("run_id", ""))
    state.runbook = str(d.get("runbook", ""))
    state.title = str(d.get("title", ""))
    state.severity = d.get("severity")
    state.operator = e.actor
    state.incident = d.get("incident")
    state.started = e.ts
    state.session_since = e.ts
    state.meta = dict(d)
    _timeline(state, e, f"run started ({d.get('runbook')})")


def _run_resumed(state: RunState, e: Event) -> None:
    _note_unfinished(state)  # where the previous session stopped
    _end_session(state, state.last_ts)  # open only if it stopped with no end event
    state.session_since = e.ts
    state.status = RunStatus.RUNNING
    state.finished = None
    _timeline(state, e, f"run resumed: {e.data.get('note', '')}".strip())


def _run_finished(state: RunState, e: Event) -> None:
    state.status = str(e.data.get("status", ""))
    state.reason = str(e.data.get("reason", ""))
    state.finished = e.ts
    _end_session(state, e.ts)
    _timeline(state, e, f"run {state.status}: {state.reason}")


def _step_started(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.status, rec.reason = StepStatus.RUNNING, ""
    rec.started = rec.started or e.ts
    rec.visits += 1
    rec.command_in_visit = False
    rec.interrupted = None
    rec.open_since = e.ts
    if state.path:
        prev = state.path[-1][0]
        if not state.edges or state.edges[-1][1] != e.step:
            state.edges.append((prev, e.step or "?", ""))
    state.path.append((e.step or "?", StepStatus.RUNNING))


def _step_skipped(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.status, rec.reason = StepStatus.SKIPPED, str(e.data.get("reason", ""))
    rec.skip = e.data.get("skip")
    rec.open_since = None
    rec.visits += 1
    if state.path:
        state.edges.append((state.path[-1][0], e.step or "?", ""))
    state.path.append((e.step or "?", StepStatus.SKIPPED))
    _timeline(state, e, f"skipped: {rec.reason}")


def _step_finished(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.status = str(e.data.get("status", ""))
    rec.reason = str(e.data.get("reason", ""))
    rec.skip = e.data.get("skip")
    rec.finished = e.ts
    rec.open_since = None
    rec.leave = e.data.get("flow")
    rec.duration += float(e.data.get("duration", 0.0) or 0.0)
    _mark_path(state, e.step, rec.status)
    plain = rec.reason in ("", "ok", rec.status)
    _timeline(state, e, rec.status if plain else f"{rec.status}: {rec.reason}")


def _command_started(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.commands.append({**e.data, "started": e.ts, "results": [], "ok": None})
    rec.command_in_visit = True


def _mark_path(state: RunState, key: str | None, status: str) -> None:
    """The status of the latest visit of `key` on the path taken."""
    for i in range(len(state.path) - 1, -1, -1):
        if state.path[i][0] == key:
            state.path[i] = (state.path[i][0], status)
            break


def _command_process(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    if rec.commands:
        rec.commands[-1]["process"] = {"pgid": e.data.get("pgid"), "start": e.data.get("start")}


def _command_finished(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    if not rec.commands:  # its start is not in the record: what the end says, and "?"
        rec.commands.append({"command": "?", "hosts": [], "attempt": e.data.get("attempt", 1),
                             "timeout": None, "log": "", "started": e.ts})
    cmd = rec.commands[-1]
    cmd.update(results=e.data.get("hosts", []), ok=e.data.get("ok"), reason=e.data.get("reason"),
               finished=e.ts, again=e.data.get("again") is True)
    if not cmd["ok"]:  # a passing command shows in its step's row; failures and retries here
        hosts = [h for h in cmd["results"] if isinstance(h, dict)]
        if hosts and all(h.get("interrupted") for h in hosts):
            _timeline(state, e, f"command {cmd.get('reason')}")
            return
        codes = _endings([(str(h.get("host")), _ending(h)) for h in hosts])
        _timeline(state, e, f"command failed: {cmd.get('reason')}" + (f" ({codes})" if codes else ""))


def _endings(pairs: list[tuple[str, str]]) -> str:
    """`web1: exit 0, web2: exit 1`; on many hosts each ending once, its hosts folded."""
    from runbookctl.hostsets import group_by, grouped

    if grouped(len(pairs)):
        return ", ".join(f"{group.folded}: {group.key}" for group in group_by(pairs))
    return ", ".join(f"{host}: {ending}" for host, ending in pairs)


def _ending(host: dict[str, Any]) -> str:
    """`exit 1`, or why there is no exit code (never a bare None)."""
    code = host.get("exit_code")
    if code is not None:
        return f"exit {code}"
    if host.get("timed_out"):
        return "timed out"
    return "interrupted" if host.get("interrupted") else "no exit code"


def _step_interrupted(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.status, rec.reason = StepStatus.INTERRUPTED, str(e.data.get("reason", ""))
    rec.open_since = None
    rec.interrupted = dict(e.data)
    _mark_path(state, e.step, rec.status)
    _timeline(state, e, rec.reason)


def _answer(state: RunState, e: Event) -> None:
    record = {**e.data, "step": e.step, "actor": e.actor, "ts": e.ts}
    if e.data.get("kind") == "carry-over":  # about last run's step, not one of this run
        state.carry_over.append(record)
        state.answers.append(record)
        _timeline(state, e, f"carried over: {e.data.get('value')} ({e.data.get('origin')})")
        return
    rec = _step(state, e)
    rec.answers.append(record)
    state.answers.append(record)
    shown = answer_text(e.data.get("value"))
    _timeline(state, e, f"{e.data.get('kind')}: {shown} ({e.data.get('origin')})")
    state.timeline[-1]["question"] = str(e.data.get("question") or "")


def _message(state: RunState, e: Event) -> None:
    _step(state, e).messages.append(str(e.data.get("text", "")))
    _timeline(state, e, "message recorded")


def _captured(state: RunState, e: Event) -> None:
    _step(state, e).captures[str(e.data.get("name"))] = str(e.data.get("value", ""))


def _jump(state: RunState, e: Event) -> None:
    to = str(e.data.get("to", ""))
    state.edges.append((e.step or "?", to, str(e.data.get("why", ""))))
    _timeline(state, e, f"jump to {to} ({e.data.get('why', '')})")


def _milestone(state: RunState, e: Event) -> None:
    name = str(e.data.get("name", ""))
    state.milestones.setdefault(name, e.ts)  # the first time counts (a step visited again)
    _timeline(state, e, f"milestone: {name}")


def _note(state: RunState, e: Event) -> None:
    """A person's note, anywhere in the journal: a timeline row of its own (`note`: the
    step it was made at, or "" from another terminal), never merged into a step's."""
    state.timeline.append({"ts": e.ts, "step": "", "what": str(e.data.get("text", "")),
                           "who": e.actor, "note": e.step or ""})


def _shell(state: RunState, e: Event) -> None:
    """A shell opened at a question: in the timeline with how it ended and its recording."""
    data = e.data
    _timeline(state, e, f"opened a shell ({data.get('shell')}, exit {data.get('exit_code')}, "
                        f"{format_elapsed(float(data.get('duration') or 0))}); recorded in "
                        f"{data.get('cast')}")


def _reminder(state: RunState, e: Event) -> None:
    message = str(e.data.get("message", ""))
    key = (message, float(e.data.get("every", 0)))
    state.reminders[key] = max(state.reminders.get(key, 0), int(e.data.get("slot", 0)))
    _timeline(state, e, f"reminder: {message}")


def _approval_requested(state: RunState, e: Event) -> None:
    """A step waits for a second person: a row of the front page's Approvals table."""
    state.approvals.append({"step": e.step or "", "requested": e.ts, "decision": "waiting",
                            "by": "", "via": "", "reason": "", "decided": None, "waited": None})
    who = e.data.get("operator")
    _timeline(state, e, "waiting for approval" + (f" (anyone but {who})" if who else ""))


def _approval_resolved(state: RunState, e: Event) -> None:
    """The decision (or the timeout) closes the step's latest open request."""
    row = next((a for a in reversed(state.approvals)
                if a["step"] == e.step and a["decided"] is None), None)
    if row is None:  # a decision with no request before it: still shown, never lost
        row = {"step": e.step or "", "requested": e.ts}
        state.approvals.append(row)
    d = e.data
    timed_out = e.type == ev.APPROVAL_TIMED_OUT
    word = "timed out" if timed_out else ("approved" if d.get("decision") == "approve"
                                          else "rejected")
    row.update(decision=word, by="" if timed_out else str(d.get("by") or e.actor),
               via="" if timed_out else str(d.get("via") or ""), reason=str(d.get("reason") or ""),
               decided=e.ts, waited=seconds_between(str(row["requested"]), e.ts))
    if timed_out:
        then = d.get("then") or "abort"
        _timeline(state, e, f"approval timed out after {format_elapsed(float(row['waited']))}: "
                            + ("run aborted" if then == "abort" else f"going to {then}"))
        return
    why = f": {row['reason']}" if row["reason"] else ""
    _timeline(state, e, f"{word} by {row['by']} ({row['via']}){why}")
def _waiting(state: RunState, e: Event) -> None:
    until = str(e.data.get("until", ""))
    state.waits[e.step or ""] = until
    _timeline(state, e, f"waiting until {until[11:19]} UTC ({e.data.get('why', '')})")


def _signed(state: RunState, e: Event) -> None:
    # No timeline row: a signature is about the record, not the incident; the front page says it.
    state.signatures.append({**e.data, "actor": e.actor, "seq": e.seq})


def _input(state: RunState, e: Event) -> None:
    state.inputs.append({**e.data, "actor": e.actor})


def _secret(state: RunState, e: Event) -> None:
    state.secrets.append(dict(e.data))


def _interrupted(state: RunState, e: Event) -> None:
    state.status = RunStatus.INTERRUPTED
    state.reason = str(e.data.get("reason", ""))
    state.finished = e.ts
    _end_session(state, e.ts)
    reason = state.reason
    _timeline(state, e, f"run {reason}" if reason.startswith("interrupted by") else
              f"run interrupted: {reason}")


def _abandoned(state: RunState, e: Event) -> None:
    _note_unfinished(state)  # where it had stopped, as for a resume
    _end_session(state, state.last_ts)  # discarding later is no time spent running
    why = str(e.data.get("reason") or "")
    state.status = RunStatus.ABANDONED
    state.reason = f"discarded by {e.actor}" + (f": {why}" if why else "")
    state.finished = e.ts
    _timeline(state, e, f"run abandoned ({state.reason})")


def _end_session(state: RunState, at: str) -> None:
    if state.session_since is not None:
        state.active_closed += seconds_between(state.session_since, at)
        state.session_since = None


def _timeline(state: RunState, e: Event, what: str) -> None:
    state.timeline.append({"ts": e.ts, "step": e.step or "", "what": what, "who": e.actor})


_HANDLERS = {
    ev.RUN_STARTED: _run_started,
    ev.RUN_RESUMED: _run_resumed,
    ev.RUN_FINISHED: _run_finished,
    ev.RUN_INTERRUPTED: _interrupted,
    ev.RUN_ABANDONED: _abandoned,
    ev.STEP_STARTED: _step_started,
    ev.STEP_SKIPPED: _step_skipped,
    ev.STEP_FINISHED: _step_finished,
    ev.COMMAND_STARTED: _command_started,
    ev.COMMAND_FINISHED: _command_finished,
    ev.COMMAND_PROCESS: _command_process,
    ev.STEP_INTERRUPTED: _step_interrupted,
    ev.ANSWER: _answer,
    ev.MESSAGE: _message,
    ev.CAPTURED: _captured,
    ev.JUMP: _jump,
    ev.INPUT: _input,
    ev.SECRET: _secret,
    ev.MILESTONE: _milestone,
    ev.NOTE: _note,
    ev.SHELL: _shell,
    ev.REMINDER: _reminder,
    ev.WAITING: _waiting,
    ev.RECORD_SIGNED: _signed,
    ev.APPROVAL_REQUESTED: _approval_requested,
    ev.APPROVAL_DECIDED: _approval_resolved,
    ev.APPROVAL_TIMED_OUT: _approval_resolved,
}
