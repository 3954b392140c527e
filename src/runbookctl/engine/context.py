"""What a run is made of (options, services, variables) and what one step runner
gets: a StepContext, never the Engine. Command and human steps (command_step.py,
human_step.py) and resume talk to the run only through it, so they can be tested
with fake services and the walk (walk.py) stays the only owner of the run's course.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runbookctl.outcomes import NEXT, Flow
from runbookctl.record import events as ev
from runbookctl.safety.templating import render_text

if TYPE_CHECKING:
    from runbookctl.engine.display import Display as UI
    from runbookctl.engine.stream import EventStream
    from runbookctl.executors.base import Executor
    from runbookctl.prompts.protocol import Answer, Prompter
    from runbookctl.record.approvals import DecisionSource
    from runbookctl.record.journal import Event
    from runbookctl.runbook.model import Runbook, Step
    from runbookctl.safety.masking import Redactor


class Publish(Protocol):
    """Publishes one run event (engine/stream.py): journaled first, then shown to subscribers."""

    def __call__(self, type_: str, step: str | None = None, actor: str = ev.SYSTEM, *,
                 defer_sync: bool = False, guard: Callable[[], None] | None = None,
                 **data: Any) -> Event: ...


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed run picks up: run step `key` again, or leave it with `leave`.

    `key` is relative to the root runbook: `kill`, or `child/write` inside an include.
    """

    key: str
    rerun: bool
    leave: Flow = NEXT


@dataclass
class Options:
    """Run options that change how steps behave."""

    dry_run: bool = False
    from_step: str | None = None
    default_timeout: float = 600.0
    operator: str = "unknown"
    approvals: str = "marked"  # config `approvals:` (engine/approval.py)
    run_url: str = ""  # the run's page on `runbookctl serve`, shown while waiting


@dataclass
class Services:
    """Everything a run talks to; passed in so tests can use fakes."""

    prompter: Prompter
    events: EventStream
    redactor: Redactor
    ui: UI
    local: Executor
    ssh: Callable[[], Executor] | None
    run_dir: Path
    resolve_runbook: Callable[[str], Runbook]
    template_source: Callable[[str], str | None]
    resolve_hosts: Callable[[Step, Runbook], list[str]] | None = None
    # Where a waiting approval also looks for a decision (besides the run's journal).
    decision_sources: tuple[DecisionSource, ...] = ()


@dataclass
class RunVars:
    """The names templates see; `steps` holds each step's outcome."""

    values: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)

    def scope(self, **extra: Any) -> dict[str, Any]:
        return {**self.values, "steps": self.steps, "run": self.run, **extra}

    def record_step(self, step: Step, key: str, **outcome: Any) -> None:
        view = self.steps.setdefault(key, {"status": None, "exit_code": None, "stdout": "",
                                           "stderr": "", "answer": None, "hosts": {}})
        view.update(outcome)
        self.steps[step.id] = view
        self.steps[step.id.replace("-", "_")] = view


class Resources:
    """What a run holds for its steps: the one SSH executor (one connection per host,
    reused across steps), the sudo password (asked once) and the numbering of logs."""

    def __init__(self, sv: Services) -> None:
        self._sv = sv
        self._ssh: Executor | None = None
        self._sudo: str | None = None
        self._logs: int | None = None  # the last log number used; read from run_dir at first
        # Journals the reminders due (Engine.remind, set by the engine): a step that waits
        # long for someone (an approval) calls it at each look, as waits between steps do.
        self.remind: Callable[[], None] = lambda: None

    def ssh(self) -> Executor:
        if self._ssh is None:
            if self._sv.ssh is None:
                raise RuntimeError("no SSH executor configured")
            self._ssh = self._sv.ssh()
        return self._ssh

    def sudo_password(self, key: str) -> str | None:
        """The sudo password, asked once per run (hidden, masked, never journaled).

        Empty means passwordless sudo; a non-interactive run without one uses `sudo -n`.
        """
        if self._sudo is None:
            if not self._sv.prompter.interactive:
                return None
            self._sudo = self._sv.prompter.secret(key, "sudo password for the remote hosts "
                                                       "(empty for passwordless sudo)")
            if self._sudo:
                self._sv.redactor.add(self._sudo, "sudo")
        return self._sudo or None

    def log_path(self, key: str) -> Path:
        """The next command log of the run: numbered in the order commands ran, across
        every session of the run (a resumed run numbers on after the logs already
        there, never over one the journal's sha256 speaks for)."""
        if self._logs is None:
            self._logs = last_log_number(self._sv.run_dir / "logs")
        self._logs += 1
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
        return self._sv.run_dir / "logs" / f"{self._logs:04d}-{safe}.log"

    def close(self) -> None:
        if self._ssh is not None:
            self._ssh.close()


@dataclass(frozen=True, slots=True)
class StepContext:
    """One step as its runner sees it: the step, its key (`child/step` inside an include),
    the runbook holding it, the run's variables and options, and the services it may use."""

    step: Step
    key: str
    rb: Runbook
    vars: RunVars
    opts: Options
    prompter: Prompter
    ui: UI
    redactor: Redactor
    publish: Publish
    resources: Resources
    local: Executor
    run_dir: Path
    template_source: Callable[[str], str | None]
    resolve_hosts: Callable[[Step, Runbook], list[str]] | None

    def scope(self, **extra: Any) -> dict[str, Any]:
        return self.vars.scope(**extra)

    def shown(self, source: str, what: str) -> str:
        """Render text a person will see; secrets masked (they are in scope for commands only)."""
        return self.redactor.mask(render_text(source, self.vars.scope(), what))

    def record(self, **outcome: Any) -> None:
        """What `steps.<id>` shows later steps about this one."""
        self.vars.record_step(self.step, self.key, **outcome)

    def record_answer(self, kind: str, question: str, answer: Answer, **extra: Any) -> None:
        """Journal an answer with its origin and who gave it."""
        self.publish(ev.ANSWER, self.key, actor=answer.actor, kind=kind, question=question,
                     value=answer.value, origin=answer.origin, note=answer.note, **extra)


_LOG_NUMBER = re.compile(r"(\d+)-")
_JOURNALED_LOG = re.compile(rb'/logs/(\d+)-')


def last_log_number(folder: Path) -> int:
    """The highest number among the command logs in `folder` (`0007-step.log`,
    `0007-step.host.log`) and those the run's journal beside it names (a command
    that printed nothing has no file, but its number is taken: a later session
    reusing it would give two commands one name); 0 when there are none."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:  # no logs yet (a new run) or no folder
        names = []
    numbers = [int(m.group(1)) for m in map(_LOG_NUMBER.match, names) if m]
    try:
        journal = (folder.parent / "journal.jsonl").read_bytes()
    except OSError:
        journal = b""
    numbers += (int(n) for n in _JOURNALED_LOG.findall(journal))
    return max(numbers, default=0)
