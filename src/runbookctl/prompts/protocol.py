"""The prompt seam: the engine asks through a Prompter and records where each
answer came from. Implementations live in terminal.py (terminal/questionary,
refusal) and answers_file.py (answers file + --yes), and are chained: the first
that can answer does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from runbookctl.outcomes import DecisionKind
from runbookctl.runbook.model import InputSpec

# Answer origins, as recorded in the journal and the report.
ORIGIN_TERMINAL = "terminal"
ORIGIN_ANSWERS = "answers-file"
ORIGIN_YES = "--yes"
ORIGIN_VAR = "--var"
ORIGIN_VARS_FILE = "--vars-file"
ORIGIN_DEFAULT = "default"
ORIGIN_ENV = "env"

# Choices of the "step failed" prompt: the text of a Decision (outcomes.py), which
# the engine parses back (Decision.parse); `goto:<step id>` for a jump.
FAIL_RETRY = DecisionKind.RETRY
FAIL_RETRY_FAILED_HOSTS = DecisionKind.RETRY_FAILED_HOSTS
FAIL_SKIP = DecisionKind.SKIP
FAIL_ABORT = DecisionKind.ABORT

MANUAL_DONE = "done"
MANUAL_SKIPPED = "skipped"
MANUAL_FAILED = "failed"


@dataclass(frozen=True)
class Answer:
    """An answer and its provenance."""

    value: object  # bool (confirm), typed value (ask/input), str (manual / on_failure)
    origin: str  # one of the ORIGIN_* constants
    actor: str  # operator name, or "answers.yaml (sha256 …)"
    note: str | None = None  # manual: reason for skipped / note for failed


class Prompter(Protocol):
    """Asks a person (or an answers file) and returns Answers.

    `key` is the answers-file key: the step id (`RUNBOOK/step` inside an include).
    A Prompter that cannot answer raises NoAnswerError naming the step and key.
    """

    def confirm(self, key: str, question: str, *, dangerous: bool, no_means: str,
                detail: str | None = None, default: bool = False) -> Answer:
        """A yes/no gate. Dangerous gates must be typed (the step id) to be a yes.

        `no_means` says what a no does ("skip this step", "abort the run", "go to X"):
        every gate shows it, so nobody declines without knowing where it leads.
        `default`: what Enter alone answers at a terminal (a gate that runs something
        defaults to no; "Use these defaults?" to yes)."""
        ...

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        """A typed question (ask steps and runbook inputs)."""
        ...

    def manual(self, key: str, text: str) -> Answer:
        """A manual instruction: value done | skipped (note required) | failed (note)."""
        ...

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        """A failed step: value is one of `choices` (retry, skip, abort, goto:<id>, ...)."""
        ...

    def resume_answer(self, key: str) -> Answer | None:
        """A written decision (an answers file's `resume:`) about a step a resumed run
        stopped in: rerun | done | failed | skip; None when nothing is written."""
        ...

    def on_resume(self, key: str, question: str, choices: Sequence[str]) -> Answer:
        """A person's choice about a step a resumed run stopped in (resume_answer is
        read first; a file's `on_failure:` answers another question, never this one)."""
        ...

    def secret(self, key: str, prompt: str) -> str:
        """A hidden value; never recorded."""
        ...

    def hand_over(self, key: str, command: str) -> Answer:
        """An interactive step is about to take the terminal: value "run", or "skip"
        (only written: an answers file's `session: skip`). Without a terminal and
        nothing written, NoAnswerError: never run half-attached."""
        ...

    @property
    def interactive(self) -> bool:
        """Whether a person can be asked at all."""
        ...
