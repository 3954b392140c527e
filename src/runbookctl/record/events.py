"""Journals run events: every string is masked before it reaches the journal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runbookctl.record.journal import Event, Journal
    from runbookctl.safety.masking import Redactor

SYSTEM = "runbookctl"

# Event types (docs/record.md, section 3: each type's fields). The report and resume replay these.
RUN_STARTED = "run_started"
RUN_RESUMED = "run_resumed"
RUN_FINISHED = "run_finished"
RUN_INTERRUPTED = "run_interrupted"
# `runbookctl discard`: an unfinished run closed for good by a person (reason, where it stopped)
RUN_ABANDONED = "run_abandoned"
INPUT = "input"
SECRET = "secret"
STEP_STARTED = "step_started"
STEP_FINISHED = "step_finished"
STEP_SKIPPED = "step_skipped"
COMMAND_STARTED = "command_started"
COMMAND_FINISHED = "command_finished"
# A local command's process group (pgid + start time), journaled before the command runs:
# resume finds a command that outlived a killed runbookctl (procs.same_group_alive).
COMMAND_PROCESS = "command_process"
# The run stopped in the middle of a step (signal, no answer): how, and whether
# runbookctl stopped the step's command itself. Resume knows the step was interrupted.
STEP_INTERRUPTED = "step_interrupted"
ANSWER = "answer"
MESSAGE = "message"
CAPTURED = "captured"
JUMP = "jump"
# The journal's head was signed (record/signing.py): the signature file beside the journal
# covers the events before this one (it cannot be inside what it signs).
RECORD_SIGNED = "record_signed"
# A step marked `milestone:` ended ok: the incident was acknowledged, mitigated or
# resolved then (data: name). The front page's key times and `stats` read it.
MILESTONE = "milestone"
# A person's note, at any prompt (origin "prompt": step = where) or from another terminal
# (`runbookctl note`, origin "command"), at any point of the journal (data: text, origin).
NOTE = "note"
NOTE_AT_PROMPT = "prompt"
NOTE_BY_COMMAND = "command"
# At a question the operator opened a shell (engine/shell_escape.py; data: shell,
# cwd, exit_code, duration, log, cast — the session's recording).
SHELL = "shell"
# A `remind:` entry fell due between steps (data: message, every, slot, elapsed): shown
# to the operator; the report's timeline has it, and a resumed run counts on from it.
REMINDER = "reminder"
# The two-person rule (record/approvals.py): a step waits for a second person
# (data: operator, reason, timeout, on_timeout, url); their decision, journaled by
# `decide` from any process (actor and data.by: the approver; data: decision
# approve|reject, reason, via cli|web|api|store); no decision in time (data: timeout, then).
APPROVAL_REQUESTED = "approval_requested"
APPROVAL_DECIDED = "approval_decided"
APPROVAL_TIMED_OUT = "approval_timed_out"
# A step with `at:` or `wait:` (engine/waits.py) waits before it runs (data: until, the
# deadline as a UTC timestamp; why). Synced: a resumed run waits for the same instant.
WAITING = "waiting"
# The team's run store (docs/store.md) could not be reached (the events wait in this
# journal and are shipped when it is back), or refused this run's events for good (it
# holds others under the same seq); journaled once by the run (data: store, reason).
STORE_UNREACHABLE = "store_unreachable"
STORE_REFUSED = "store_refused"
# A notification (`notify:`, engine/notify.py) was not delivered: after its retries, or
# still queued at the run's end (data: webhook, url — scheme and host only —, event,
# error, attempts, undelivered). Never stops the run.
NOTIFY_FAILED = "notify_failed"


# Events that no action follows before the next event: written at once (a killed
# process loses nothing) but fsynced with the next event that precedes an action
# (a command starting, a person answering, the run ending). So every event is on
# disk before the next action is taken, at about one fsync per step instead of four.
DEFERRED_SYNC = frozenset({STEP_STARTED, STEP_FINISHED, STEP_SKIPPED, JUMP, COMMAND_FINISHED,
                           CAPTURED, INPUT, SECRET, MILESTONE, REMINDER, NOTIFY_FAILED})


# Fields holding runbookctl's own vocabulary or identifiers, never data: a step's
# status, an action, an answer's kind, a jump target, a variable's name, ids and
# hashes. They are not masked: a secret that happens to equal one ("completed",
# a step id) would otherwise corrupt what `runs`, `resume` and the report read back.
STRUCTURAL = frozenset({"status", "action", "kind", "to", "name", "run_id", "runbook",
                        "decision", "via", "then", "on_timeout", "sha256", "runbook_sha256",
                        "version", "head", "fingerprint"})


class Recorder:
    """Appends masked events to the journal; fsync before every action (DEFERRED_SYNC)."""

    def __init__(self, journal: Journal, redactor: Redactor) -> None:
        self.journal = journal
        self.redactor = redactor

    def event(
        self, type_: str, step: str | None = None, actor: str = SYSTEM, *,
        defer_sync: bool = False, guard: Callable[[], None] | None = None, **data: Any
    ) -> Event:
        """Journal one event; `defer_sync`: another synced event follows before any action;
        `guard`: a check made under the journal's append lock (Journal.append)."""
        masked = {k: v if k in STRUCTURAL else self._mask(v) for k, v in data.items()}
        checked: dict[str, Any] = {} if guard is None else {"guard": guard}
        return self.journal.append(type_, step, self.redactor.mask(actor), masked,
                                   sync=not defer_sync and type_ not in DEFERRED_SYNC, **checked)

    def _mask(self, value: Any) -> Any:
        kind = type(value)  # exact types first: five events a step pass through here
        if kind is str:
            return self.redactor.mask(value)
        if kind is int or kind is bool or kind is float or value is None:
            return value
        if isinstance(value, str):
            return self.redactor.mask(value)
        if isinstance(value, Mapping):
            return {str(k): self._mask(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._mask(v) for v in value]
        return value

    @property
    def head_hash(self) -> str:
        return self.journal.head_hash
