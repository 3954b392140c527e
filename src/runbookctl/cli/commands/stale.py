"""Unfinished runs: which one a bare `resume` continues, and `discard` to close one.

Each try at an answers file can leave another interrupted run: a bare `resume`
never guesses among them. At a terminal it lists them to choose from; without
one it takes the only one (saying which) or exits 2 listing them. `discard`
ends a run as *abandoned*: journaled (who, why), the report rewritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import UsageError
from runbookctl.outcomes import RunStatus
from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.prompts.protocol import Prompter
    from runbookctl.record.run_state import RunState

RESUMABLE = (RunStatus.RUNNING, RunStatus.INTERRUPTED)
ABANDONED = RunStatus.ABANDONED


def unfinished_runs(session: Session) -> list[tuple[Path, RunState]]:
    """Every run that did not end and that nobody is writing now, newest first."""
    from runbookctl.cli.commands.history import run_dirs
    from runbookctl.record import lock as runlock
    from runbookctl.record.writeup import load_state

    out = []
    for run_dir in run_dirs(session):
        try:
            state = load_state(run_dir)
        except Exception:  # one unreadable journal must not block resuming the others
            continue
        # no run_started: killed in its first milliseconds, before anything could run;
        # locked: its run or resume is writing it now (runlock)
        if state.status in RESUMABLE and state.run_id and runlock.is_free(run_dir):
            out.append((run_dir, state))
    # Run ids carry the start second only: two runs begun in one second order by the
    # journal's millisecond start time, not by the random part of their ids.
    return sorted(out, key=lambda r: (r[1].started, r[1].run_id), reverse=True)


def where_stopped(state: RunState) -> str:
    """`at kill`, `after find (ok)` or `before the first step`, and why it stopped."""
    if not state.path:
        where = "before the first step"
    else:
        key, status = state.path[-1]
        where = f"at {key}" if status in RESUMABLE else f"after {key} ({status})"
    why = state.reason if len(state.reason) <= 90 else state.reason[:89].rstrip() + "…"
    return f"{where}: {why}" if why else where


def describe(state: RunState) -> str:
    started = state.started[:19].replace("T", " ")
    return f"{state.run_id}  {state.runbook}  started {started}  stopped {where_stopped(state)}"


def pick_run(session: Session, run_id: str | None, prompter: Prompter, ui: UI) -> Path:
    """The named run; else the only unfinished one, or the one the operator chooses."""
    from runbookctl.cli.commands.history import find_run

    if run_id:
        return find_run(session, run_id)
    runs = unfinished_runs(session)
    if not runs:
        raise UsageError("no unfinished run to resume (runbookctl runs lists them)")
    if len(runs) == 1:
        ui.info(f"the only unfinished run: {describe(runs[0][1])}")
        return runs[0][0]
    base = getattr(prompter, "fallback", prompter)
    if not base.interactive:
        listing = "\n".join(f"  {describe(state)}" for _dir, state in runs)
        raise UsageError(f"{len(runs)} unfinished runs; say which one to resume "
                         f"(runbookctl resume RUN_ID), or close one that is no longer wanted "
                         f"(runbookctl discard RUN_ID):\n{listing}")
    from runbookctl.prompts.terminal import TerminalPrompter

    assert isinstance(base, TerminalPrompter)  # the only prompter that is interactive
    options = [(describe(state), str(run_dir)) for run_dir, state in runs]
    return Path(base.choose(f"{len(runs)} unfinished runs: which one to resume?", options))


def discard_command(session: Session, ui: UI, run_id: str, reason: str | None) -> int:
    """End an unfinished run as abandoned: journaled, its report rewritten."""
    from runbookctl.cli.commands.history import find_run
    from runbookctl.engine.request import RunRequest, operator_name
    from runbookctl.record import lock as runlock
    from runbookctl.record.events import Recorder
    from runbookctl.record.journal import Journal
    from runbookctl.record.writeup import load_state, write_run_report
    from runbookctl.safety.masking import Redactor
    from runbookctl.safety.plain_text import not_utf8

    undecodable = not_utf8("--reason", reason or "", "the journal records it and keeps UTF-8 "
                           "text only")
    if undecodable:
        raise UsageError(undecodable)
    run_dir = find_run(session, run_id)
    runlock.acquire(run_dir, "runbookctl discard")  # one writer per run
    state = load_state(run_dir)
    if state.status not in RESUMABLE:
        raise UsageError(f"run {state.run_id} already ended ({state.status}); only an "
                         "unfinished run can be discarded")
    operator = operator_name(RunRequest(runbook=state.runbook), session)
    with Journal.open_append(run_dir / "journal.jsonl") as journal:
        Recorder(journal, Redactor()).event(ev.RUN_ABANDONED, None, actor=operator,
                                            reason=reason or "", stopped=where_stopped(state))
    report = write_run_report(run_dir, ui, template_dirs=session.registry.template_dirs)
    ui.summary(ABANDONED, str(report) if report else None, state.run_id)
    return 0
