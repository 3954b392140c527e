"""The one place that builds an Engine for the in-process engine tests.

`make_engine(yaml_text, executor=FakeExecutor({...}), prompter=FakePrompter([...]))`
returns a `Run`: the engine, and what a user would check afterwards — the journal's
events, each step's status, the questions asked and the commands executed. When the
Engine's constructor changes, only `make_engine` (and `resume_engine`) change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbookctl.engine.context import Options, ResumePoint, RunVars, Services
from runbookctl.engine.stream import EventStream
from runbookctl.engine.walk import Engine
from runbookctl.errors import NoAnswerError
from runbookctl.executors.base import CommandSpec, HostResult, Masker, OutputSink
from runbookctl.prompts.protocol import ORIGIN_TERMINAL, Answer
from runbookctl.record.events import Recorder
from runbookctl.record.journal import GENESIS, Event, canonical_json, event_hash
from runbookctl.record.replay import RunState, replay
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import InputSpec, Runbook, Step
from runbookctl.safety.masking import Redactor

OPERATOR = "tester"


# --- executor -------------------------------------------------------------------------

@dataclass(frozen=True)
class Out:
    """What a fake command does on a host: its exit code and output, or how it did not end."""

    exit: int | None = 0
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    interrupted: bool = False
    error: str | None = None
    truncated: bool = False


# A Mapping: host -> outcome (ssh steps). An exception: raised while the command runs
# (KeyboardInterrupt: Ctrl-C reached runbookctl during the command).
Outcome = int | Out | Mapping[str, "int | Out"] | BaseException


class FakeExecutor:
    """Runs nothing: answers each command from a script and records what was asked.

    `script` maps a substring of the command to its outcomes, one per execution
    (the last one repeats). A command no key matches exits 0 with no output.
    """

    def __init__(self, script: Mapping[str, Outcome | Sequence[Outcome]] | None = None) -> None:
        self.script = {k: list(v) if isinstance(v, list | tuple) else [v]
                       for k, v in (script or {}).items()}
        self.specs: list[CommandSpec] = []
        self.closed = False
        self.ssh_made = 0  # how many times the run made its SSH executor

    @property
    def commands(self) -> list[str]:
        """Every command executed, in order (a retried command appears once per attempt)."""
        return [spec.command for spec in self.specs]

    def count(self, fragment: str) -> int:
        return sum(fragment in command for command in self.commands)

    def execute(self, spec: CommandSpec, sink: OutputSink, masker: Masker, *,
                remote: bool = False) -> list[HostResult]:
        self.specs.append(spec)
        outcome = self._next(spec.command)
        hosts = list(spec.hosts) if remote else ["local"]
        if spec.on_start is not None:
            spec.on_start(4242, "start-time")
        if isinstance(outcome, BaseException):
            raise outcome
        return [_result(host, outcome[host] if isinstance(outcome, Mapping) else outcome, masker)
                for host in hosts]

    def _next(self, command: str) -> Outcome:
        for fragment, outcomes in self.script.items():
            if fragment in command:
                return outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        return 0

    def dry_run_lines(self, spec: CommandSpec) -> list[str]:
        return [f"{host}: {spec.display}" for host in spec.hosts]

    def close(self) -> None:
        self.closed = True

    def over_ssh(self) -> _OverSSH:
        """This executor as the run's SSH executor: one result per host (none without hosts)."""
        self.ssh_made += 1
        return _OverSSH(self)


class _OverSSH:
    def __init__(self, fake: FakeExecutor) -> None:
        self.fake = fake

    def execute(self, spec: CommandSpec, sink: OutputSink, masker: Masker) -> list[HostResult]:
        return self.fake.execute(spec, sink, masker, remote=True)

    def dry_run_lines(self, spec: CommandSpec) -> list[str]:
        return self.fake.dry_run_lines(spec)

    def close(self) -> None:
        self.fake.close()


def _result(host: str, outcome: int | Out, masker: Masker) -> HostResult:
    out = Out(outcome) if isinstance(outcome, int) else outcome
    return HostResult(host=host, exit_code=out.exit, duration=0.01,
                      stdout=masker.mask(out.stdout), stderr=masker.mask(out.stderr),
                      stdout_truncated=out.truncated, timed_out=out.timed_out,
                      interrupted=out.interrupted, error=out.error,
                      tail=masker.mask(out.stdout)[-200:])


# --- prompter -------------------------------------------------------------------------

@dataclass(frozen=True)
class Asked:
    """One question the engine asked: which prompt, at which key, with what text/choices."""

    kind: str  # confirm | ask | manual | on_failure | secret
    key: str
    text: str
    choices: tuple[str, ...] = ()  # confirm: (what a no does,)
    detail: str | None = None  # confirm: the command and its hosts
    dangerous: bool = False


class FakePrompter:
    """Answers from a list, in order, and records every question. With the list used up
    it behaves like a run with nobody to ask: NoAnswerError (the run stops, resumable)."""

    def __init__(self, answers: Iterable[object] = (), interactive: bool = True,
                 secret: str = "") -> None:
        self.answers = list(answers)
        self.asked: list[Asked] = []
        self._interactive = interactive
        self._secret = secret

    @property
    def interactive(self) -> bool:
        return self._interactive

    @property
    def actor(self) -> str:
        return OPERATOR

    def _answer(self, asked: Asked) -> Answer:
        self.asked.append(asked)
        if not self.answers:
            raise NoAnswerError(f"no answer for {asked.key} ({asked.kind})")
        value = self.answers.pop(0)
        return value if isinstance(value, Answer) else Answer(value, ORIGIN_TERMINAL, OPERATOR)

    def confirm(self, key: str, question: str, *, dangerous: bool, no_means: str,
                detail: str | None = None, default: bool = False) -> Answer:
        return self._answer(Asked("confirm", key, question, (no_means,), detail, dangerous))

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        assert isinstance(spec, InputSpec), "a real prompter needs the answer's shape"
        return self._answer(Asked("ask", key, question, (spec.name,)))

    def manual(self, key: str, text: str) -> Answer:
        return self._answer(Asked("manual", key, text))

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        answer = self._answer(Asked("on_failure", key, message, tuple(choices)))
        # a person picks from a menu: an answer the engine did not offer is a broken test
        assert answer.value in choices, f"{answer.value!r} was not offered: {choices}"
        return answer

    def resume_answer(self, key: str) -> Answer | None:
        return None  # nothing written: the person is asked (on_resume)

    def on_resume(self, key: str, question: str, choices: Sequence[str]) -> Answer:
        return self.on_failure(key, question, choices)  # a menu, as at the terminal

    def secret(self, key: str, prompt: str) -> str:
        self.asked.append(Asked("secret", key, prompt))
        return self._secret

    def hand_over(self, key: str, command: str) -> Answer:
        """A person at the terminal takes the session; without one, NoAnswerError."""
        if not self._interactive:
            raise NoAnswerError(f"step '{key}' is interactive (it needs a terminal)")
        return Answer("run", ORIGIN_TERMINAL, OPERATOR)


def note(value: str, text: str) -> Answer:
    """A manual answer with a note (skipped / failed)."""
    return Answer(value, ORIGIN_TERMINAL, OPERATOR, note=text)


# --- display and journal --------------------------------------------------------------

class FakeDisplay:
    """The terminal, as lines of text: `lines` holds ('fail', 'exit code 1'), ..."""

    live = False

    def __init__(self) -> None:
        self.masker: Masker | None = None
        self.lines: list[tuple[str, str]] = []
        self.blocks: list[tuple[str, str]] = []  # (title, text) of instructions and messages
        self.commands_shown: list[tuple[str, list[str] | None]] = []  # (command, hosts)
        self.summed_up: list[list[str]] = []  # the hosts of each command's end (hosts_done)

    def _say(self, kind: str, text: str) -> None:
        self.lines.append((kind, text))

    def step(self, key: str, title: str, action: str) -> None:
        self._say("step", key)

    def jump(self, to: str, why: str) -> None:
        self._say("jump", f"{why} -> {to}")

    def attempt(self, number: int, attempts: int | None, elapsed: float | None = None,
                within: float | None = None) -> None:
        self._say("attempt", f"{number}/{attempts}" if within is None else f"poll {number}")

    def running(self) -> None:
        pass

    def hold(self) -> None:
        pass

    def command(self, display: str, hosts: list[str] | None = None) -> None:
        self._say("command", display)
        self.commands_shown.append((display, hosts))

    def output(self, host: str, stream: str, text: str) -> None:
        self._say("output", text)

    def flush_output(self) -> None:
        pass

    def hosts_done(self, results: Sequence[HostResult]) -> None:
        self.summed_up.append([r.host for r in results])

    def ok(self, text: str) -> None:
        self._say("ok", text)

    def fail(self, text: str) -> None:
        self._say("fail", text)

    def skip(self, text: str) -> None:
        self._say("skip", text)

    def block(self, title: str, text: str) -> None:
        self._say("block", text)
        self.blocks.append((title, text))

    def info(self, text: str) -> None:
        self._say("info", text)

    def warn(self, text: str) -> None:
        self._say("warn", text)

    def said(self, kind: str) -> list[str]:
        return [text for k, text in self.lines if k == kind]


class MemoryJournal:
    """A hash-chained journal in memory: what Recorder writes, replayable like the file."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self.events: list[Event] = list(events)

    @property
    def head_hash(self) -> str:
        return self.events[-1].hash if self.events else GENESIS

    def append(self, type: str, step: str | None, actor: str,
               data: Mapping[str, Any] | None = None, *, sync: bool = True) -> Event:
        clean = json.loads(json.dumps(dict(data or {}), default=str))
        body = {"seq": len(self.events) + 1, "ts": "2026-01-01T00:00:00.000Z", "type": type,
                "step": step, "actor": actor, "data": clean}
        event = Event(hash=event_hash(self.head_hash, body), **body)
        assert canonical_json(event.to_dict())  # every event must be writable as a line
        self.events.append(event)
        return event


# --- the builder ----------------------------------------------------------------------

@dataclass
class Run:
    """An engine ready to run, and everything a test looks at afterwards."""

    engine: Engine
    runbook: Runbook
    executor: FakeExecutor
    prompter: FakePrompter
    display: FakeDisplay
    journal: MemoryJournal
    result: tuple[str, str] | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def run(self, resume: ResumePoint | None = None) -> tuple[str, str]:
        """Walk to the end: (run status, reason), as the CLI reports them."""
        self.result = self.engine.run(resume)
        return self.result

    def events(self, type_: str | None = None, step: str | None = None) -> list[Event]:
        return [e for e in self.journal.events
                if (type_ is None or e.type == type_) and (step is None or e.step == step)]

    @property
    def statuses(self) -> dict[str, str]:
        """Each step's last status, as journaled (finished or skipped), in walk order."""
        out: dict[str, str] = {}
        for e in self.events():
            if e.type in ("step_finished", "step_skipped") and e.step is not None:
                out.pop(e.step, None)
                out[e.step] = e.data.get("status", "skipped")
        return out

    def answers(self) -> list[tuple[str | None, str, str, object]]:
        """The answers journaled: (step, kind, question, value)."""
        return [(e.step, e.data["kind"], e.data["question"], e.data["value"])
                for e in self.events("answer")]

    @property
    def walked(self) -> list[str]:
        """The steps started, in order (a step run twice appears twice)."""
        return [str(e.step) for e in self.events("step_started")]

    def state(self) -> RunState:
        """The journal replayed, as `resume`, `show` and the report read it."""
        return replay(self.journal.events)


def make_engine(yaml_text: str, *, executor: FakeExecutor | None = None,
                prompter: FakePrompter | None = None, includes: Mapping[str, str] | None = None,
                values: Mapping[str, Any] | None = None, dry_run: bool = False,
                from_step: str | None = None, templates: Mapping[str, str] | None = None,
                hosts: Callable[[Step, Runbook], list[str]] | None = None,
                journal: MemoryJournal | None = None, redactor: Redactor | None = None,
                without: frozenset[str] = frozenset(), run_dir: Path | None = None) -> Run:
    """An Engine over `yaml_text` with fake services; nothing runs, nothing is written.

    `includes`: runbook id -> YAML text of runbooks it may include. `values`: inputs.
    `hosts`: resolves an ssh step's hosts (default: the step's `hosts:` as written).
    `without`: services this build lacks: "ssh" (no SSH executor), "hosts" (no resolver).
    """
    runbook = load_runbook_text(yaml_text, "test.yaml")
    books = {rid: load_runbook_text(text, f"{rid}.yaml") for rid, text in (includes or {}).items()}
    executor = executor or FakeExecutor()
    prompter = prompter or FakePrompter()
    display, journal = FakeDisplay(), journal or MemoryJournal()
    redactor = redactor or Redactor()
    recorder = Recorder(journal, redactor)  # type: ignore[arg-type]  # a journal in memory
    services = Services(
        prompter=prompter, events=EventStream(recorder, warn=display.warn), redactor=redactor,
        ui=display, local=executor,
        ssh=None if "ssh" in without else executor.over_ssh, run_dir=run_dir or Path("run-dir-never-written"),
        resolve_runbook=lambda rid: books[rid],
        template_source=lambda name: (templates or {}).get(name),
        resolve_hosts=None if "hosts" in without else hosts or (lambda step, rb: list(step.hosts)),
    )
    options = Options(dry_run=dry_run, from_step=from_step, default_timeout=30.0,
                      operator=OPERATOR)
    variables = RunVars(values=dict(values or {}), run={"id": "run-1", "operator": OPERATOR})
    engine = Engine(runbook, services, options, variables)
    return Run(engine, runbook, executor, prompter, display, journal)


def resume_engine(first: Run, yaml_text: str, *, executor: FakeExecutor | None = None,
                  prompter: FakePrompter | None = None, includes: Mapping[str, str] | None = None
                  ) -> tuple[Run, ResumePoint | None]:
    """A second engine continuing `first`'s journal, as `runbookctl resume` does: replay
    the journal, restore the values steps captured or were answered, find where to pick up."""
    from runbookctl.engine.resume import resume_point

    state = first.state()
    values = {**first.engine.vars.values}
    for rec in state.steps.values():
        values.update(rec.captures)
    values.update({str(a["var"]): a.get("value") for a in state.answers
                   if a.get("kind") == "ask" and a.get("var")})
    second = make_engine(yaml_text, executor=executor, prompter=prompter, includes=includes,
                         values=values, journal=first.journal)
    second.engine.failed_steps = state.failed_keys
    point = resume_point(state, second.engine)
    return second, point
