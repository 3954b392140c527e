"""Replays a journal into a RunState: what the report renders and resume reads."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.record.journal import Event


@dataclass
class StepRecord:
    key: str
    title: str
    action: str
    # running (no end event yet) | ok | failed | skipped | dry-run | interrupted (the run
    # stopped inside it: step_interrupted)
    status: str = "running"
    reason: str = ""
    started: str | None = None
    finished: str | None = None
    duration: float = 0.0
    visits: int = 0
    commands: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    captures: dict[str, str] = field(default_factory=dict)
    leave: dict[str, Any] | None = None  # how the walk left the step (last step_finished)
    command_in_visit: bool = False  # a command started during the step's latest visit
    open_since: str | None = None  # start of a visit with no end event yet (not yet on the timeline)
    interrupted: dict[str, Any] | None = None  # the step_interrupted of the latest visit


@dataclass
class RunState:
    run_id: str = ""
    runbook: str = ""
    title: str = ""
    severity: str | None = None
    status: str = "running"
    reason: str = ""
    operator: str = ""
    incident: str | None = None
    started: str = ""
    finished: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)
    steps: dict[str, StepRecord] = field(default_factory=dict)
    path: list[tuple[str, str]] = field(default_factory=list)  # (step key, status) in order
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, label)
    timeline: list[dict[str, str]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    carry_over: list[dict[str, Any]] = field(default_factory=list)
    head_hash: str = ""
    events: int = 0
    torn: str | None = None

    @property
    def duration(self) -> float:
        end = self.finished or (self.timeline[-1]["ts"] if self.timeline else self.started)
        return seconds_between(self.started, end)

    @property
    def failed_keys(self) -> list[str]:
        """Steps whose latest outcome is failed, in the order they first ran."""
        return [key for key, rec in self.steps.items() if rec.status == "failed"]

    @property
    def status_text(self) -> str:
        return status_text(self.status, len(self.failed_keys))


def status_text(status: str, failed: int) -> str:
    """How a run's ending reads everywhere (terminal, report, runs): a run that completed
    past failed steps never reads as a plain "completed"."""
    if status == "completed" and failed:
        return f"completed — {failed} step{'s' if failed != 1 else ''} failed (continued)"
    return status


def seconds_between(a: str, b: str | None) -> float:
    if not a or not b:
        return 0.0
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    try:
        return max((datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds(), 0.0)
    except ValueError:
        return 0.0


class EventDataError(ValueError):
    """Event number `index` (0-based) of a journal has data of the wrong shape."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


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
    _note_unfinished(state)
    return state


_S, _N, _D, _L, _B = (str,), (int, float), (dict,), (list,), (bool,)
_NONE = (type(None),)
# The type of each data field the replay reads, per event type: a journal written by
# hand or damaged on disk fails here, named, rather than deep in a report or `runs`.
# Fields not listed (and events of types not listed) are not read, so not checked.
DATA_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    ev.RUN_STARTED: {"run_id": _S, "runbook": _S, "title": _S, "severity": _S + _NONE,
                     "incident": _S + _NONE, "report_dir": _S + _NONE, "path": _S,
                     "sha256": _S, "dry_run": _B + _NONE, "from_step": _S + _NONE},
    ev.RUN_RESUMED: {"note": _S},
    ev.RUN_FINISHED: {"status": _S, "reason": _S},
    ev.RUN_INTERRUPTED: {"reason": _S},
    ev.STEP_STARTED: {"title": _S, "action": _S},
    ev.STEP_SKIPPED: {"reason": _S, "title": _S, "action": _S},
    ev.STEP_FINISHED: {"status": _S, "reason": _S, "duration": _N + _NONE, "flow": _D + _NONE},
    ev.COMMAND_STARTED: {"command": _S},
    ev.COMMAND_FINISHED: {"hosts": _L, "ok": _B + _NONE, "reason": _S + _NONE, "again": _B},
    ev.ANSWER: {"kind": _S, "origin": _S + _NONE, "question": _S + _NONE, "var": _S + _NONE},
    ev.MESSAGE: {"text": _S},
    ev.CAPTURED: {"name": _S, "value": _S},
    ev.JUMP: {"to": _S, "why": _S},
    ev.INPUT: {"name": _S, "origin": _S + _NONE},
    ev.SECRET: {"name": _S, "origin": _S + _NONE},
    ev.COMMAND_PROCESS: {"pgid": (int,), "start": _S + _NONE},
    ev.STEP_INTERRUPTED: {"reason": _S, "command_stopped": _B},
    ev.RUN_ABANDONED: {"reason": _S, "stopped": _S},
}


# Events about one step: without a step id they cannot be placed.
STEP_EVENTS = frozenset({ev.STEP_STARTED, ev.STEP_SKIPPED, ev.STEP_FINISHED, ev.COMMAND_STARTED,
                         ev.COMMAND_FINISHED, ev.COMMAND_PROCESS, ev.STEP_INTERRUPTED,
                         ev.MESSAGE, ev.CAPTURED, ev.JUMP})


def check_data(event: Event) -> None:
    """TypeError naming the first field of `event.data` whose type the replay cannot use."""
    if event.type in STEP_EVENTS and not event.step:
        raise TypeError("step is missing (null): this event is about a step")
    for name, types in DATA_TYPES.get(event.type, {}).items():
        if name in event.data and not isinstance(event.data[name], types):
            wanted = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise TypeError(f"data.{name} is {type(event.data[name]).__name__}, not {wanted}")
    hosts = event.data.get("hosts") if event.type == ev.COMMAND_FINISHED else None
    if hosts and not all(isinstance(h, dict) for h in hosts):
        raise TypeError("data.hosts holds a value that is not an object")
    pgid = event.data.get("pgid") if event.type == ev.COMMAND_PROCESS else None
    if pgid is not None and (isinstance(pgid, bool) or not 1 < pgid < 2**31):
        raise TypeError(f"data.pgid {pgid!r} is not a process group id")  # never signal 0, 1, -1
    flow = event.data.get("flow") if event.type == ev.STEP_FINISHED else None
    if flow and not isinstance(flow.get("target"), str | None):
        raise TypeError("data.flow.target is not a step id")


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
    state.meta = dict(d)
    _timeline(state, e, f"run started ({d.get('runbook')})")


def _run_resumed(state: RunState, e: Event) -> None:
    _note_unfinished(state)  # where the previous session stopped
    state.status = "running"
    state.finished = None
    _timeline(state, e, f"run resumed: {e.data.get('note', '')}".strip())


def _run_finished(state: RunState, e: Event) -> None:
    state.status = str(e.data.get("status", ""))
    state.reason = str(e.data.get("reason", ""))
    state.finished = e.ts
    _timeline(state, e, f"run {state.status}: {state.reason}")


def _step_started(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.status, rec.reason = "running", ""
    rec.started = rec.started or e.ts
    rec.visits += 1
    rec.command_in_visit = False
    rec.interrupted = None
    rec.open_since = e.ts
    if state.path:
        prev = state.path[-1][0]
        if not state.edges or state.edges[-1][1] != e.step:
            state.edges.append((prev, e.step or "?", ""))
    state.path.append((e.step or "?", "running"))


def _step_skipped(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.status, rec.reason = "skipped", str(e.data.get("reason", ""))
    rec.open_since = None
    rec.visits += 1
    if state.path:
        state.edges.append((state.path[-1][0], e.step or "?", ""))
    state.path.append((e.step or "?", "skipped"))
    _timeline(state, e, f"skipped: {rec.reason}")


def _step_finished(state: RunState, e: Event) -> None:
    rec = _step(state, e)
    rec.status = str(e.data.get("status", ""))
    rec.reason = str(e.data.get("reason", ""))
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
    if not rec.commands:
        rec.commands.append({"command": "?", "started": e.ts})
    cmd = rec.commands[-1]
    cmd.update(results=e.data.get("hosts", []), ok=e.data.get("ok"), reason=e.data.get("reason"),
               finished=e.ts, again=e.data.get("again") is True)
    if not cmd["ok"]:  # a passing command shows in its step's row; failures and retries here
        hosts = [h for h in cmd["results"] if isinstance(h, dict)]
        if hosts and all(h.get("interrupted") for h in hosts):
            _timeline(state, e, f"command {cmd.get('reason')}")
            return
        codes = ", ".join(f"{h.get('host')}: {_ending(h)}" for h in hosts)
        _timeline(state, e, f"command failed: {cmd.get('reason')}" + (f" ({codes})" if codes else ""))


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
    rec.status, rec.reason = "interrupted", str(e.data.get("reason", ""))
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
    value = e.data.get("value")
    shown = "yes" if value is True else "no" if value is False else str(value)
    _timeline(state, e, f"{e.data.get('kind')}: {shown} ({e.data.get('origin')})")


def _message(state: RunState, e: Event) -> None:
    _step(state, e).messages.append(str(e.data.get("text", "")))
    _timeline(state, e, "message recorded")


def _captured(state: RunState, e: Event) -> None:
    _step(state, e).captures[str(e.data.get("name"))] = str(e.data.get("value", ""))


def _jump(state: RunState, e: Event) -> None:
    to = str(e.data.get("to", ""))
    state.edges.append((e.step or "?", to, str(e.data.get("why", ""))))
    _timeline(state, e, f"jump to {to} ({e.data.get('why', '')})")


def _input(state: RunState, e: Event) -> None:
    state.inputs.append({**e.data, "actor": e.actor})


def _secret(state: RunState, e: Event) -> None:
    state.secrets.append(dict(e.data))


def _interrupted(state: RunState, e: Event) -> None:
    state.status = "interrupted"
    state.reason = str(e.data.get("reason", ""))
    state.finished = e.ts
    reason = state.reason
    _timeline(state, e, f"run {reason}" if reason.startswith("interrupted by") else
              f"run interrupted: {reason}")


def _abandoned(state: RunState, e: Event) -> None:
    _note_unfinished(state)  # where it had stopped, as for a resume
    why = str(e.data.get("reason") or "")
    state.status = "abandoned"
    state.reason = f"discarded by {e.actor}" + (f": {why}" if why else "")
    state.finished = e.ts
    _timeline(state, e, f"run abandoned ({state.reason})")


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
}
