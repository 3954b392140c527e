"""Fakes to run the engine in-process: a scripted prompter, a display that records what
it shows, a local executor that returns scripted results, and a real journal in a
temporary directory (what resume and the report read is the record itself)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbookctl.engine.context import Options, RunVars, Services
from runbookctl.engine.stream import EventStream
from runbookctl.engine.walk import Engine
from runbookctl.errors import NoAnswerError
from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.prompts.protocol import Answer
from runbookctl.record.events import Recorder
from runbookctl.record.journal import Event, Journal, read_journal
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import InputSpec, Runbook
from runbookctl.safety.masking import Redactor


@dataclass
class ScriptedPrompter:
    """Answers from `answers` (key -> value, or a list used in turn); `resume` plays an
    answers file's `resume:` entries. Anything else: NoAnswerError, as with no terminal."""

    answers: dict[str, Any] = field(default_factory=dict)
    resume: dict[str, str] = field(default_factory=dict)
    interactive: bool = True
    asked: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def _take(self, key: str, kind: str, choices: Sequence[str] = ()) -> Answer:
        self.asked.append((key, kind, tuple(choices)))
        if key not in self.answers:
            raise NoAnswerError(f"step '{key}' needs an answer ({kind})")
        value = self.answers[key]
        if isinstance(value, list):
            value = value.pop(0)
        return Answer(value, "terminal", "tester")

    def confirm(self, key: str, question: str, *, dangerous: bool, no_means: str,
                detail: str | None = None) -> Answer:
        return self._take(key, "confirm")

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        return self._take(key, "ask")

    def manual(self, key: str, text: str) -> Answer:
        return self._take(key, "manual")

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        return self._take(key, "on_failure", choices)

    def resume_answer(self, key: str) -> Answer | None:
        written = self.resume.get(key)
        return None if written is None else Answer(written, "answers-file", "answers.yaml")

    def on_resume(self, key: str, question: str, choices: Sequence[str]) -> Answer:
        return self._take(key, "resume", choices)

    def secret(self, key: str, prompt: str) -> str:
        raise NoAnswerError(f"secret {key}")


class ShownDisplay:
    """Records what the run shows, as (kind, text) pairs."""

    def __init__(self) -> None:
        self.masker: Any = None
        self.shown: list[tuple[str, str]] = []

    def _add(self, kind: str, text: str) -> None:
        self.shown.append((kind, text))

    def step(self, key: str, title: str, action: str) -> None:
        self._add("step", key)

    def command(self, display: str, hosts: list[str] | None = None) -> None:
        self._add("command", display)

    def output(self, host: str, stream: str, text: str) -> None:
        self._add("output", text)

    def flush_output(self) -> None:
        pass

    def ok(self, text: str) -> None:
        self._add("ok", text)

    def fail(self, text: str) -> None:
        self._add("fail", text)

    def skip(self, text: str) -> None:
        self._add("skip", text)

    def info(self, text: str) -> None:
        self._add("info", text)

    def warn(self, text: str) -> None:
        self._add("warn", text)

    def block(self, title: str, text: str) -> None:
        self._add("block", text)


class ScriptedLocal:
    """A local executor: `exits[step key]` is the exit code (a list: one per attempt);
    0 when not given. `ran` lists the keys in the order they ran."""

    def __init__(self, exits: dict[str, Any] | None = None) -> None:
        self.exits = dict(exits or {})
        self.ran: list[str] = []

    def execute(self, spec: CommandSpec, sink: Any, masker: Any) -> list[HostResult]:
        self.ran.append(spec.step_id)
        code = self.exits.get(spec.step_id, 0)
        if isinstance(code, list):
            code = code.pop(0)
        return [HostResult("local", code, 0.01, stdout="out\n", tail="out")]

    def close(self) -> None:
        pass


@dataclass
class Harness:
    engine: Engine
    events: EventStream
    journal_path: Path
    display: ShownDisplay
    local: ScriptedLocal

    def journal(self) -> list[Event]:
        return read_journal(self.journal_path).events


def runbook(text: str, path: str = "rb.yaml") -> Runbook:
    return load_runbook_text(text, path)


def harness(tmp_path: Path, rb: Runbook, prompter: Any, *, local: ScriptedLocal | None = None,
            journal: Journal | None = None, runbooks: dict[str, Runbook] | None = None,
            redactor: Redactor | None = None) -> Harness:
    """An Engine over real journal, fake everything else."""
    path = tmp_path / "journal.jsonl"
    redactor = redactor or Redactor()
    recorder = Recorder(journal or Journal.create(path), redactor)
    display = ShownDisplay()
    events = EventStream(recorder, warn=display.warn)
    local = local or ScriptedLocal()
    books = runbooks or {}
    resolve: Callable[[str], Runbook] = books.__getitem__
    services = Services(prompter=prompter, events=events, redactor=redactor, ui=display,
                        local=local, ssh=None, run_dir=tmp_path, resolve_runbook=resolve,
                        template_source=lambda name: None)
    engine = Engine(rb, services, Options(), RunVars(run={"id": "r1"}))
    return Harness(engine, events, path, display, local)
