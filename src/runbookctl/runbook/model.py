"""The runbook model: frozen, typed objects built by the loader.

No raw dicts cross module borders; every object keeps the position of the
YAML node it came from so later checks and runtime errors can point at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from runbookctl.positions import Pos
from runbookctl.runbook.notify import Webhook

ACTIONS: tuple[str, ...] = ("run", "ssh", "confirm", "ask", "manual", "message", "include")
Action = Literal["run", "ssh", "confirm", "ask", "manual", "message", "include"]
InputType = Literal["str", "int", "float", "bool", "choice", "action_items"]
SEVERITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")
# Words with a meaning of their own wherever a step id is expected.
END = "end"
ABORT = "abort"
SKIP = "skip"
CONTINUE = "continue"
ASK = "ask"


NOWHERE = Pos("<none>", 0, 0)


@dataclass(frozen=True)
class InputSpec:
    """A runbook input (`inputs:`) or an `ask` step's answer shape."""

    name: str
    prompt: str | None = None
    type: InputType = "str"
    choices: tuple[str, ...] = ()
    default: object = None
    required: bool = True
    pattern: str | None = None
    secret: bool = False
    help: str | None = None
    pos: Pos = NOWHERE


@dataclass(frozen=True)
class SecretSpec:
    """A secret: read from `env`, else asked hidden; masked everywhere."""

    name: str
    env: str | None = None
    prompt: str | None = None
    pos: Pos = NOWHERE


@dataclass(frozen=True)
class Branch:
    """One entry of a conditional `next:` list; `cond` None is the fallback."""

    goto: str
    cond: str | None = None
    pos: Pos = NOWHERE


@dataclass(frozen=True)
class Step:
    """One node of the step graph. Exactly one action is set."""

    id: str
    action: Action
    # The action's value: command (run/ssh), question (confirm/ask), text
    # (manual), template name or text (message), runbook id (include).
    text: str
    pos: Pos
    title: str | None = None
    # `confirm:` as a modifier on run/ssh: the question, or "" for the default one.
    confirm: str | None = None
    dangerous: bool = False
    when: str | None = None
    timeout: float | None = None
    # Timed steps (engine/waits.py): not before `start_at` (the key `at:`) seconds after
    # the run's start, and `wait` seconds after the step is reached.
    start_at: float | None = None
    wait: float | None = None
    retries: int = 0
    retry_delay: float = 0.0
    until: str | None = None
    every: float | None = None
    within: float | None = None
    capture: str | None = None
    expect: str | None = None
    on_failure: str = ASK  # ask | continue | abort | <step id>
    next: tuple[Branch, ...] = ()  # empty: the following step in file order
    on_no: str = ABORT  # <step id> | skip | abort
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    shell: str | None = None
    # A multi-line command stops at its first failing line (`set -e`, and pipefail
    # where the shell has it: engine/errexit.py); false runs every line as written.
    errexit: bool = True
    sudo: bool = False
    parallel: int = 10
    readonly: bool = False
    interactive: bool = False  # run/ssh: a pseudo-terminal wired to the operator's terminal
    # Two-person rule: a second person approves before the step runs (engine/approval.py);
    # no decision within approval_timeout (None: the runbook's, else no limit) -> abort,
    # skip or a step id (on_approval_timeout).
    approval: bool = False
    approval_timeout: float | None = None
    on_approval_timeout: str = ABORT
    post: str | None = None  # message: also sent to this `notify:` webhook
    milestone: str | None = None  # acknowledged | mitigated | resolved: reached when it ends ok
    hosts: tuple[str, ...] = ()  # group names and/or host specs, for ssh
    # ask steps: answer shape and the variable it lands in
    var: str | None = None
    answer: InputSpec | None = None
    report: str | None = None  # the report front-page field the answer fills (`report:`)
    # where each key of the step was written, for runtime errors
    key_pos: Mapping[str, Pos] = field(default_factory=dict)
    # where each value was written, by key path inside the step (`run`, `next`,
    # `next[1].goto`, `next[1].if`, `env.PGHOST`), for validate's carets
    value_pos: Mapping[str, Pos] = field(default_factory=dict)

    @property
    def is_command(self) -> bool:
        return self.action in ("run", "ssh")

    @property
    def label(self) -> str:
        return self.title or self.id

    def at(self, key: str) -> Pos:
        """The position of `key` in this step, or of the step itself."""
        return self.key_pos.get(key, self.pos)


@dataclass(frozen=True)
class Reminder:
    """`remind:` entry: `message` is shown and journaled every `every` seconds of the run."""

    every: float
    message: str
    pos: Pos = NOWHERE


@dataclass(frozen=True)
class Runbook:
    """A loaded runbook."""

    id: str
    title: str
    steps: tuple[Step, ...]
    path: str
    sha256: str
    severity: str | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    secrets: tuple[SecretSpec, ...] = ()
    hosts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reminders: tuple[Reminder, ...] = ()
    approval_timeout: float | None = None  # the steps' default wait for an approval
    notify: tuple[Webhook, ...] = ()  # `notify:` webhooks (runbook/notify.py)
    pos: Pos = NOWHERE

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        for i, s in enumerate(self.steps):
            if s.id == step_id:
                return i
        raise KeyError(step_id)

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)

