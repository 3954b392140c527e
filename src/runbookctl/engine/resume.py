"""Resuming a run that stopped (Ctrl-C, a missing answer, kill -9): the journal is
replayed (record/replay.py), the run planned again (planning.py: its variables come
back from the record, secrets are asked again), and the walk goes on from where it
stopped (walk.py) — completed steps never run again.

A step the run stopped in after its command started is INTERRUPTED (runbookctl
stopped the command: step_interrupted) or UNKNOWN (nobody saw the command end): the
operator (or the answers file's `<step>: {resume: rerun|done|failed|skip}`) decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runbookctl.engine import gates
from runbookctl.engine.context import ResumePoint
from runbookctl.engine.reminders import Reminders
from runbookctl.engine.waits import Waits
from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.outcomes import NEXT, RETRY, Flow, Outcome, SkipKind, StepStatus
from runbookctl.prompts.answers_file import RESUME_CHOICES
from runbookctl.record import events as ev
from runbookctl.runbook.values import coerce_value

if TYPE_CHECKING:
    from pathlib import Path

    from runbookctl.check.workspace import Session
    from runbookctl.engine.context import RunVars, StepContext
    from runbookctl.engine.display import Display as UI
    from runbookctl.engine.planning import PreparedRun
    from runbookctl.engine.request import RunRequest
    from runbookctl.engine.walk import Engine
    from runbookctl.prompts.protocol import Answer, Prompter
    from runbookctl.record.replay import RunState, StepRecord
    from runbookctl.runbook.model import Runbook


def from_step(state: RunState) -> str | None:
    """The `run --from STEP` the run began with, if any."""
    start = state.meta.get("from_step")
    return str(start) if start else None


def check_stop_point(state: RunState, rb: Runbook, load: Any) -> None:
    """Refuse (exit 2, before anything is journaled) a resume whose stop point or jump
    target is not in the runbook any more: it was renamed or removed since the run began."""
    from runbookctl.runbook.includes import find_step

    start = from_step(state)
    if not state.path:
        if start and start not in rb.step_ids:
            raise UsageError(_moved(state, rb, f"it was started --from step '{start}'"))
        return
    key, status = state.path[-1]
    try:
        owner, _step = find_step(rb, key, load)
    except KeyError:
        raise UsageError(_moved(state, rb, f"it stopped at step '{key}'")) from None
    running = status == StepStatus.RUNNING
    target = None if running else Flow.from_record(state.steps[key].leave).target
    if target and target not in owner.step_ids:
        raise UsageError(_moved(state, owner, f"after step '{key}' it goes to step '{target}'"))


def _moved(state: RunState, rb: Runbook, where: str) -> str:
    return (f"cannot resume run {state.run_id}: {where}, which the runbook no longer has "
            f"(it was renamed or removed; steps of {rb.id} now: {', '.join(rb.step_ids)}).\n"
            "  - put the step back (or restore the runbook as it was) and resume again, or\n"
            f"  - start a new run where it should go on: runbookctl run {state.runbook} "
            "--from STEP")


def restore_vars(state: RunState, rb: Runbook, session: Session, prompter: Prompter,
                 cli_vars: list[str], redactor: Any) -> RunVars:
    """Inputs, answers and captured values as they were; secret inputs asked again."""
    from runbookctl.engine.context import RunVars
    from runbookctl.engine.planning import all_inputs, carried_of
    from runbookctl.runbook.values import parse_var_options

    specs = {spec.name: spec for spec, _owner in all_inputs(rb, session)}
    # the values given for the steps `run --from` skipped come back typed as they were asked
    specs |= {c.name: c.spec for c in carried_of(rb, session, from_step(state))}
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
        _restore_step(variables, key, rec)
    return variables


def _restore_step(variables: RunVars, key: str, rec: StepRecord) -> None:
    """`steps.<id>` as the step left it (its last command's results)."""
    last = rec.commands[-1]["results"] if rec.commands and rec.commands[-1].get("results") else []
    view = {"status": rec.status, "exit_code": last[0].get("exit_code") if last else None,
            "stdout": last[0].get("tail", "") if len(last) == 1 else "", "stderr": "",
            "answer": rec.answers[-1].get("value") if rec.answers else None,
            "hosts": {h.get("host"): h for h in last}}
    variables.steps[key] = view
    short = key.rsplit("/", 1)[-1]
    variables.steps[short] = view
    variables.steps[short.replace("-", "_")] = view


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


def prepare_resume(state: RunState, rb: Runbook, session: Session, req: RunRequest, ui: UI,
                   prompter: Prompter, run_dir: Path, operator: str, *, forced: bool,
                   torn: str | None) -> tuple[PreparedRun, str]:
    """The run planned again from its record: secrets read again, variables restored,
    the journal continued; returns it, and how the run had stopped (journaled)."""
    from runbookctl.engine.planning import (
        PreparedRun,
        all_secrets,
        build_engine,
        event_stream,
        log_caps,
        notify_run,
        resolve_secrets,
        signing_setup,
    )
    from runbookctl.record.events import Recorder
    from runbookctl.record.journal import Journal
    from runbookctl.safety.masking import Redactor, set_active

    redactor = Redactor()
    set_active(redactor)
    secrets = resolve_secrets(all_secrets(rb, session), prompter)
    for name, value, _origin in secrets:
        redactor.add(value, name)
    variables = restore_vars(state, rb, session, prompter, req.variables, redactor)
    variables.values.update({name: value for name, value, _o in secrets})
    events = event_stream(Recorder(Journal.open_append(run_dir / "journal.jsonl"), redactor), ui)
    notify_run(events, ui, session, rb, secrets, state.run_id)
    engine = build_engine(rb, session, req, ui, prompter, events, run_dir, variables, operator)
    engine.reminders = Reminders.resumed(rb.reminders, state.started, state.reminders)
    engine.waits = Waits.of_resumed(engine.reminders.started, state.waits)
    how = "after an interruption" if state.status == StepStatus.INTERRUPTED else (
        "after the run stopped without an end event (killed?)")
    engine.resumed(state.failed_keys, actor=operator, note=how, runbook_sha256=rb.sha256,
                   forced=forced, torn=torn)
    run = PreparedRun(state.run_id, run_dir, engine, events, redactor, req.commit,
                      session.registry.template_dirs, signing_setup(session), log_caps(session))
    return run, how


def resume_point(state: RunState, engine: Engine) -> ResumePoint | None:
    """Where to pick up: after the last finished step, or at the UNKNOWN one as decided."""
    if not state.path:
        return None
    key, status = state.path[-1]
    rec = state.steps[key]
    if status not in (StepStatus.RUNNING, StepStatus.INTERRUPTED):
        return ResumePoint(key, rerun=False, leave=Flow.from_record(rec.leave))
    ctx = engine.locate(key)
    if not rec.command_in_visit:
        ctx.ui.info(f"{key} had not started a command: it runs again")
        return ResumePoint(key, rerun=True)
    last = rec.commands[-1]  # command_in_visit: its command_started is journaled
    if _failed_on_its_own(last):
        # Its command ended and failed and the run stopped at the failure prompt (no
        # answer): the outcome is known, only the decision is missing — ask it again.
        return _marked_failed(engine, ctx, str(last.get("reason") or "failed"))
    _settle_live_command(ctx, last)
    choice = _resume_choice(ctx, _question(key, rec))
    if choice == "rerun":
        return ResumePoint(key, rerun=True)
    if choice in ("done", "skip"):
        if choice == "done" and ctx.step.capture:
            _captured_by_hand(ctx)
        outcome = (Outcome(StepStatus.OK, NEXT, "marked done on resume") if choice == "done" else
                   Outcome(StepStatus.SKIPPED, NEXT, "marked skip on resume", SkipKind.ON_RESUME))
        engine.finish_step(ctx.step, key, outcome, None)
        return ResumePoint(key, rerun=False, leave=NEXT)
    return _marked_failed(engine, ctx)


def _captured_by_hand(ctx: StepContext) -> None:
    """A step marked done whose command did not run to its end captured nothing: its value
    is given as for `run --from` (answers file `KEY: {capture: VALUE}`, or asked), else the
    resume stops (exit 2) with the step still open; later steps never see it unset."""
    from runbookctl.engine.carried import Carried, Why, resolve_carried
    from runbookctl.engine.command_step import store_capture
    from runbookctl.prompts.answers_file import CAPTURE_FIELD
    from runbookctl.runbook.model import InputSpec

    name = str(ctx.step.capture)
    wanted = Carried(name, ctx.key, InputSpec(name=name, required=False), CAPTURE_FIELD)
    why = Why(f"{ctx.key} is marked done on resume, its command cut short",
              f"step {ctx.key} is marked done on resume: its command did not run to its end, "
              f"so what it captures into {name} is not known", by_var=False)
    [(_spec, value, _origin)] = resolve_carried([wanted], {}, {}, ctx.prompter, None, why)
    store_capture(ctx, value)


def _marked_failed(engine: Engine, ctx: StepContext,
                   reason: str = "marked failed on resume") -> ResumePoint:
    decision = gates.decide_failure(ctx, reason)
    if decision == RETRY:
        return ResumePoint(ctx.key, rerun=True)
    outcome = gates.after_failure(decision, ctx.key, reason)
    engine.finish_step(ctx.step, ctx.key, outcome, None)
    return ResumePoint(ctx.key, rerun=False, leave=outcome.flow)


def _failed_on_its_own(cmd: dict[str, Any]) -> bool:
    """The command ran to its end (not stopped by Ctrl-C or a signal) and failed, and no
    other attempt was due (a stop while a retry or an `until` poll waited interrupts the
    step: it had not failed)."""
    hosts = cmd.get("results") or []
    return (bool(cmd.get("finished")) and cmd.get("ok") is False and not cmd.get("again")
            and not any(isinstance(h, dict) and h.get("interrupted") for h in hosts))


def _settle_live_command(ctx: StepContext, cmd: dict[str, Any]) -> None:
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
    how = _wait_or_stop(ctx, pgid)
    if how == "wait":
        ctx.ui.info(f"waiting for process group {pgid} to end (Ctrl-C stops waiting)")
        procs.wait_group(pgid, started)
        reason = "ended while resume waited for it (exit code unknown)"
    else:
        reason = f"stopped on resume: {procs.stop_group(pgid, 2.0)}"
    ctx.ui.info(f"{ctx.key}: its command {reason}")
    host = HostResult(LOCAL, None, 0.0, interrupted=how == "stop", error=reason)
    event = ctx.publish(ev.COMMAND_FINISHED, ctx.key, ok=False, reason=reason,
                        hosts=[host_record(host)], stopped=how == "stop")
    cmd.update(finished=event.ts, ok=False, reason=reason)


def _wait_or_stop(ctx: StepContext, pgid: int) -> str:
    """`wait` or `stop`: asked, or `stop` when a written answer decides the step."""
    key = ctx.key
    question = (f"{key}: its command is still running (process group {pgid}), left by the "
                "run that stopped. Wait for it to end, or stop it?")
    ctx.ui.warn(question)
    written = ctx.prompter.resume_answer(key)
    if written is not None:  # a decision about the step: stop its command first
        _journal_written(ctx, question, written, "stop")
        return "stop"
    if not ctx.prompter.interactive:
        raise NoAnswerError(
            f"{question.removesuffix('. Wait for it to end, or stop it?')}: add \"{key}: "
            f"{{resume: {' | '.join(RESUME_CHOICES)}}}\" to an answers file (--answers FILE; "
            "the command is stopped first), or resume in a terminal to wait for it")
    answer = ctx.prompter.on_resume(key, question, ["wait", "stop"])
    ctx.record_answer("resume", question, answer)
    return str(answer.value)


def _question(key: str, rec: StepRecord) -> str:
    """What is known about a step the run stopped in, whose command had started."""
    cmd = rec.commands[-1]
    stopped = bool(rec.interrupted and rec.interrupted.get("command_stopped"))
    if rec.status == StepStatus.INTERRUPTED and ("finished" in cmd or stopped):
        return f"{key} was {rec.reason}. What now?"
    if "finished" in cmd:
        ending = "ok" if cmd.get("ok") else str(cmd.get("reason") or "failed")
        return f"{key}: its command ended ({ending}) but the step did not. What now?"
    return (f"{key} was running when the run stopped; whether its command finished is "
            "unknown. What now?")


def _resume_choice(ctx: StepContext, question: str) -> str:
    """rerun | done | failed | skip: written (answers file), else asked."""
    key = ctx.key
    ctx.ui.warn(question)
    written = ctx.prompter.resume_answer(key)
    if written is not None:
        _journal_written(ctx, question, written, str(written.value))
        return str(written.value)
    if not ctx.prompter.interactive:
        raise NoAnswerError(
            f"{question.removesuffix(' What now?')} Add \"{key}: {{resume: "
            f"{' | '.join(RESUME_CHOICES)}}}\" to an answers file (--answers FILE)")
    answer = ctx.prompter.on_resume(key, question, RESUME_CHOICES)
    ctx.record_answer("resume", question, answer)
    return str(answer.value)


def _journal_written(ctx: StepContext, question: str, written: Answer, value: str) -> None:
    """A written resume decision, journaled as it always was (no note field)."""
    ctx.publish(ev.ANSWER, ctx.key, actor=written.actor, kind="resume", question=question,
                value=value, origin=written.origin)
