"""Builds a run: prompter, inputs, secrets, masking, run dir, journal, engine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from runbookctl import __version__
from runbookctl.engine.request import RunRequest, git_commit_of, new_run_id, operator_name
from runbookctl.engine.shell_escape import offer_shells
from runbookctl.errors import NoAnswerError, UsageError, ValidationError
from runbookctl.positions import Pos
from runbookctl.prompts.protocol import ORIGIN_DEFAULT, ORIGIN_ENV, ORIGIN_VAR, ORIGIN_VARS_FILE
from runbookctl.record import events as ev
from runbookctl.runbook import config as cfg
from runbookctl.runbook.values import coerce_value, display_value, parse_var_options

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.engine.carried import Carried
    from runbookctl.engine.display import Display as UI
    from runbookctl.engine.stream import EventStream
    from runbookctl.engine.walk import Engine
    from runbookctl.prompts.protocol import Prompter
    from runbookctl.record.events import Recorder
    from runbookctl.record.log_copies import LogCaps
    from runbookctl.record.signing import SigningSetup
    from runbookctl.runbook.model import InputSpec, Runbook, SecretSpec
    from runbookctl.safety.masking import Redactor


Spec = TypeVar("Spec", "InputSpec", "SecretSpec")


@dataclass
class PreparedRun:
    run_id: str
    run_dir: Path
    engine: Engine
    events: EventStream
    redactor: Redactor
    commit: bool
    template_dirs: list[Path] | None = None
    signing: SigningSetup | None = None  # the key that signs the record at each end
    log_caps: LogCaps | None = None  # how much of the logs --commit carries


def signing_setup(session: Session) -> SigningSetup:
    """Which key signs this run's record (config ssh.signing_key, else the agent)."""
    from runbookctl.record.signing import SigningSetup

    return SigningSetup.from_ssh(session.config.ssh)


def log_caps(session: Session) -> LogCaps:
    """How much of a run's logs --commit copies beside the report (config commit_log_cap,
    commit_logs_cap)."""
    from runbookctl.record.log_copies import LogCaps

    return LogCaps(session.config.commit_log_cap, session.config.commit_logs_cap)


def all_inputs(rb: Runbook, session: Session) -> list[tuple[InputSpec, str]]:
    """Inputs of the runbook and of every runbook it includes (first wins)."""
    return _first_of_each([(spec, book.id) for book in _books(rb, session)
                           for spec in book.inputs])


def all_secrets(rb: Runbook, session: Session) -> list[SecretSpec]:
    """Secrets of the runbook and of every runbook it includes, transitively (first
    wins; validate refuses one name declared with two environment variables)."""
    specs = [(spec, book.id) for book in _books(rb, session) for spec in book.secrets]
    return [spec for spec, _owner in _first_of_each(specs)]


def _books(rb: Runbook, session: Session) -> list[Runbook]:
    from runbookctl.runbook.includes import books

    return list(books(rb, session.registry.try_load))


def _first_of_each(specs: list[tuple[Spec, str]]) -> list[tuple[Spec, str]]:
    names: set[str] = set()
    unique = []
    for spec, owner in specs:
        if spec.name not in names:
            names.add(spec.name)
            unique.append((spec, owner))
    return unique


def carried_of(rb: Runbook, session: Session, from_step: str | None) -> list[Carried]:
    """The names the steps before `from_step` would have set that later steps read."""
    from runbookctl.engine.carried import carried_names

    return carried_names(rb, from_step, session.registry.try_load, session.template_source)


class VarsFile:
    """`--vars-file`: its values, and where each is, so that a problem with one is said at
    its file:line:col as validate says a runbook's."""

    def __init__(self, path: Path | None) -> None:
        from runbookctl.runbook.yaml_positions import YNode, read_yaml_map, to_plain

        self.values: dict[str, Any] = {}
        self._text, self._node = "", YNode({}, Pos("", 0, 0))
        if path is not None:
            self._text, self._node = read_yaml_map(path, "vars file", "name: value")
            self.values = to_plain(self._node)

    def error(self, name: str, message: str, at_key: bool = False) -> ValidationError:
        """`message` at the entry `name` (its value, or its key: `at_key`)."""
        from runbookctl.runbook.yaml_positions import problem

        pos = self._node.key_pos[name] if at_key else self._node.value[name].pos
        return ValidationError([problem(self._text, pos, message)])


def resolve_inputs(req: RunRequest, specs: list[tuple[InputSpec, str]], prompter: Prompter,
                   carried: list[Carried] | None = None) -> list[tuple[InputSpec, Any, str]]:
    """Each input's typed value and where it came from; exit 2 on a bad or missing one.

    `carried`: the names steps skipped by --from would have set, given like inputs."""
    from runbookctl.engine.carried import resolve_carried

    cli = parse_var_options(req.variables)
    vars_file = VarsFile(req.vars_file)
    from_file = vars_file.values
    known = {s.name for s, _ in specs} | {c.name for c in carried or ()}
    inputs = f"(inputs: {', '.join(sorted(known)) or 'none'})"
    unknown = sorted(set(cli) - known)
    if unknown:
        raise UsageError(f"--var {unknown[0]}: the runbook has no input '{unknown[0]}' {inputs}")
    for name in from_file:  # a typo is refused as with --var, not left for the default
        if name not in known:
            raise vars_file.error(name, f"{name}: the runbook has no input '{name}' {inputs}",
                                  at_key=True)
    keep_defaults = _accept_defaults(specs, cli, from_file, prompter)
    out = []
    for spec, _owner in specs:
        if spec.name in keep_defaults:
            raw, origin = spec.default, "default (accepted at start)"
        else:
            raw, origin = _raw_input(spec, cli, from_file, prompter)
        try:
            value = coerce_value(spec, raw)
        except ValueError as exc:
            shown = f"{spec.name}: the value does not fit (secret: not shown)" if spec.secret else exc
            if origin == ORIGIN_VARS_FILE:
                raise vars_file.error(spec.name, f"input {shown} (from {origin})") from None
            raise UsageError(f"input {shown} (from {origin})") from None
        out.append((spec, value, origin))
    return out + resolve_carried(carried or [], cli, from_file, prompter, req.from_step)


def _accept_defaults(specs: list[tuple[InputSpec, str]], cli: dict[str, str],
                     from_file: dict[str, Any], prompter: Prompter) -> set[str]:
    """At a terminal, offer every defaulted input at once instead of one prompt each:
    at 3 a.m. nobody wants to press Enter eight times. 'no' asks them one by one."""
    pending = [spec for spec, _owner in specs if spec.name not in cli and spec.name not in from_file
               and spec.default is not None and not spec.secret]
    if len(pending) < 2 or not prompter.interactive:
        return set()
    listing = "\n".join(f"  {spec.name} = {spec.default!r}" + (f"  ({spec.help})" if spec.help else "")
                        for spec in pending)
    answer = prompter.confirm("inputs", f"Use these defaults?\n{listing}\n", dangerous=False,
                              no_means="ask each one in turn", default=True)
    return {spec.name for spec in pending} if answer.value is True else set()


def _raw_input(spec: InputSpec, cli: dict[str, str], from_file: dict[str, Any],
               prompter: Prompter) -> tuple[Any, str]:
    if spec.name in cli:
        return cli[spec.name], ORIGIN_VAR
    if spec.name in from_file:
        return from_file[spec.name], ORIGIN_VARS_FILE
    if prompter.interactive:
        if spec.secret:
            return prompter.secret(spec.name, spec.prompt or spec.name), "terminal"
        answer = prompter.ask(f"input:{spec.name}", spec.prompt or spec.name, spec)
        return answer.value, answer.origin
    if spec.default is not None:
        return spec.default, ORIGIN_DEFAULT
    if not spec.required:
        return None, ORIGIN_DEFAULT
    raise NoAnswerError(f"input '{spec.name}' needs a value and there is no terminal to ask: "
                        f"pass --var {spec.name}=VALUE or put it in --vars-file")


def resolve_secrets(specs: list[SecretSpec], prompter: Prompter) -> list[tuple[str, str, str]]:
    """(name, value, origin) of each declared secret: env first, else asked hidden."""
    out = []
    for spec in specs:
        env_name = spec.env or spec.name
        value = os.environ.get(env_name)
        origin = f"{ORIGIN_ENV} {env_name}"
        if value is None:
            if not prompter.interactive:
                raise NoAnswerError(f"secret '{spec.name}' is not set: export {env_name}=... "
                                    f"(secrets are never read from answers files)")
            value = prompter.secret(spec.name, spec.prompt or f"{spec.name} (hidden)")
            origin = "terminal"
        out.append((spec.name, value, origin))
    return out


def prepare_run(req: RunRequest, session: Session, rb: Runbook, ui: UI) -> PreparedRun:
    from runbookctl.engine.context import RunVars
    from runbookctl.prompts.terminal import make_prompter
    from runbookctl.record import lock as runlock
    from runbookctl.record.events import Recorder
    from runbookctl.record.journal import Journal
    from runbookctl.runbook.inventory import parse_cli_hosts
    from runbookctl.safety.masking import Redactor, set_active
    from runbookctl.safety.templating import require_safe_jinja2
    from runbookctl.signals import deferred

    require_safe_jinja2()  # before anything runs, even a runbook without a template
    operator = operator_name(req, session)
    prompter = make_prompter(operator=operator, answers_path=req.answers, yes=req.yes,
                             no_input=req.no_input)
    if req.from_step and req.from_step not in rb.step_ids:
        raise UsageError(f"--from {req.from_step}: no such step in {rb.id} "
                         f"(steps: {', '.join(rb.step_ids)})")
    secrets = resolve_secrets(all_secrets(rb, session), prompter)
    inputs = resolve_inputs(req, all_inputs(rb, session), prompter, carried_of(rb, session,
                                                                              req.from_step))
    redactor = Redactor()
    set_active(redactor)
    for name, value, _origin in secrets:
        redactor.add(value, name)
    for spec, value, _origin in inputs:
        if spec.secret and value:
            redactor.add(str(value), spec.name)
    run_id = new_run_id(rb.id)
    # A signal between the run's folder and its run_started would leave a journal that
    # names no run: no command could resume, list or discard it. It waits for run_started.
    with deferred():
        state = cfg.state_dir(session.config)
        run_dir = cfg.make_state_subdir(state, "runs", run_id)
        with _first_writes(state, run_dir):
            runlock.acquire(run_dir, "runbookctl run")  # held until the process ends
            journal = Journal.create(run_dir / "journal.jsonl")
            events = event_stream(Recorder(journal, redactor), ui)
        notify_run(events, ui, session, rb, secrets, run_id)  # before run_started: notified
        report_dir = cfg.reports_dir(req.report_dir, session.config).resolve()
        with _first_writes(state, run_dir):
            events.publish(
                ev.RUN_STARTED, None, actor=operator, run_id=run_id, runbook=rb.id,
                title=rb.title, severity=rb.severity, path=str(Path(rb.path).resolve()),
                sha256=rb.sha256, git_commit=git_commit_of(Path(rb.path)),
                version=__version__, incident=req.incident, report_dir=str(report_dir),
                dry_run=req.dry_run, from_step=req.from_step,
                answers=_answers_meta(req.answers), no_input=req.no_input, yes=req.yes,
                hosts=parse_cli_hosts(req.hosts) or None)  # resume runs on them again
    scope: dict[str, Any] = {}
    for spec, value, origin in inputs:
        scope[spec.name] = value
        events.publish(ev.INPUT, None, actor=operator, name=spec.name,
                       value=display_value(spec, value), origin=origin)
    for name, value, origin in secrets:
        scope[name] = value
        events.publish(ev.SECRET, None, name=name, origin=origin)
    variables = RunVars(values=scope, run={"id": run_id, "operator": operator,
                                           "runbook": rb.id, "started_at": run_id[:16]})
    engine = build_engine(rb, session, req, ui, prompter, events, run_dir, variables, operator)
    return PreparedRun(run_id, run_dir, engine, events, redactor, req.commit,
                       session.registry.template_dirs, signing_setup(session), log_caps(session))


@contextmanager
def _first_writes(state: Path, run_dir: Path) -> Iterator[None]:
    """The run's lock and first event: a state folder that takes no write (full, read-only)
    is exit 2 naming it (README: exit codes), and no run folder is left behind."""
    from runbookctl.errors import JournalError
    from runbookctl.record import lock as runlock

    try:
        yield
    except (runlock.LockError, JournalError) as exc:
        runlock.release(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        raise UsageError(f"cannot write to the state folder {state}: {exc.message}; set "
                         "RUNBOOKCTL_STATE_DIR or state_dir: in runbookctl.yaml to a "
                         "writable folder") from None


def event_stream(recorder: Recorder, ui: UI) -> EventStream:
    """The run's event stream, journaling to `recorder`; a failing optional subscriber
    is named on the terminal (engine/stream.py)."""
    from runbookctl.engine.stream import EventStream

    return EventStream(recorder, warn=ui.warn)


def notify_run(events: EventStream, ui: UI, session: Session, rb: Runbook,
               secrets: list[tuple[str, str, str]], run_id: str) -> None:
    """Subscribe the run's notifications (`notify:` of the config and the runbook)."""
    from runbookctl.runbook.notify import merged

    hooks = merged(session.config.notify, rb.notify)
    if hooks:  # the network code is imported only for a run that notifies
        from runbookctl.engine.notify import attach

        attach(events, ui.warn, hooks, {name: value for name, value, _o in secrets},
               {"run_id": run_id, "runbook": rb.id, "title": rb.title,
                "link": session.config.run_url(run_id)})


def build_engine(rb: Runbook, session: Session, req: RunRequest, ui: UI, prompter: Prompter,
                 events: EventStream, run_dir: Path, variables: Any, operator: str) -> Engine:
    """The engine and the services it talks to (shared by run and resume)."""
    from runbookctl.engine.context import Options, Services
    from runbookctl.engine.walk import Engine
    from runbookctl.executors.local import LocalExecutor

    ui.masker = events.redactor
    for name in events.redactor.ignored:
        ui.warn(f"secret {name} is shorter than 4 characters and cannot be masked reliably")
    services = Services(
        prompter=prompter, events=events, redactor=events.redactor, ui=ui,
        local=LocalExecutor(), ssh=_ssh_factory(session), run_dir=run_dir,
        resolve_runbook=session.registry.load, template_source=session.template_source,
        resolve_hosts=_host_resolver(session, req),
    )
    options = Options(dry_run=req.dry_run, from_step=req.from_step,
                      default_timeout=session.config.default_timeout, operator=operator,
                      approvals=session.config.approvals,
                      run_url=session.config.run_url(run_dir.name))
    take_notes(prompter, events, operator)
    engine = Engine(rb, services, options, variables)
    offer_shells(prompter, engine)  # `!` at a question: a recorded shell, then the question
    return engine


def take_notes(prompter: Prompter, events: EventStream, operator: str) -> bool:
    """A note the operator adds at a question is journaled at once, where it was made."""
    from runbookctl.prompts.terminal import attach_notes

    def note(key: str, text: str) -> None:
        events.publish(ev.NOTE, key or None, actor=operator, text=text,
                       origin=ev.NOTE_AT_PROMPT)

    return attach_notes(prompter, note)


def _answers_meta(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    import hashlib

    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        raise UsageError(f"--answers file not found: {path}") from None
    return {"path": str(path), "sha256": digest}


def _ssh_factory(session: Session) -> Any:
    def make() -> Any:
        from runbookctl.executors.ssh.client import SSHExecutor
        from runbookctl.executors.ssh.settings import SSHConfig

        # load_config checked and converted these (config.SSH_SETTINGS)
        return SSHExecutor(SSHConfig(**session.config.ssh))

    return make


def _host_resolver(session: Session, req: RunRequest) -> Any:
    def resolve(step: Any, rb: Runbook) -> list[str]:
        from runbookctl.engine.hosts import hosts_for_step

        hosts: list[str] = hosts_for_step(step, rb, session, req.hosts)
        return hosts

    return resolve
