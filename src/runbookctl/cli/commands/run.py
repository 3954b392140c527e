"""`runbookctl run` / `weekly`: set up a run, walk it, always leave a report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.engine.request import RunRequest, check_recordable, one_line, operator_name
from runbookctl.errors import (
    ExitCode,
    InterruptedRun,
    JournalError,
    NoAnswerError,
    UsageError,
    ValidationError,
)
from runbookctl.outcomes import RunStatus

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.engine.context import ResumePoint
    from runbookctl.engine.planning import PreparedRun
    from runbookctl.engine.walk import Engine
    from runbookctl.record.run_state import RunState


def run_command(req: RunRequest, session: Session, ui: UI,
                before: Callable[[PreparedRun], None] | None = None) -> int:
    """Run a runbook; returns the exit code (README.md, "Commands": exit codes).
    `before` runs first (weekly carry-over)."""
    from runbookctl.engine.hosts import cli_groups, inventory
    from runbookctl.engine.planning import prepare_run
    from runbookctl.signals import stop_on_signals

    check_recordable(req)
    if req.incident is not None:
        one_line("--incident", req.incident)
    operator_name(req, session)  # a bad --operator is refused before the runbook is read
    rb, warnings = session.load_checked(req.runbook)
    inventory(session.registry.runbook_dirs)  # a bad host there: exit 2 now, not mid-run
    cli_groups(req.hosts, rb, session)  # a bad or mistyped --hosts too
    check_reports(req.report_dir, session, req.commit)
    for w in warnings:
        ui.warn(w.format())
    with stop_on_signals():  # stopped while setting up: exit 130 (runs/resume rebuild its report)
        run = prepare_run(req, session, rb, ui)
    return drive_shipped(session, run, ui, lambda: show_header(ui, session, rb, run, req.report_dir),
                         prelude=None if before is None else lambda: before(run))


def check_reports(report_dir: Path | None, session: Session, commit: bool,
                  named: str | None = None) -> None:
    """Before the first step: the report can be written where it goes (--report-dir, else
    config reports_dir, else ./reports) and, with --commit, that is in a git repository:
    exit 2 naming it, not a run that ends without its report or its commit."""
    from runbookctl.record.report_file import check_folder
    from runbookctl.runbook import config as cfg

    folder = cfg.reports_dir(report_dir, session.config)
    if named is None:
        named = "--report-dir" if report_dir is not None else (
            "reports_dir (runbookctl.yaml)" if session.config.reports_dir else "the reports folder")
    existing = check_folder(folder, named)
    if commit:
        from runbookctl.record.commit import require_repository

        require_repository(folder, existing)


def drive_shipped(session: Session, run: Any, ui: UI, header: Callable[[], None],
                  **how: Any) -> int:
    """`header`, then `drive`, with the journal shipped to the team's store as it goes when
    config `store:` is set (cli/commands/store.py; not imported otherwise: start-up is
    benchmarked). The run exists once its header shows: an output closed then (`| head`)
    ends it as `drive` ends any run whose output closed, resumable, never exit 0."""
    try:
        header()
    except BrokenPipeError as exc:
        how["prelude"] = _raiser(exc)
    link = None
    if session.config.store:
        from runbookctl.cli.commands.store import attach

        link = attach(session, run, ui)
    try:
        return drive(run, ui, **how)
    finally:
        if link is not None:
            link.close(ui)


def _raiser(exc: BaseException) -> Callable[[], None]:
    def prelude() -> None:
        raise exc

    return prelude


def show_header(ui: UI, session: Session, rb: Any, run: Any, report_dir: Path | None) -> None:
    """The view's header and plan: the steps the runbook can run, an include's steps
    in its place (counted for `[n/N]`; the include step itself is not)."""
    from runbookctl.cli.progress import RunFacts
    from runbookctl.runbook import config as cfg
    from runbookctl.runbook.includes import INCLUDE, steps

    plan = [p.key for p in steps(rb, session.registry.try_load) if p.step.action != INCLUDE]
    reports = cfg.reports_dir(report_dir, session.config).resolve()
    ui.header(RunFacts(runbook=rb.id, title=rb.title, severity=rb.severity, run_id=run.run_id,
                       journal=str(run.run_dir / "journal.jsonl"), reports=str(reports)), plan)


def drive(run: Any, ui: UI, resume: Callable[[], ResumePoint | None] | None = None,
          prelude: Callable[[], None] | None = None) -> int:
    """Walk the engine inside the signal guard; map every ending to a code.

    `resume` decides where a resumed run picks up; it may ask (rerun / done / ...), so
    it runs in the guard too: no answer or Ctrl-C there ends the run as interrupted.

    The write-up (the ending journaled, the report written) is inside the guard
    too, with signals held off: a second signal then cannot leave a run without
    its report; it is delivered once the record is complete.
    """
    from runbookctl.cli.collector import lasting
    from runbookctl.cli.leave import ahead
    from runbookctl.signals import deferred, stop_on_signals

    # What start-up made (modules, the runbook) lives as long as the run: kept out of
    # the collector's full passes, which walked all of it again every ~100 steps.
    lasting()
    with stop_on_signals():
        idle = False  # every command ended: the connections left are idle
        try:
            status, reason, code = _walk(run, ui, resume, prelude)
            # Hosts a second Ctrl-C left stopping end with their connections: what they
            # print last comes before the record, not after the summary. A signal that
            # cuts the hang-up short is raised once the record is written.
            stopping = status == RunStatus.INTERRUPTED or code is None
            held = _hang_up(run) if stopping else None
            if code is None:  # the journal itself failed: no ending can be written
                done = finish(run, ui, RunStatus.FAILED, reason, ExitCode.FAILED,
                              journal_ok=False)
            else:
                done = finish(run, ui, status, reason, code)
            if held is not None:
                raise held
            idle = not stopping
            return done
        finally:
            # Otherwise connections hang up once the record is written: 200 of them
            # hanging up wake 200 threads and their servers, which held the report up
            # ~0.2 s. A signal then waits: the run's ending and code stand. Idle ones
            # are left to the exit when the process leaves next (the console script,
            # cli/leave.py): all hung up at once, not a woken thread after another.
            if not (idle and ahead()):
                with deferred():
                    run.engine.close()


def _hang_up(run: Any) -> BaseException | None:
    """Close the run's connections; what interrupted that (a third Ctrl-C, SIGTERM, a
    closed terminal), returned instead of raised: the record comes first."""
    try:
        run.engine.close()
    except BaseException as exc:  # re-raised by the caller once the record is written
        return exc
    return None


def _walk(run: Any, ui: UI, resume: Callable[[], ResumePoint | None] | None,
          prelude: Callable[[], None] | None) -> tuple[str, str, int | None]:
    """(status, reason, exit code) of walking the run; code None: the journal broke."""
    engine: Engine = run.engine
    try:
        if prelude is not None:
            prelude()
        status, reason = engine.run(resume() if resume is not None else None)
    except BaseException as exc:
        ui.ending = True  # how the run ends is known: a closed output now only drops lines
        return _stopped(run, ui, exc)
    ui.ending = True
    return status, reason, ExitCode.OK if status == RunStatus.COMPLETED else ExitCode.FAILED


def _stopped(run: Any, ui: UI, exc: BaseException) -> tuple[str, str, int | None]:
    """How the exception that left the walk ends the run; an unforeseen one is recorded
    as an internal error, then raised."""
    from runbookctl.signals import describe, output_gone

    if isinstance(exc, (NoAnswerError, ValidationError)):
        # no answer, or the answers file's answer for this step is of the wrong shape
        # (read when the run gets there): bad input, exit 2, resumable with a fixed file
        ui.fail(exc.message)
        return RunStatus.INTERRUPTED, exc.message, ExitCode.USAGE
    if isinstance(exc, (KeyboardInterrupt, InterruptedRun)):
        reason = f"interrupted by {describe(exc)}"
        ui.fail(f"{reason}; the run can be resumed")
        if ui.closed:  # the terminal went with it (SIGHUP): say so where it may be read
            _to_stderr(f"{reason}; resume with: runbookctl resume {run.run_id}")
        return RunStatus.INTERRUPTED, reason, ExitCode.INTERRUPTED
    if isinstance(exc, JournalError):
        ui.fail(exc.message)
        return RunStatus.FAILED, exc.message, None
    if output_gone(exc):
        # Whoever read our output is gone (`| head`, a closed terminal): stop as for
        # SIGHUP, resumable; the rest goes to /dev/null, the hint to stderr if it is there.
        ui.drop_output()
        reason = ("the output was closed (broken pipe)" if isinstance(exc, BrokenPipeError)
                  else "the terminal was closed")
        _to_stderr(f"{reason}; resume with: runbookctl resume {run.run_id}")
        return RunStatus.INTERRUPTED, reason, ExitCode.INTERRUPTED
    finish(run, ui, RunStatus.INTERRUPTED, f"internal error: {exc!r}", ExitCode.INTERNAL)
    raise exc


def _to_stderr(text: str) -> None:
    """One line for whoever reads stderr (a log) when the terminal is gone; nothing if
    stderr went with it."""
    with suppress(OSError):
        print(f"runbookctl: {text}", file=sys.stderr)


def finish(run: Any, ui: UI, status: str, reason: str, code: int, journal_ok: bool = True) -> int:
    """Journal the ending, write the report, show where it is.

    Signals wait until the journal and the report are written (see signals.deferred);
    one that came meanwhile ends the process without the commit, but the run ended as
    its record says: its exit code stays the run's (a completed run does not exit 130,
    "interrupted, resumable", when nothing is left to resume).
    """
    from runbookctl.signals import Signalled, deferred

    stopped = False
    try:
        with deferred():
            report, code, state = _write_up(run, ui, status, reason, code, journal_ok)
    except (KeyboardInterrupt, Signalled):  # delivered once the record was complete
        stopped = True
    if run.commit and report is not None and not stopped:
        from runbookctl.record.commit import CommitError, commit_report
        from runbookctl.record.writeup import load_state

        try:
            commit_report(report, run.run_dir, load_state(run.run_dir), ui, run.log_caps,
                          run.template_dirs)
        except CommitError as exc:  # asked for and not done: the run does not end 0
            ui.fail(exc.message)
            code = code or ExitCode.FAILED
    ui.summary(status, str(report) if report else None, run.run_id,
               failed_keys=_failed_keys(run, state) if status == RunStatus.COMPLETED else ())
    if status == RunStatus.INTERRUPTED:
        ui.info(f"resume with: runbookctl resume {run.run_id}")
    return int(code)


def _write_up(run: Any, ui: UI, status: str, reason: str, code: int, journal_ok: bool
              ) -> tuple[Path | None, int, RunState | None]:
    """Journal the ending, sign, write the report; with the journal replayed once for
    both the report and the summary (None if it could not be: the report says why)."""
    from runbookctl.record.writeup import load_written, write_run_report

    if journal_ok:
        try:
            run.engine.finish(status, reason)
            _sign(run, ui)
        except JournalError as exc:
            ui.fail(exc.message)
            code = ExitCode.FAILED
    try:
        state: RunState | None = load_written(run.run_dir, run.events.recorder.journal)
    except Exception:  # write_run_report reads it again and warns why it cannot
        state = None
    report = write_run_report(run.run_dir, ui, template_dirs=run.template_dirs, state=state)
    return report, code, state


def _sign(run: Any, ui: UI) -> None:
    """Sign the journal's head (record/signing.py) and journal that it was signed. No key,
    or any failure: one warning and the record stays unsigned; the report is still written."""
    from runbookctl.record.signing import SigningSetup, SigningUnavailable, sign_head

    journal = run.events.recorder.journal
    journal.follow()  # a note from another terminal since our last event: signed too
    try:
        signature = sign_head(run.run_dir / "journal.jsonl", run.run_id, journal.seq,
                              journal.head_hash, run.signing or SigningSetup())
    except SigningUnavailable as exc:
        ui.warn(f"the record is not signed: {exc}")
        return
    except Exception as exc:  # never lose the report to signing
        ui.warn(f"the record is not signed: {type(exc).__name__}: {exc}")
        return
    run.engine.signed(signature.record())
    ui.info(f"signed the record (events 1–{signature.events}) with {signature.key_type} key "
            f"{signature.fingerprint}: {signature.path.name}")


def _failed_keys(run: Any, state: RunState | None) -> list[str]:
    """Failed steps of the run as the journal has them (resumed parts included)."""
    if state is not None:
        return list(state.failed_keys)
    return list(dict.fromkeys(run.engine.failed_steps))  # unreadable: the report warned


def resolve_day(day: str | None) -> str:
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    if day is None:
        return days[datetime.now().weekday()]
    lowered = day.lower()
    matches = [d for d in days if d.startswith(lowered)] if len(lowered) >= 2 else []
    if len(matches) != 1:
        raise UsageError(f"unknown day {day!r}: one of {', '.join(days)}")
    return matches[0]
