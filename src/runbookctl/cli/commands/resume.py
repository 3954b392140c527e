"""`runbookctl resume`: continue a run that stopped (Ctrl-C, a missing answer, kill -9).

Completed steps never run again. A step the run stopped in after its command
started is INTERRUPTED (runbookctl stopped the command: step_interrupted) or
UNKNOWN (nobody saw the command end): the operator (or the answers file's
`<step>: {resume: rerun|done|failed|skip}`) decides. Variables come back
from the journal; secrets are read again, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.cli.commands.stale import ABANDONED, RESUMABLE, pick_run
from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.prompts.answers_file import RESUME_CHOICES
from runbookctl.record import events as ev
from runbookctl.runbook.values import coerce_value

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.engine.walk import Engine, ResumePoint, RunVars
    from runbookctl.prompts.protocol import Prompter
    from runbookctl.record.journal import Replay
    from runbookctl.record.replay import RunState, StepRecord
    from runbookctl.runbook.model import Runbook, Step


@dataclass
class ResumeRequest:
    run_id: str | None = None
    force: bool = False
    answers: Path | None = None
    yes: bool = False
    no_input: bool = False
    operator: str | None = None
    variables: list[str] = field(default_factory=list)
    commit: bool = False


def resume_command(req: ResumeRequest, session: Session, ui: UI) -> int:
    """Resume a run; SIGTERM/SIGHUP during the set-up stop it like during the run (exit 130)."""
    from runbookctl.signals import stop_on_signals

    with stop_on_signals():
        return _resume(req, session, ui)


def _resume(req: ResumeRequest, session: Session, ui: UI) -> int:
    from runbookctl.cli.commands.run import drive
    from runbookctl.engine.planning import PreparedRun, all_secrets, build_engine, resolve_secrets
    from runbookctl.engine.request import RunRequest, operator_name
    from runbookctl.prompts.terminal import make_prompter
    from runbookctl.record import lock as runlock
    from runbookctl.record.events import Recorder
    from runbookctl.record.journal import Journal
    from runbookctl.record.writeup import load_journal, refresh_report
    from runbookctl.safety.masking import Redactor, set_active
    from runbookctl.safety.templating import require_safe_jinja2

    require_safe_jinja2()  # before anything runs again
    operator = operator_name(RunRequest(runbook="", operator=req.operator), session)
    prompter = make_prompter(operator=operator, answers_path=req.answers, yes=req.yes,
                             no_input=req.no_input)
    run_dir = pick_run(session, req.run_id, prompter, ui)
    runlock.acquire(run_dir, "runbookctl resume")  # one writer per run: before reading it
    replayed, state = load_journal(run_dir / "journal.jsonl")
    if replayed.torn:
        ui.warn(f"journal: {replayed.torn}")
    _check_chain(run_dir / "journal.jsonl", replayed, req.force, ui)
    if state.status == ABANDONED:
        raise UsageError(f"run {state.run_id} was abandoned ({state.reason}): it cannot be "
                         f"resumed; start a new run with: runbookctl run {state.runbook}")
    if state.status not in RESUMABLE:
        refresh_report(run_dir, ui, session.registry.template_dirs, state)
        raise UsageError(f"run {state.run_id} already ended ({state.status}); nothing to resume")
    rb = _runbook_of(state, session, req.force)
    check_stop_point(state, rb, session.registry.load)
    run_req = RunRequest(runbook=rb.id, answers=req.answers, yes=req.yes, no_input=req.no_input,
                         operator=req.operator, commit=req.commit, variables=req.variables,
                         dry_run=bool(state.meta.get("dry_run")), from_step=_from_step(state))
    redactor = Redactor()
    set_active(redactor)
    secrets = resolve_secrets(all_secrets(rb, session), prompter)
    for name, value, _origin in secrets:
        redactor.add(value, name)
    variables = restore_vars(state, rb, session, prompter, req.variables, redactor)
    variables.values.update({name: value for name, value, _o in secrets})
    recorder = Recorder(Journal.open_append(run_dir / "journal.jsonl"), redactor)
    engine = build_engine(rb, session, run_req, ui, prompter, recorder, run_dir, variables,
                          operator)
    engine.failed_steps = [k for k, r in state.steps.items() if r.status == "failed"]
    how = "after an interruption" if state.status == "interrupted" else (
        "after the run stopped without an end event (killed?)")
    recorder.event(ev.RUN_RESUMED, None, actor=operator, note=how, runbook_sha256=rb.sha256,
                   forced=req.force and rb.sha256 != state.meta.get("sha256"),
                   torn=replayed.torn)
    ui.info(f"resuming {state.run_id} {how}")
    run = PreparedRun(state.run_id, run_dir, engine, recorder, redactor, req.commit,
                      session.registry.template_dirs)
    return drive(run, ui, lambda: resume_point(state, rb, engine, prompter))


def _check_chain(path: Path, replayed: Replay, force: bool, ui: UI) -> None:
    """Resume continues a record: one whose hash chain is broken (bytes changed on disk) is
    refused unless --force, naming the line; forced, the damage stays for `verify` to show."""
    from runbookctl.record.journal import chain_problems

    problems = chain_problems(replayed.events, replayed.lines, path)
    if not problems:
        return
    listing = "\n".join(f"  {p}" for p in problems[:5])
    if not force:
        raise UsageError(f"the journal of this run is damaged (its hash chain is broken):\n"
                         f"{listing}\nresume --force continues it anyway (verify will keep "
                         "reporting the damage)")
    ui.warn(f"resuming a damaged journal (--force):\n{listing}")


def _runbook_of(state: RunState, session: Session, force: bool) -> Runbook:
    path = Path(str(state.meta.get("path", "")))
    if not path.is_file():
        raise UsageError(f"the runbook of run {state.run_id} is gone: {path}")
    rb = session.registry.load_path(path)
    then = str(state.meta.get("sha256", ""))
    if rb.sha256 != then and not force:
        raise UsageError(
            f"the runbook changed since the run began: {path}\n"
            f"  when the run began: sha256 {then}\n"
            f"  now:                sha256 {rb.sha256}\n"
            "resume with --force to continue with the changed runbook")
    return rb


def check_stop_point(state: RunState, rb: Runbook, load: Any) -> None:
    """Refuse (exit 2, before anything is journaled) a resume whose stop point or jump
    target is not in the runbook any more: it was renamed or removed since the run began."""
    from runbookctl.engine.walk import flow_from_record

    start = _from_step(state)
    if not state.path:
        if start and start not in rb.step_ids:
            raise UsageError(_moved(state, rb, f"it was started --from step '{start}'"))
        return
    key, status = state.path[-1]
    try:
        owner, _step = find_step(rb, key, load)
    except KeyError:
        raise UsageError(_moved(state, rb, f"it stopped at step '{key}'")) from None
    target = flow_from_record(state.steps[key].leave).target if status != "running" else None
    if target and target not in owner.step_ids:
        raise UsageError(_moved(state, owner, f"after step '{key}' it goes to step '{target}'"))


def _from_step(state: RunState) -> str | None:
    start = state.meta.get("from_step")
    return str(start) if start else None


def _moved(state: RunState, rb: Runbook, where: str) -> str:
    return (f"cannot resume run {state.run_id}: {where}, which the runbook no longer has "
            f"(it was renamed or removed; steps of {rb.id} now: {', '.join(rb.step_ids)}).\n"
            "  - put the step back (or restore the runbook as it was) and resume again, or\n"
            f"  - start a new run where it should go on: runbookctl run {state.runbook} "
            "--from STEP")


def restore_vars(state: RunState, rb: Runbook, session: Session, prompter: Prompter,
                 cli_vars: list[str], redactor: Any) -> RunVars:
    """Inputs, answers and captured values as they were; secret inputs asked again."""
    from runbookctl.engine.planning import all_inputs, carried_of
    from runbookctl.engine.walk import RunVars
    from runbookctl.runbook.values import parse_var_options

    specs = {spec.name: spec for spec, _owner in all_inputs(rb, session)}
    # the values given for the steps `run --from` skipped come back typed as they were asked
    specs |= {c.name: c.spec for c in carried_of(rb, session, _from_step(state))}
    given = parse_var_options(cli_vars)
    values: dict[str, Any] = {}
    for item in state.inputs:
        name = str(item.get("name"))
        spec = specs.get(name)
        if spec is not None and spec.secret:
            values[name] = _secret_input(name, given, prompter)
            redactor.add(str(values[name]), name)
        elif spec is not None:
            values[name] = _journaled_input(state, spec, item.get("value"))
    for answer in state.answers:
        if answer.get("kind") == "ask" and answer.get("var"):
            values[str(answer["var"])] = answer.get("value")
    variables = RunVars(values=values, run={"id": state.run_id, "operator": state.operator,
                                            "runbook": state.runbook,
                                            "started_at": state.run_id[:16]})
    for key, rec in state.steps.items():
        values.update(rec.captures)
        last = rec.commands[-1]["results"] if rec.commands and rec.commands[-1].get("results") else []
        view = {"status": rec.status, "exit_code": last[0].get("exit_code") if last else None,
                "stdout": last[0].get("tail", "") if len(last) == 1 else "", "stderr": "",
                "answer": rec.answers[-1].get("value") if rec.answers else None,
                "hosts": {h.get("host"): h for h in last}}
        variables.steps[key] = view
        short = key.rsplit("/", 1)[-1]
        variables.steps[short] = view
        variables.steps[short.replace("-", "_")] = view
    return variables


def _journaled_input(state: RunState, spec: Any, value: Any) -> Any:
    """An input's value as journaled; one the runbook no longer accepts (or damage) is bad
    data, named, never an internal error."""
    from runbookctl.errors import CorruptJournal

    try:
        return coerce_value(spec, value)
    except ValueError as exc:
        raise CorruptJournal(f"run {state.run_id}: the journaled input {exc} (the runbook or "
                             "the journal changed since the run began)") from None


def _secret_input(name: str, given: dict[str, str], prompter: Prompter) -> str:
    if name in given:
        return given[name]
    if prompter.interactive:
        return prompter.secret(name, f"{name} (secret input, not stored: enter it again)")
    raise NoAnswerError(f"input '{name}' is secret and was not stored: resume with --var {name}=...")


def find_step(rb: Runbook, key: str, session_load: Any) -> tuple[Runbook, Step]:
    """The runbook and step a (possibly nested, `child/step`) key names."""
    head, _, rest = key.partition("/")
    if not rest:
        return rb, rb.step(head)
    for step in rb.steps:
        if step.action == "include":
            sub = session_load(step.text)
            if sub.id == head:
                return find_step(sub, rest, session_load)
    raise KeyError(key)


def resume_point(state: RunState, rb: Runbook, engine: Engine, prompter: Prompter
                 ) -> ResumePoint | None:
    """Where to pick up: after the last finished step, or at the UNKNOWN one as decided."""
    from runbookctl.engine.walk import NEXT, ResumePoint, flow_from_record

    if not state.path:
        return None
    key, status = state.path[-1]
    rec = state.steps[key]
    if status not in ("running", "interrupted"):
        return ResumePoint(key, rerun=False, leave=flow_from_record(rec.leave))
    owner, step = find_step(rb, key, engine.sv.resolve_runbook)
    if not rec.command_in_visit:
        engine.sv.ui.info(f"{key} had not started a command: it runs again")
        return ResumePoint(key, rerun=True)
    last = rec.commands[-1] if rec.commands else {}
    if _failed_on_its_own(last):
        # Its command ended and failed and the run stopped at the failure prompt (no
        # answer): the outcome is known, only the decision is missing — ask it again.
        return _marked_failed(engine, owner, step, key, str(last.get("reason") or "failed"))
    _settle_live_command(key, last, prompter, engine)
    choice = _resume_choice(key, _question(key, rec), prompter, engine)
    if choice == "rerun":
        return ResumePoint(key, rerun=True)
    if choice in ("done", "skip"):
        status_now = "ok" if choice == "done" else "skipped"
        engine.sv.recorder.event(ev.STEP_FINISHED, key, status=status_now,
                                 reason=f"marked {choice} on resume", duration=0.0,
                                 flow={"kind": "next", "target": None, "reason": ""})
        engine.vars.record_step(step, key, status=status_now)
        return ResumePoint(key, rerun=False, leave=NEXT)
    return _marked_failed(engine, owner, step, key)


def _marked_failed(engine: Engine, owner: Runbook, step: Step, key: str,
                   reason: str = "marked failed on resume") -> ResumePoint:
    from runbookctl.engine.human_step import after_failure
    from runbookctl.engine.walk import ResumePoint, flow_record

    decision = engine.decide_failure(owner, step, key, reason)
    if decision == "retry":
        return ResumePoint(key, rerun=True)
    status, flow, why = after_failure(decision, key, reason)
    engine.sv.recorder.event(ev.STEP_FINISHED, key, status=status, reason=why, duration=0.0,
                             flow=flow_record(flow))
    engine.vars.record_step(step, key, status=status)
    if status == "failed" and flow.kind in ("next", "goto", "end"):
        engine.failed_steps.append(key)
    return ResumePoint(key, rerun=False, leave=flow)


def _failed_on_its_own(cmd: dict[str, Any]) -> bool:
    """The command ran to its end (not stopped by Ctrl-C or a signal) and failed, and no
    other attempt was due (a stop while a retry or an `until` poll waited interrupts the
    step: it had not failed)."""
    hosts = cmd.get("results") or []
    return (bool(cmd.get("finished")) and cmd.get("ok") is False and not cmd.get("again")
            and not any(isinstance(h, dict) and h.get("interrupted") for h in hosts))


def _settle_live_command(key: str, cmd: dict[str, Any], prompter: Prompter,
                         engine: Engine) -> None:
    """A command of the stopped run may still run (runbookctl was killed, its command was
    not): never start a second copy beside it. Wait for it, or stop it, first."""
    from runbookctl.engine.command_step import host_record
    from runbookctl.executors import procs
    from runbookctl.executors.base import LOCAL, HostResult

    process = cmd.get("process") if "finished" not in cmd else None
    if not isinstance(process, dict) or not isinstance(process.get("pgid"), int):
        return
    pgid, started = int(process["pgid"]), process.get("start")
    started = started if isinstance(started, str) else None
    if not procs.same_group_alive(pgid, started):
        return
    how = _wait_or_stop(key, pgid, prompter, engine)
    if how == "wait":
        engine.sv.ui.info(f"waiting for process group {pgid} to end (Ctrl-C stops waiting)")
        procs.wait_group(pgid, started)
        reason = "ended while resume waited for it (exit code unknown)"
    else:
        reason = f"stopped on resume: {procs.stop_group(pgid, 2.0)}"
    engine.sv.ui.info(f"{key}: its command {reason}")
    host = HostResult(LOCAL, None, 0.0, interrupted=how == "stop", error=reason)
    event = engine.sv.recorder.event(ev.COMMAND_FINISHED, key, ok=False, reason=reason,
                                     hosts=[host_record(host)], stopped=how == "stop")
    cmd.update(finished=event.ts, ok=False, reason=reason)


def _wait_or_stop(key: str, pgid: int, prompter: Prompter, engine: Engine) -> str:
    """`wait` or `stop`: asked, or `stop` when the answers file decides the step."""
    from runbookctl.prompts.answers_file import AnswersPrompter

    question = (f"{key}: its command is still running (process group {pgid}), left by the "
                "run that stopped. Wait for it to end, or stop it?")
    engine.sv.ui.warn(question)
    if isinstance(prompter, AnswersPrompter):
        if prompter.resume_choice(key) is not None:  # a decision about the step: stop it first
            engine.sv.recorder.event(ev.ANSWER, key, actor=prompter.actor, kind="resume",
                                     question=question, value="stop", origin="answers-file")
            return "stop"
        prompter = prompter.fallback
    if not prompter.interactive:
        raise NoAnswerError(
            f"{question.removesuffix('. Wait for it to end, or stop it?')}: add \"{key}: "
            f"{{resume: {' | '.join(RESUME_CHOICES)}}}\" to an answers file (--answers FILE; "
            "the command is stopped first), or resume in a terminal to wait for it")
    answer = prompter.on_failure(key, question, ["wait", "stop"])
    engine.record_answer(key, "resume", question, answer)
    return str(answer.value)


def _question(key: str, rec: StepRecord) -> str:
    """What is known about a step the run stopped in, whose command had started."""
    cmd = rec.commands[-1]
    stopped = bool(rec.interrupted and rec.interrupted.get("command_stopped"))
    if rec.status == "interrupted" and ("finished" in cmd or stopped):
        return f"{key} was {rec.reason}. What now?"
    if "finished" in cmd:
        ending = "ok" if cmd.get("ok") else str(cmd.get("reason") or "failed")
        return f"{key}: its command ended ({ending}) but the step did not. What now?"
    return (f"{key} was running when the run stopped; whether its command finished is "
            "unknown. What now?")


def _resume_choice(key: str, question: str, prompter: Prompter, engine: Engine) -> str:
    from runbookctl.prompts.answers_file import AnswersPrompter

    engine.sv.ui.warn(question)
    if isinstance(prompter, AnswersPrompter):
        written = prompter.resume_choice(key)
        if written is not None:
            engine.sv.recorder.event(ev.ANSWER, key, actor=prompter.actor, kind="resume",
                                     question=question, value=written, origin="answers-file")
            return written
        prompter = prompter.fallback
    if not prompter.interactive:
        raise NoAnswerError(
            f"{question.removesuffix(' What now?')} Add \"{key}: {{resume: "
            f"{' | '.join(RESUME_CHOICES)}}}\" to an answers file (--answers FILE)")
    answer = prompter.on_failure(key, question, RESUME_CHOICES)
    engine.record_answer(key, "resume", question, answer)
    return str(answer.value)
