"""The two-person rule's record: which steps of a run wait for a second person's
approval, and `decide`, which journals that person's decision (docs/record.md).

A step that needs approval journals `approval_requested` and waits
(engine/approval.py); the approver's decision is an `approval_decided` event that
`decide` appends to the run's journal from any process — `runbookctl approve` /
`reject`, the web app — under the journal's append lock (record/journal_io.py), as
`runbookctl note` does. The check that the step still waits is made under that same
lock (Journal.append's `guard`), so two approvers, or an approval racing the engine's
timeout, can never both land: the second is refused.

A request is open from its `approval_requested` until a decision, a timeout, the
step's end or the run's end follows it. A run killed while waiting keeps its request
open: a decision taken while it was down counts when it is resumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from runbookctl.errors import UsageError
from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.record.journal import Event
    from runbookctl.safety.masking import Redactor

APPROVE: Literal["approve"] = "approve"
REJECT: Literal["reject"] = "reject"
DecisionWord = Literal["approve", "reject"]
Via = Literal["cli", "web", "api", "store"]
VIAS: tuple[str, ...] = ("cli", "web", "api", "store")

# What closes a request: its resolution, or the step or run ending without one.
_RESOLVED = frozenset({ev.APPROVAL_DECIDED, ev.APPROVAL_TIMED_OUT})
_STEP_ENDS = frozenset({ev.STEP_FINISHED})
_RUN_ENDS = frozenset({ev.RUN_FINISHED, ev.RUN_ABANDONED})


@dataclass(frozen=True)
class Decided:
    """An approver's decision, however it was made. `journaled`: it is already in the
    run's own journal (decide() wrote it); else (a decision source on another machine)
    the engine journals it."""

    decision: DecisionWord
    by: str
    reason: str | None
    via: str
    journaled: bool = True


class DecisionSource(Protocol):
    """Where the waiting engine looks for a decision (the run's journal; a shared store)."""

    def poll(self, run_id: str, step_id: str) -> Decided | None: ...


def operators(events: Sequence[Event]) -> list[str]:
    """Who operated the run: who started it and who resumed it (none may approve it)."""
    names = [e.actor for e in events if e.type in (ev.RUN_STARTED, ev.RUN_RESUMED)]
    return list(dict.fromkeys(names))


def open_request(events: Sequence[Event], step: str) -> Event | None:
    """The approval request of `step` that nothing has closed yet, if any."""
    found: Event | None = None
    for event in events:
        if event.type == ev.APPROVAL_REQUESTED and event.step == step:
            found = event
        elif found is not None and (event.type in _RUN_ENDS or (
                event.step == step and event.type in _RESOLVED | _STEP_ENDS)):
            found = None
    return found


def open_requests(events: Sequence[Event]) -> dict[str, Event]:
    """Every step of the run waiting for approval now, by step key (the web app's buttons)."""
    steps = {e.step for e in events if e.type == ev.APPROVAL_REQUESTED and e.step}
    found = {step: open_request(events, step) for step in sorted(steps)}
    return {step: request for step, request in found.items() if request is not None}


def current_request(events: Sequence[Event], step: str) -> tuple[Event | None, Event | None]:
    """(the latest request of `step` whose step has not ended since, its resolution or None):
    what a resumed run finds when it comes back to a step that was waiting."""
    request: Event | None = None
    resolution: Event | None = None
    for event in events:
        if event.step != step:
            continue
        if event.type == ev.APPROVAL_REQUESTED:
            request, resolution = event, None
        elif request is not None and event.type in _STEP_ENDS:
            request, resolution = None, None
        elif request is not None and resolution is None and event.type in _RESOLVED:
            resolution = event
    return request, resolution


def decided_of(event: Event) -> Decided:
    data = event.data
    word: DecisionWord = APPROVE if data.get("decision") == APPROVE else REJECT
    reason = data.get("reason")
    return Decided(word, str(data.get("by", event.actor)), reason if isinstance(reason, str)
                   else None, str(data.get("via", "")))


def check_decision(events: Sequence[Event], step: str, by: str) -> Event:
    """The open request `by` may decide; UsageError says why not."""
    for name in operators(events):
        if by == name:
            raise UsageError(f"the approver must not be the run's operator ({name}): "
                             "a second person approves (--as NAME)")
    request = open_request(events, step)
    if request is not None:
        return request
    _, resolution = current_request(events, step)
    last = _last_resolution(events, step)
    if resolution is not None or last is not None:
        done = resolution or last
        assert done is not None
        if done.type == ev.APPROVAL_TIMED_OUT:
            raise UsageError(f"the approval of step {step} timed out at {done.ts}: "
                             "it is no longer waiting")
        word = "approved" if done.data.get("decision") == APPROVE else "rejected"
        raise UsageError(f"step {step} was already decided: {word} by "
                         f"{done.data.get('by', done.actor)} at {done.ts}")
    waiting = sorted(open_requests(events))
    hint = f" (waiting now: {', '.join(waiting)})" if waiting else " (no step is waiting now)"
    raise UsageError(f"step {step} is not waiting for approval{hint}")


def _last_resolution(events: Sequence[Event], step: str) -> Event | None:
    found = [e for e in events if e.step == step and e.type in _RESOLVED]
    return found[-1] if found else None


def decide(run_dir: Path, step_id: str, decision: DecisionWord, by: str, reason: str | None,
           via: Via, *, redactor: Redactor | None = None) -> Event:
    """Journal an approver's decision on a step waiting for approval; the APPROVAL_DECIDED
    event as written. UsageError (unknown run, not waiting, already decided, the
    run's operator deciding, a rejection without a reason) leaves the journal as it was."""
    from runbookctl.record.events import Recorder
    from runbookctl.record.journal import Journal, read_journal
    from runbookctl.safety.masking import Redactor

    by, reason = _checked_words(decision, by, reason, via)
    path = run_dir / "journal.jsonl"
    if not path.is_file():
        raise UsageError(f"no run at {run_dir} (no journal.jsonl)")

    def guard() -> None:  # under the append lock: nobody can decide in between
        check_decision(read_journal(path).events, step_id, by)

    with Journal.open_append(path) as journal:
        recorder = Recorder(journal, redactor or Redactor())
        return recorder.event(ev.APPROVAL_DECIDED, step_id, actor=by, guard=guard,
                              decision=decision, by=by, reason=reason, via=via)


def _checked_words(decision: str, by: str, reason: str | None, via: str) -> tuple[str, str | None]:
    from runbookctl.safety.masking import first_control
    from runbookctl.safety.plain_text import not_utf8

    if decision not in (APPROVE, REJECT):
        raise UsageError(f"the decision must be approve or reject, not {decision!r}")
    if via not in VIAS:
        raise UsageError(f"via must be one of {', '.join(VIAS)}, not {via!r}")
    by = by.strip()
    if not by:
        raise UsageError("say who decides: the approver's name is empty")
    reason = reason.strip() if reason else None
    if decision == REJECT and not reason:
        raise UsageError("a rejection needs a reason (--reason TEXT): the operator and the "
                         "report show why")
    for what, text in (("the approver's name", by), ("the reason", reason or "")):
        undecodable = not_utf8(what, text)
        if undecodable:
            raise UsageError(undecodable)
        bad = first_control(text)
        if bad is not None:
            raise UsageError(f"{what} contains a control character ({bad}); give one line "
                             "of plain text")
    return by, reason

