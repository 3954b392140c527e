"""`runbookctl resume`: continue a run that stopped (Ctrl-C, a missing answer, kill -9).

This command picks the run and checks it may be resumed (not ended, not abandoned,
its journal's chain intact, its runbook unchanged, unless --force); the engine does
the rest (engine/resume.py: replay -> plan -> walk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.cli.commands.stale import ABANDONED, RESUMABLE, pick_run
from runbookctl.errors import UsageError

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.record.journal import Replay
    from runbookctl.record.replay import RunState
    from runbookctl.runbook.model import Runbook


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
    from runbookctl.cli.commands.run import check_reports, drive_shipped, show_header
    from runbookctl.engine.request import RunRequest, operator_name
    from runbookctl.engine.resume import check_stop_point, prepare_resume, resume_point
    from runbookctl.prompts.terminal import make_prompter
    from runbookctl.record import lock as runlock
    from runbookctl.record.writeup import load_journal, refresh_report
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
    check_stop_point(state, rb, session.registry.load)  # said in resume's own words first
    _refuse_invalid(session, rb)
    hosts = _hosts_of(state, rb, session)
    reports = state.meta.get("report_dir")  # where the report goes: checked before a step
    check_reports(Path(reports) if reports else None, session, req.commit,
                  named="the run's report folder")
    run_req = RunRequest(runbook=rb.id, answers=req.answers, yes=req.yes, no_input=req.no_input,
                         operator=req.operator, commit=req.commit, variables=req.variables,
                         dry_run=bool(state.meta.get("dry_run")), from_step=_from_step(state),
                         hosts=hosts)
    run, how = prepare_resume(state, rb, session, run_req, ui, prompter, run_dir, operator,
                              forced=req.force and rb.sha256 != state.meta.get("sha256"),
                              torn=replayed.torn)

    def header() -> None:
        show_header(ui, session, rb, run, Path(reports) if reports else None)
        ui.info(f"resuming {state.run_id} {how}")

    return drive_shipped(session, run, ui, header,
                         resume=lambda: resume_point(state, run.engine))


def _check_chain(path: Path, replayed: Replay, force: bool, ui: UI) -> None:
    """Resume continues a record: one whose hash chain is broken (bytes changed on disk) is
    refused unless --force, naming the line; forced, the damage stays for `verify` to show."""
    from runbookctl.record.chain import chain_problems

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


def _refuse_invalid(session: Session, rb: Runbook) -> None:
    """As `run` does, before a step runs again: an included runbook may have changed
    since (its own sha256 is not the runbook's) and be broken now."""
    from runbookctl.errors import ValidationError

    errors = [p for p in session.check(rb) if p.severity == "error"]
    if errors:
        raise ValidationError(errors)


def _hosts_of(state: RunState, rb: Runbook, session: Session) -> list[str]:
    """The run's `--hosts` override as run_started journaled it: a resume runs on the hosts
    the run began on (checked again: a changed runbook may no longer use a group)."""
    from runbookctl.engine.hosts import as_options, cli_groups

    groups = state.meta.get("hosts") or {}
    if not all(isinstance(m, list) and all(isinstance(h, str) for h in m) for m in groups.values()):
        raise UsageError(f"run {state.run_id}: the journal's --hosts (run_started) is not "
                         "GROUP: [host, ...]; the run cannot be resumed on the hosts it began on")
    options = as_options(groups)
    cli_groups(options, rb, session)
    return options


def _from_step(state: RunState) -> str | None:
    from runbookctl.engine.resume import from_step

    return from_step(state)
