"""The vocabulary of a run's outcomes, typed: step and run statuses, where the walk
goes after a step (Flow), why a step was skipped, and what a person decided about a
failure (Decision).

A base module, not part of engine/: the journal's readers (record/), the prompts
(choice labels) and the CLI speak the same words, and sit beside or below the engine.
The enums are StrEnums: their values are the journal's own strings, so a journal
written with them is byte-identical, and a status read back from an old journal (a
plain str) compares equal to its member.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StepStatus(StrEnum):
    """A step's status, as journaled (step_finished) and reported."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    DRY_RUN = "dry-run"
    # Only in a replayed record: no end event yet, or the run stopped inside the step.
    RUNNING = "running"
    INTERRUPTED = "interrupted"


class RunStatus(StrEnum):
    """A run's status, as journaled (run_finished) and shown by `runs`."""

    COMPLETED = "completed"
    FAILED = "failed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    # Only in a replayed record: no ending yet, or closed for good by `discard`.
    RUNNING = "running"
    ABANDONED = "abandoned"


class FlowKind(StrEnum):
    """Where the walk goes after a step."""

    NEXT = "next"  # the next step in order (or the step's `next:`)
    GOTO = "goto"  # a jump to `target`
    END = "end"  # the runbook ends here
    ABORT = "abort"  # a person stopped the run
    FAIL = "fail"  # the run fails here


class SkipKind(StrEnum):
    """Why a step was skipped: journaled as `skip` beside the human-readable reason
    (step_skipped, and step_finished of a skipped or dry-run step)."""

    WHEN = "when"  # its `when:` condition was false
    DRY_RUN = "dry-run"  # a dry run did not execute or ask it
    ANSWERED_NO = "answered-no"  # a 'no' at its confirmation
    BY_PERSON = "by-person"  # a manual check a person skipped (with a note)
    AFTER_FAILURE = "after-failure"  # it failed and a person chose to skip it
    ON_RESUME = "on-resume"  # resume: a person marked the interrupted step skipped

    @property
    def by_condition(self) -> bool:
        """Skipped by the run's own rules, not by a person's choice."""
        return self in (SkipKind.WHEN, SkipKind.DRY_RUN)


@dataclass(frozen=True)
class Flow:
    """Where the walk goes after a step: next in order, a jump, the end, or a stop."""

    kind: FlowKind
    target: str | None = None
    reason: str = ""

    @property
    def stops(self) -> bool:
        """The run ends here (abort or fail), whatever follows in the runbook."""
        return self.kind in (FlowKind.ABORT, FlowKind.FAIL)

    def record(self) -> dict[str, str | None]:
        """As journaled in step_finished (resume reads it back)."""
        return {"kind": self.kind, "target": self.target, "reason": self.reason}

    @classmethod
    def from_record(cls, data: object) -> Flow:
        """A journaled flow; anything unreadable (an old or damaged journal) is `next`."""
        if not isinstance(data, dict):
            return NEXT
        try:
            kind = FlowKind(str(data.get("kind") or FlowKind.NEXT))
        except ValueError:
            kind = FlowKind.NEXT
        return cls(kind, data.get("target"), str(data.get("reason") or ""))


NEXT = Flow(FlowKind.NEXT)


class DecisionKind(StrEnum):
    RETRY = "retry"
    RETRY_FAILED_HOSTS = "retry-failed-hosts"
    SKIP = "skip"
    ABORT = "abort"
    CONTINUE = "continue"  # go on past the failure (the step stays failed)
    FAIL = "fail"  # the run fails here
    GOTO = "goto"  # go to step `target`


_GOTO_PREFIX = f"{DecisionKind.GOTO}:"


@dataclass(frozen=True)
class Decision:
    """What to do about a failed (or interrupted) step: from the step's `on_failure`
    policy or a person's answer. Its text (`str()`) is what a prompt offers and the
    journal records: `retry`, `skip`, `goto:<step id>`, ..."""

    kind: DecisionKind
    target: str | None = None

    @classmethod
    def goto(cls, target: str) -> Decision:
        return cls(DecisionKind.GOTO, target)

    @classmethod
    def parse(cls, text: object) -> Decision:
        """The one place a decision's text (a prompt's or an answers file's choice)
        becomes a Decision; ValueError for text that names none."""
        word = str(text)
        if word.startswith(_GOTO_PREFIX) and len(word) > len(_GOTO_PREFIX):
            return cls.goto(word[len(_GOTO_PREFIX):])
        try:
            kind = DecisionKind(word)
        except ValueError:
            raise ValueError(f"not a decision: {word!r}") from None
        if kind is DecisionKind.GOTO:
            raise ValueError("goto needs a step id (goto:<step id>)")
        return cls(kind)

    def __str__(self) -> str:
        return f"{_GOTO_PREFIX}{self.target}" if self.kind is DecisionKind.GOTO else str(self.kind)

    @property
    def label(self) -> str:
        """How the choice reads in a menu or a hint."""
        if self.kind is DecisionKind.GOTO:
            return f"go to step {self.target}"
        if self.kind is DecisionKind.RETRY_FAILED_HOSTS:
            return "retry the failed hosts only"
        return str(self.kind)

    @property
    def is_goto(self) -> bool:
        return self.kind is DecisionKind.GOTO


RETRY = Decision(DecisionKind.RETRY)
RETRY_FAILED_HOSTS = Decision(DecisionKind.RETRY_FAILED_HOSTS)
SKIP = Decision(DecisionKind.SKIP)
ABORT = Decision(DecisionKind.ABORT)
CONTINUE = Decision(DecisionKind.CONTINUE)
FAIL = Decision(DecisionKind.FAIL)


@dataclass(frozen=True)
class Outcome:
    """How a step ended: its status, where the walk goes, why (journaled in
    step_finished), and for a skipped step, what kind of skip."""

    status: StepStatus
    flow: Flow
    reason: str
    skip: SkipKind | None = None


SKIPPED_AFTER_FAILURE = "skipped after failure: "  # the reason's words (gates.after_failure)


def is_failure(status: str, skip: str | None, reason: str = "") -> bool:
    """A step that failed, also when a person then chose to skip it (`on_failure` skip:
    journaled as skipped, `skip: after-failure`; a journal from before `skip` says so only
    in the reason's words). A run that went on past one is a completed run with failures."""
    if status == StepStatus.FAILED:
        return True
    if status != StepStatus.SKIPPED:
        return False
    if skip is not None:
        return skip == SkipKind.AFTER_FAILURE
    return reason.startswith(SKIPPED_AFTER_FAILURE)
