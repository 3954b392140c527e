"""Journal → RunState → report file: used at the end of a run, by `report` and `resume`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl import __version__
from runbookctl.errors import CorruptJournal, UsageError
from runbookctl.runbook.config import bundled_dir
from runbookctl.runbook.registry import find_template

if TYPE_CHECKING:
    from runbookctl.record.journal import Journal, Replay
    from runbookctl.record.notices import Notices as UI
    from runbookctl.record.run_state import RunState

REPORT_TEMPLATE = "report.md.j2"


def load_state(run_dir: Path) -> RunState:
    journal = run_dir / "journal.jsonl"
    if not journal.is_file():
        raise UsageError(f"no journal in {run_dir}")
    return load_journal(journal)[1]


def load_written(run_dir: Path, journal: Journal) -> RunState:
    """The state of the run this process journals: replayed from the events the journal
    holds (Journal.written), which spares reading and parsing the file back (a fifth of
    a long run's write-up); read from the file when another writer appended to it, or
    when anything in them does not replay: the read names the file and line."""
    from runbookctl.record.replay import replay

    events = journal.written()
    if events:
        try:
            state = replay(events)
        except Exception:  # the read raises it again, as CorruptJournal with file:line
            state = None
        if state is not None and state.run_id:
            return state
    return load_state(run_dir)


def load_journal(journal: Path) -> tuple[Replay, RunState]:
    """A journal read and replayed; CorruptJournal (`file:line: why`) for an unreadable
    line or a wrongly typed event, so that one bad journal never passes for a run."""
    from runbookctl.record.event_data import EventDataError
    from runbookctl.record.journal import read_journal
    from runbookctl.record.replay import replay

    try:
        replayed = read_journal(journal)
    except OSError as exc:
        raise CorruptJournal(f"{journal}: cannot read: {exc.strerror or exc}") from None
    if replayed.problems:
        where = replayed.problem_lines[0]
        why = replayed.problems[0].split(": ", 1)[1]
        raise CorruptJournal(f"{journal}:{where}: {why}")
    try:
        state = replay(replayed.events)
    except EventDataError as exc:
        raise CorruptJournal(f"{journal}:{replayed.lines[exc.index]}: {exc}") from None
    if not state.run_id:  # what every reader needs first: which run this is
        raise CorruptJournal(f"{journal}:1: no run_started event (empty, or cut off as the run "
                             "began)")
    state.torn = replayed.torn
    return replayed, state


def _report_template(template_dirs: list[Path] | None) -> tuple[str, bool]:
    """report.md.j2's source, and whether it is runbookctl's own (not a team's)."""
    bundled = bundled_dir("templates")
    found = find_template([*(template_dirs or []), bundled], REPORT_TEMPLATE)
    if found is not None:
        return found.read_text(encoding="utf-8"), found.parent == bundled
    raise UsageError(f"{REPORT_TEMPLATE} not found (looked in the template dirs)")


def first_report_path(state: RunState) -> Path:
    """The run's report name (docs/record.md, section 1; report_file.place adds -2, -3... if taken)."""
    from runbookctl.record.report import report_name

    return Path(str(state.meta.get("report_dir") or "reports")) / report_name(state)


def render_state(state: RunState, template_dirs: list[Path] | None = None,
                 logs: dict[str, dict[str, Any]] | None = None) -> str:
    from jinja2 import TemplateError

    from runbookctl.record.report import render_report

    try:
        source, bundled = _report_template(template_dirs)
        return render_report(state, source, __version__, logs, bundled=bundled)
    except (TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
        # the journal replayed, but lacks something a report shows: bad data, not a bug
        raise CorruptJournal(f"run {state.run_id}: its report cannot be rendered from its "
                             f"journal: {exc}") from None


def final_text(state: RunState, template_dirs: list[Path] | None = None,
               report: Path | None = None) -> tuple[str, list[str]]:
    """The report exactly as written at `report`: rendered, token-scanned, escapes made
    inert; with links to the logs committed beside it, if any (record/log_copies.py).

    `verify` compares a report file with this, so both must go through here. The
    secrets are not at hand then, and need not be: every string of the journal was
    masked when it was written, so the data the report shows is masked already.
    Masking the rendered report again would also mask the template's own words
    (a secret `Summary` or `status`), which verify could never reproduce.
    """
    from runbookctl.record.log_copies import report_links
    from runbookctl.safety.masking import sanitize_terminal

    logs = report_links(report, state.run_id) if report is not None else None
    text = render_state(state, template_dirs, logs)
    text, kinds = _scan_sections(text)
    return sanitize_terminal(text), kinds


def _scan_sections(text: str) -> tuple[str, list[str]]:
    """Mask token-like strings section by section, to say which step each was in."""
    import re

    from runbookctl.safety.tokens import scan_tokens

    out: list[str] = []
    found: list[str] = []
    for part in re.split(r"(?m)^(?=##+ )", text):
        masked, kinds = scan_tokens(part)
        out.append(masked)
        step = re.match(r"### \S+ `([^`]+)`", part)
        section = re.match(r"##+ (.+)", part)
        where = f"step {step.group(1)}" if step else (
            f"section {section.group(1).strip()}" if section else "header")
        found += [f"{kind} in {where}" for kind in kinds]
    return "".join(out), found


def write_run_report(run_dir: Path, ui: UI, output: Path | None = None,
                     template_dirs: list[Path] | None = None,
                     state: RunState | None = None) -> Path | None:
    """Render and write the report; never raises for a broken journal (warns instead).
    `state`: the journal as the caller just replayed it (else it is read here)."""
    from runbookctl.record import report_file as reportfile

    path = output or reportfile.recorded(run_dir)
    try:
        state = state or load_state(run_dir)
        text, kinds = final_text(state, template_dirs, path)
    except Exception as exc:  # the report must not hide the run's own outcome
        ui.warn(f"could not render the report: {exc}")
        return None
    try:
        if path is not None:
            reportfile.write_report(path, text)
        else:
            path = reportfile.place(first_report_path(state), state.run_id, text)
            reportfile.remember(run_dir, path)
    except OSError as exc:
        ui.warn(f"could not write the report {path or first_report_path(state)}: {exc}")
        return None
    for kind in kinds:
        ui.warn(f"the report contained a token-like string ({kind}); it was masked")
    if state.torn:
        ui.warn(f"journal: {state.torn}")
    return path


def refresh_report(run_dir: Path, ui: UI, template_dirs: list[Path] | None = None,
                   state: RunState | None = None) -> Path | None:
    """Rebuild the report of a run that nobody is writing now when it is missing or
    older than the journal (killed during the write-up); the path if rebuilt."""
    from runbookctl.record import lock as runlock
    from runbookctl.record import report_file as reportfile

    if not runlock.is_free(run_dir):
        return None  # its writer will write it
    state = state or load_state(run_dir)
    if not state.run_id:
        return None  # killed before its first event: nothing to report
    path = reportfile.recorded(run_dir)
    if path is not None and path.is_file() and reportfile.is_current(path, state):
        return None
    was = "behind its journal" if path is not None and path.is_file() else "missing"
    written = write_run_report(run_dir, ui, template_dirs=template_dirs, state=state)
    if written is not None:
        ui.info(f"the report of {state.run_id} was {was}: rebuilt {written}")
    return written
