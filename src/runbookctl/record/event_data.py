"""The shape of each event's data that the replay reads, checked before it reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.record.journal import Event


class EventDataError(ValueError):
    """Event number `index` (0-based) of a journal has data of the wrong shape."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


_S, _N, _D, _L, _B = (str,), (int, float), (dict,), (list,), (bool,)
_NONE = (type(None),)
# The type of each data field the replay reads, per event type: a journal written by
# hand or damaged on disk fails here, named, rather than deep in a report or `runs`.
# Fields not listed (and events of types not listed) are not read, so not checked.
DATA_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    ev.RUN_STARTED: {"run_id": _S, "runbook": _S, "title": _S, "severity": _S + _NONE,
                     "incident": _S + _NONE, "report_dir": _S + _NONE, "path": _S,
                     "sha256": _S, "dry_run": _B + _NONE, "from_step": _S + _NONE,
                     "hosts": _D + _NONE},
    ev.RUN_RESUMED: {"note": _S},
    ev.RUN_FINISHED: {"status": _S, "reason": _S},
    ev.RUN_INTERRUPTED: {"reason": _S},
    ev.STEP_STARTED: {"title": _S, "action": _S},
    ev.STEP_SKIPPED: {"reason": _S, "title": _S, "action": _S, "skip": _S + _NONE},
    ev.STEP_FINISHED: {"status": _S, "reason": _S, "duration": _N + _NONE, "flow": _D + _NONE,
                       "skip": _S + _NONE},
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
    ev.RECORD_SIGNED: {"events": (int,), "head": _S, "signature": _S, "fingerprint": _S},
    ev.MILESTONE: {"name": _S},
    ev.NOTE: {"text": _S, "origin": _S + _NONE},
    ev.SHELL: {"shell": _S, "exit_code": (int, *_NONE), "duration": _N, "cast": _S},
    ev.STORE_UNREACHABLE: {"store": _S, "reason": _S},
    ev.STORE_REFUSED: {"store": _S, "reason": _S},
    ev.REMINDER: {"message": _S, "every": _N, "slot": (int,), "elapsed": _N},
    ev.APPROVAL_REQUESTED: {"operator": _S + _NONE},
    ev.APPROVAL_DECIDED: {"decision": _S, "by": _S + _NONE, "reason": _S + _NONE,
                          "via": _S + _NONE},
    ev.APPROVAL_TIMED_OUT: {"then": _S + _NONE},
    ev.WAITING: {"until": _S, "why": _S},
    ev.NOTIFY_FAILED: {"webhook": _S, "error": _S},
}


# Events about one step: without a step id they cannot be placed.
STEP_EVENTS = frozenset({ev.STEP_STARTED, ev.STEP_SKIPPED, ev.STEP_FINISHED, ev.COMMAND_STARTED,
                         ev.COMMAND_FINISHED, ev.COMMAND_PROCESS, ev.STEP_INTERRUPTED,
                         ev.MESSAGE, ev.CAPTURED, ev.JUMP, ev.MILESTONE,
                         ev.APPROVAL_REQUESTED, ev.APPROVAL_DECIDED, ev.APPROVAL_TIMED_OUT,
                         ev.WAITING})


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
