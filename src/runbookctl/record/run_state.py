"""What a journal says about a run once replayed: RunState and its StepRecords.

The report renders it, `runs`/`stats` summarise it, resume reads where to go on;
record/replay.py builds it from the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runbookctl.outcomes import RunStatus, StepStatus, is_failure


@dataclass
class StepRecord:
    key: str
    title: str
    action: str
    # running (no end event yet) | ok | failed | skipped | dry-run | interrupted (the run
    # stopped inside it: step_interrupted)
    status: str = StepStatus.RUNNING
    reason: str = ""
    skip: str | None = None  # a SkipKind when skipped (None in journals from before it)
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

    @property
    def failed(self) -> bool:
        """It failed, also if a person then skipped it (outcomes.py:is_failure)."""
        return is_failure(self.status, self.skip, self.reason)


@dataclass
class RunState:
    run_id: str = ""
    runbook: str = ""
    title: str = ""
    severity: str | None = None
    status: str = RunStatus.RUNNING
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
    milestones: dict[str, str] = field(default_factory=dict)  # name -> when first reached
    # (message, every) -> the last slot shown of a `remind:` entry: a resume counts on from it
    reminders: dict[tuple[str, float], int] = field(default_factory=dict)
    # step key -> the deadline (`until`) of its last `waiting` event: a resume keeps it
    waits: dict[str, str] = field(default_factory=dict)
    # record_signed events: events covered, key type and fingerprint, who (the operator)
    signatures: list[dict[str, Any]] = field(default_factory=list)
    # Two-person rule: one row per approval request (step, requested, decision: waiting |
    # approved | rejected | timed out, by, via, reason, decided, waited seconds)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    head_hash: str = ""
    events: int = 0
    torn: str | None = None
    # Active time: the sum of the run's sessions (run or resume until it stopped), so a
    # pause between an interruption and its resume is not counted (record/replay.py).
    active_closed: float = 0.0  # the sessions that ended
    session_since: str | None = None  # start of the session still open, if one is
    last_ts: str = ""  # the latest event's time: where a session with no end stopped

    @property
    def active(self) -> float:
        """Seconds the run was running: its ended sessions, and the open one up to the
        latest event (a run still going, or one that stopped with no end event)."""
        return self.active_closed + seconds_between(self.session_since or "", self.last_ts)

    @property
    def duration(self) -> float:
        # a note added later from another terminal is not the run taking longer
        said = [row["ts"] for row in self.timeline if "note" not in row]
        end = self.finished or (said[-1] if said else self.started)
        return seconds_between(self.started, end)

    @property
    def failed_keys(self) -> list[str]:
        """Steps whose latest outcome is failed (or skipped after it failed), in the order
        they first ran."""
        return [key for key, rec in self.steps.items() if rec.failed]

    @property
    def status_text(self) -> str:
        return status_text(self.status, len(self.failed_keys))

    @property
    def took(self) -> str:
        """How long the run ran, as people read it: its active time, and the wall time
        beside it when a stop and a resume made them differ (`5.0s (wall 1m37s)`)."""
        from runbookctl.durations import format_elapsed

        active = format_elapsed(self.active)
        if self.duration - self.active < 1.0:
            return active
        return f"{active} (wall {format_elapsed(self.duration)})"


def summary(state: RunState) -> dict[str, Any]:
    """A run in one row, as `runs --json` and `serve`'s API (GET /api/runs) give it."""
    return {"id": state.run_id, "runbook": state.runbook, "status": state.status,
            "status_text": state.status_text, "failed_steps": state.failed_keys,
            "operator": state.operator, "started": state.started, "finished": state.finished,
            "duration": round(state.duration, 1), "active": round(state.active, 1),
            "took": state.took, "incident": state.incident}


def status_text(status: str, failed: int) -> str:
    """How a run's ending reads everywhere (terminal, report, runs): a run that completed
    past failed steps never reads as a plain "completed"."""
    if status == RunStatus.COMPLETED and failed:
        return f"completed — {failed} step{'s' if failed != 1 else ''} failed (continued)"
    return status


def epoch_of(stamp: str) -> float | None:
    """A journal timestamp (record/journal.py:utc_timestamp) as epoch seconds; None if
    it is not one."""
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def seconds_between(a: str, b: str | None) -> float:
    start, end = epoch_of(a) if a else None, epoch_of(b) if b else None
    return max(end - start, 0.0) if start is not None and end is not None else 0.0
