"""`weekly [DAY]`: today's (or DAY's) routine checklist, with last week's loose ends first.

Before the steps run, every step the previous run of the same checklist left failed or
skipped (by a person, not by a `when:` condition) is shown and asked about — resolved,
still open, or won't fix — and the answers are recorded in the new report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runbookctl.outcomes import SkipKind, StepStatus
from runbookctl.prompts.answers_file import CARRY_OVER, CARRY_SPEC

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.engine.planning import PreparedRun
    from runbookctl.engine.request import RunRequest
    from runbookctl.record.run_state import RunState, StepRecord



def previous_run(session: Session, runbook: str, current: str) -> RunState | None:
    """The newest earlier run of `runbook` (other than `current`) that ran any step."""
    from runbookctl.cli.commands.history import run_dirs
    from runbookctl.errors import CorruptJournal
    from runbookctl.record.writeup import load_state

    for run_dir in run_dirs(session):
        if run_dir.name == current:
            continue
        try:
            state = load_state(run_dir)
        except CorruptJournal:  # another run's damaged journal: not this one's business
            continue
        if state.runbook == runbook and state.steps:
            return state
    return None


def loose_ends(state: RunState) -> list[StepRecord]:
    """Steps left failed, or skipped by a person (a condition that was false is not one)."""
    return [rec for rec in state.steps.values()
            if rec.status == StepStatus.FAILED
            or (rec.status == StepStatus.SKIPPED and not _skipped_by_condition(rec))]


def _skipped_by_condition(rec: StepRecord) -> bool:
    """Skipped by `when:` or a dry run: the journal says so (`skip`); a journal written
    before it had that field says so only in the reason's words."""
    if rec.skip is not None:
        try:
            return SkipKind(rec.skip).by_condition
        except ValueError:  # a kind this version does not know: not one of the two
            return False
    return rec.reason.startswith(("when:", "dry run"))


def carry_over(run: PreparedRun, previous: RunState, ui: UI) -> None:
    """Ask about each loose end of the previous run; journal the answers."""
    ends = loose_ends(previous)
    if not ends:
        return
    ui.step("carry-over", f"Left open by last run ({previous.run_id})", "carry-over")
    spec = CARRY_SPEC  # the answers file's grammar checks carry-over/ keys against it too
    for rec in ends:
        key = f"{CARRY_OVER}{rec.key}"
        question = (f"Last run: {rec.key} ({rec.title}) was {rec.status}"
                    f"{': ' + rec.reason if rec.reason else ''}. Where is it now?")
        ui.warn(question)
        run.engine.ask(key, "carry-over", question, spec, previous_run=previous.run_id,
                       previous_status=rec.status)


def weekly_command(req: RunRequest, session: Session, ui: UI) -> int:
    from runbookctl.cli.commands.run import run_command
    from runbookctl.errors import UsageError

    ids = session.registry.ids()
    if req.runbook not in ids:
        days = [i.removeprefix("weekly-") for i in sorted(ids) if i.startswith("weekly-")]
        raise UsageError(f"no weekly checklist for {req.runbook.removeprefix('weekly-')} "
                         f"(no runbook {req.runbook}); there are: {', '.join(days) or 'none'}")

    def before(run: PreparedRun) -> None:
        previous = previous_run(session, req.runbook, run.run_id)
        if previous is not None:
            carry_over(run, previous, ui)

    return run_command(req, session, ui, before=before)
