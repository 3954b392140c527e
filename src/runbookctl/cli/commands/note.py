"""`runbookctl note [RUN_ID] TEXT`: a note added to a run from another terminal.

The run may be running (its engine writes the same journal: both append under the
journal's lock, record/journal_io.py, so the hash chain stays whole) or ended (its
report is then rewritten with the note). Without RUN_ID: the one run running now,
else the latest run; several running: exit 2, naming them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import RunbookctlError, UsageError
from runbookctl.outcomes import RunStatus

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.record.run_state import RunState
    from runbookctl.safety.masking import Redactor

# How long to wait for a run that has ended but is still writing its report (signing,
# --commit hooks) before leaving the report to it.
REPORT_WAIT = 30.0


def add_note(session: Session, ui: UI, words: list[str], author: str | None,
             commit: bool = False) -> int:
    """Journal the note (masked), then see that the run's report shows it; `commit`:
    commit the report again, as `run --commit` does. 1 when that commit fails."""
    from runbookctl.engine.request import RunRequest, one_line, operator_name
    from runbookctl.record import events as ev
    from runbookctl.record.events import Recorder
    from runbookctl.record.journal import Journal
    from runbookctl.record.writeup import load_state

    run_id, text = _split(words)
    who = one_line("--as", author) if author else operator_name(RunRequest(runbook=""), session)
    run_dir = _pick(session, ui, run_id)
    state = load_state(run_dir)  # a damaged journal is refused (file:line), never appended to
    with Journal.open_append(run_dir / "journal.jsonl") as journal:
        event = Recorder(journal, run_redactor(session, state)).event(
            ev.NOTE, None, actor=who, text=text, origin=ev.NOTE_BY_COMMAND)
    ui.ok(f"note added to {state.run_id} by {event.actor} at {event.ts} (event {event.seq})")
    return rewrite_report(session, ui, run_dir, state.run_id,
                          commit=f"a note by {event.actor}" if commit else "")


def _split(words: list[str]) -> tuple[str | None, str]:
    """(RUN_ID or None, TEXT): one word is the text, two are a run and the text."""
    from runbookctl.safety.masking import first_control
    from runbookctl.safety.plain_text import not_utf8

    if len(words) not in (1, 2):
        raise UsageError(f"runbookctl note takes [RUN_ID] TEXT, got {len(words)} arguments: "
                         "quote the note (runbookctl note 'rolled back the deploy')")
    run_id, text = (None, words[0]) if len(words) == 1 else (words[0], words[1])
    if not text.strip():
        raise UsageError("the note is empty: give its text (runbookctl note [RUN_ID] TEXT)")
    undecodable = not_utf8("the note", text)
    if undecodable:
        raise UsageError(undecodable)
    bad = first_control(text)
    if bad is not None:
        raise UsageError(f"the note contains a control character ({bad}); give one line of "
                         "plain text")
    return run_id, text.strip()


def _pick(session: Session, ui: UI, run_id: str | None) -> Path:
    """The named run; else the one running now; else the latest."""
    from runbookctl.cli.commands.history import running_or_latest

    try:
        return running_or_latest(session, ui, run_id, "runbookctl note RUN_ID TEXT",
                                 "nothing to add a note to")
    except UsageError as exc:
        if run_id:
            raise UsageError(f"{exc.message}; to note without naming a run, quote the whole "
                             "note as one argument") from None
        raise


def run_redactor(session: Session, state: RunState) -> Redactor:
    """Masks token-like strings, and the run's secrets that this terminal's environment
    holds too (env secrets of its runbook). A secret typed at the run's own terminal is
    known only to that process (docs/record.md, section 6)."""
    import os

    from runbookctl.engine.planning import all_secrets
    from runbookctl.safety.masking import Redactor

    redactor = Redactor()
    try:
        rb = session.registry.load_path(Path(str(state.meta.get("path", ""))))
        specs = all_secrets(rb, session)
    except (RunbookctlError, OSError):
        return redactor  # the runbook moved or changed: token-like strings are still masked
    for spec in specs:
        value = os.environ.get(spec.env or spec.name)
        if value:
            redactor.add(value, spec.name)
    return redactor


def rewrite_report(session: Session, ui: UI, run_dir: Path, run_id: str,
                   commit: str = "") -> int:
    """An ended run's report is rewritten with the note; a report committed before gets
    its journal copy beside it updated too (else `verify` of that folder would say the
    journal was cut), and with `commit` (what changed it, for the message) all of it is
    committed again. A run going on writes its report when it ends, from the journal
    that now holds the note. 1 when the commit fails."""
    from runbookctl.record import lock as runlock
    from runbookctl.record.writeup import load_state, refresh_report

    if load_state(run_dir).status == RunStatus.RUNNING and not runlock.is_free(run_dir):
        if commit:
            ui.info(f"run {run_id} is still running: its report, with this note, is written "
                    "(and committed, if it was started with --commit) when it ends")
        return 0
    try:  # ended: its writer may still be finishing (signing, --commit): let it
        runlock.acquire(run_dir, "runbookctl note", wait=REPORT_WAIT)
    except UsageError:
        ui.info(f"run {run_id} is in use by {runlock.holder(run_dir)}: it writes the report, "
                "with this note")
        return 0
    try:  # says where it rebuilt the report
        refresh_report(run_dir, ui, template_dirs=session.registry.template_dirs)
        return _recommit(session, ui, run_dir, commit)
    finally:
        runlock.release(run_dir)


def _recommit(session: Session, ui: UI, run_dir: Path, commit: str) -> int:
    """After the rewrite: commit the record again, or bring a committed one up to date."""
    from runbookctl.engine.planning import log_caps
    from runbookctl.errors import ExitCode
    from runbookctl.record import report_file
    from runbookctl.record.commit import CommitError, commit_report, refresh_copies
    from runbookctl.record.writeup import load_state

    report = report_file.recorded(run_dir)
    if report is None or not report.is_file():
        return 0
    if commit:
        try:
            commit_report(report, run_dir, load_state(run_dir), ui, log_caps(session),
                          session.registry.template_dirs, since=commit)
        except CommitError as exc:
            ui.fail(exc.message)
            return int(ExitCode.FAILED)
    elif refresh_copies(report, run_dir):
        ui.info(f"its committed copy beside {report.name} follows the journal; commit it with "
                "runbookctl note --commit, or git")
    return 0
