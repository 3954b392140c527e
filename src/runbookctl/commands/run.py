"""`runbookctl run` / `weekly`: set up a run, walk it, always leave a report."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from runbookctl import recorder as ev
from runbookctl.errors import ExitCode, InterruptedRun, JournalError, NoAnswerError, UsageError

if TYPE_CHECKING:
    from runbookctl.engine import Engine, ResumePoint
    from runbookctl.session import Session
    from runbookctl.setup import PreparedRun
    from runbookctl.ui import UI


@dataclass
class RunRequest:
    """What the command line asked for."""

    runbook: str
    variables: list[str] = field(default_factory=list)
    vars_file: Path | None = None
    answers: Path | None = None
    yes: bool = False
    no_input: bool = False
    dry_run: bool = False
    from_step: str | None = None
    report_dir: Path | None = None
    operator: str | None = None
    incident: str | None = None
    commit: bool = False
    hosts: list[str] = field(default_factory=list)


def new_run_id(runbook_id: str) -> str:
    now = datetime.now(UTC)
    # os.urandom, not the secrets module: the same bytes, without its ~7 ms import.
    return f"{now:%Y%m%dT%H%M%SZ}-{runbook_id}-{os.urandom(2).hex()}"


def operator_name(req: RunRequest, session: Session) -> str:
    if req.operator:
        return req.operator
    if session.config.operator:
        return session.config.operator
    env = os.environ.get("RUNBOOKCTL_OPERATOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def git_commit_of(path: Path) -> str | None:
    """The commit of the repository holding `path`, if any (for the report)."""
    try:
        out = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


class _Signalled(InterruptedRun):
    pass


@contextmanager
def interrupt_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the run at once, like a second Ctrl-C."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise _Signalled(f"stopped by {signal.Signals(signum).name}")

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_command(req: RunRequest, session: Session, ui: UI,
                before: Callable[[PreparedRun], None] | None = None) -> int:
    """Run a runbook; returns the exit code (SPEC §4). `before` runs first (weekly carry-over)."""
    from runbookctl.setup import prepare_run

    rb, warnings = session.load_checked(req.runbook)
    for w in warnings:
        ui.warn(w.format())
    run = prepare_run(req, session, rb, ui)
    if before is None:
        return drive(run, ui)
    return drive(run, ui, prelude=lambda: before(run))


def drive(run: Any, ui: UI, resume: ResumePoint | None = None,
          prelude: Callable[[], None] | None = None) -> int:
    """Walk the engine inside the signal guard; map every ending to a code."""
    engine: Engine = run.engine
    status, reason, code = "interrupted", "", ExitCode.INTERRUPTED
    try:
        with interrupt_signals():
            if prelude is not None:
                prelude()
            status, reason = engine.run(resume)
        code = ExitCode.OK if status == "completed" else ExitCode.FAILED
    except NoAnswerError as exc:
        status, reason, code = "interrupted", exc.message, ExitCode.USAGE
        ui.fail(exc.message)
    except (KeyboardInterrupt, InterruptedRun) as exc:
        reason = getattr(exc, "message", "") or "interrupted by Ctrl-C"
        ui.fail(f"{reason}; the run can be resumed")
    except JournalError as exc:
        ui.fail(exc.message)
        return finish(run, ui, "failed", exc.message, ExitCode.FAILED, journal_ok=False)
    except BrokenPipeError:
        # Whoever read our output is gone (`| head`, a closed terminal): stop as
        # for SIGHUP, resumable; the rest goes to /dev/null, the hint to stderr.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        reason = "the output was closed (broken pipe)"
        print(f"runbookctl: {reason}; resume with: runbookctl resume {run.run_id}", file=sys.stderr)
    except BaseException as exc:
        finish(run, ui, "interrupted", f"internal error: {exc!r}", ExitCode.INTERNAL)
        raise
    finally:
        engine.close()
    return finish(run, ui, status, reason, code)


def finish(run: Any, ui: UI, status: str, reason: str, code: int, journal_ok: bool = True) -> int:
    """Journal the ending, write the report, show where it is."""
    from runbookctl.reporting import write_run_report

    if journal_ok:
        try:
            if status == "interrupted":
                run.recorder.event(ev.RUN_INTERRUPTED, None, reason=reason)
            else:
                run.recorder.event(ev.RUN_FINISHED, None, status=status, reason=reason)
        except JournalError as exc:
            ui.fail(exc.message)
            code = ExitCode.FAILED
    report = write_run_report(run.run_dir, run.redactor, ui, template_dirs=run.template_dirs)
    if run.commit and report is not None:
        from runbookctl.gitcommit import commit_report
        from runbookctl.reporting import load_state

        commit_report(report, run.run_dir, load_state(run.run_dir), ui)
    ui.summary(status, str(report) if report else None, run.run_id)
    if status == "interrupted":
        ui.info(f"resume with: runbookctl resume {run.run_id}")
    return int(code)


def resolve_day(day: str | None) -> str:
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    if day is None:
        return days[datetime.now().weekday()]
    lowered = day.lower()
    matches = [d for d in days if d.startswith(lowered)] if len(lowered) >= 2 else []
    if len(matches) != 1:
        raise UsageError(f"unknown day {day!r}: one of {', '.join(days)}")
    return matches[0]
