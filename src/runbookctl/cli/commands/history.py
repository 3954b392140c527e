"""`runs` (history from the state dir) and `report` (re-render from a journal)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import UsageError
from runbookctl.runbook import config as cfg

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.record.run_state import RunState


def runs_root(session: Session) -> Path:
    return cfg.state_dir(session.config) / "runs"


def find_run(session: Session, run_id: str) -> Path:
    """A run dir by id or unique prefix. The id is matched as a literal prefix of the names
    of the state dir's run folders — never as a path or a glob pattern — so that no argument
    reaches a folder outside the state dir (`discard ../x` would lock it, `note` write in it)."""
    root = runs_root(session)
    matches = [root / name for name in matching_names(run_folder_names(root), run_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no run '{run_id}' in {root} (runbookctl runs lists them)")
    raise UsageError(f"'{run_id}' matches {len(matches)} runs: {', '.join(p.name for p in matches[:5])}")


def run_folder_names(root: Path) -> list[str]:
    """The names of the folders in `root` (the runs folder), sorted; none if it is missing."""
    try:
        return sorted(p.name for p in root.iterdir() if p.is_dir())
    except OSError:
        return []


def matching_names(names: Iterable[str], run_id: str) -> list[str]:
    """The run folder names `run_id` is a prefix of, compared as text: an empty id, a hidden
    name or a path (`..`, `/`) matches nothing."""
    if not run_id or run_id.startswith(".") or "/" in run_id or "\\" in run_id:
        return []
    return [name for name in names if name.startswith(run_id) and not name.startswith(".")]


def run_dirs(session: Session) -> list[Path]:
    root = runs_root(session)
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if (p / "journal.jsonl").is_file()),
                  key=lambda p: p.name, reverse=True)


def running_or_latest(session: Session, ui: UI, run_id: str | None, usage: str,
                      nothing: str) -> Path:
    """The run a command from another terminal acts on (`note`, `watch`): the named one;
    else the one running now; else the latest. Several running: exit 2 naming them."""
    from runbookctl.record import lock as runlock

    if run_id:
        return find_run(session, run_id)
    runs = run_dirs(session)
    if not runs:
        raise UsageError(f"no runs in {runs_root(session)}: {nothing}")
    running = [d for d in runs if not runlock.is_free(d)]
    if len(running) > 1:
        listing = "\n".join(f"  {d.name}" for d in running)
        raise UsageError(f"{len(running)} runs are running now; say which one: {usage}\n{listing}")
    if running:
        ui.info(f"the run running now: {running[0].name}")
        return running[0]
    ui.info(f"no run is running: the latest, {runs[0].name}")
    return runs[0]


def team_run_dirs(session: Session, ui: UI) -> list[Path]:
    """This state folder's runs and, with config `store:`, the team's other runs as mirrored
    from the store (store/mirror.py), newest first."""
    local = run_dirs(session)
    if not session.config.store:
        return local
    from runbookctl.cli.commands.store import mirrored_runs

    more = mirrored_runs(session, {p.name for p in local})
    return sorted(local + more, key=lambda p: p.name, reverse=True)


def find_any_run(session: Session, ui: UI, run_id: str) -> Path:
    """`find_run`, then (config `store:`) a run of the team's that the store holds."""
    try:
        return find_run(session, run_id)
    except UsageError:
        if not session.config.store:
            raise
    from runbookctl.cli.commands.store import mirrored_runs

    runs = {p.name: p for p in mirrored_runs(session, set())}
    matches = [runs[name] for name in matching_names(sorted(runs), run_id)]
    if len(matches) != 1:
        raise UsageError(f"no run '{run_id}' in {runs_root(session)} nor in the store"
                         if not matches else
                         f"'{run_id}' matches {len(matches)} runs: "
                         f"{', '.join(p.name for p in matches[:5])}")
    return matches[0]


def is_local(session: Session, run_dir: Path) -> bool:
    """A run of this state folder (not one mirrored from the team's store)."""
    return run_dir.parent == runs_root(session)


def readable_states(journals: Iterable[Path], ui: UI) -> Iterator[RunState]:
    """The run of each journal; a damaged one is named (file:line) and skipped, so that
    one bad journal never hides the others."""
    from runbookctl.errors import CorruptJournal
    from runbookctl.record.writeup import load_journal

    for journal in journals:
        try:
            yield load_journal(journal)[1]
        except CorruptJournal as exc:
            ui.warn(f"skipped a damaged journal: {exc.message}")


def parse_since(value: str | None) -> str | None:
    """`--since`: a date (2026-11-01), or an age in the one duration syntax (7d, 12h, 30m, or
    a bare number of seconds: docs/runbook-format.md, section 1); as a UTC timestamp prefix."""
    import re
    from datetime import UTC, datetime, timedelta

    from runbookctl.durations import parse_duration

    if not value:
        return None
    text = value.strip()
    try:
        if text[-1:].isalpha() or re.fullmatch(r"\d+(\.\d+)?", text):  # an age
            age = timedelta(seconds=parse_duration(text))
            # to the millisecond, as journals stamp a start: `--since 0` is none started yet
            return (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        return datetime.fromisoformat(text).strftime("%Y-%m-%dT%H:%M:%S")
    except (ValueError, OverflowError):
        raise UsageError(f"--since {value!r}: expected a date (2026-11-01) or an age (7d, 12h, "
                         "3600 seconds)") from None


def check_filters(limit: int, status: str | None) -> None:
    """`--limit` is at least 1 and `--status` a run status: a typo never reads as no runs."""
    from runbookctl.outcomes import RunStatus

    if limit < 1:
        raise UsageError(f"--limit {limit}: give how many runs to show, 1 or more")
    known = [s.value for s in RunStatus]
    if status is not None and status not in known:
        raise UsageError(f"--status {status!r}: not a run status; one of: {', '.join(known)}")


def list_runs(session: Session, ui: UI, *, as_json: bool, limit: int, runbook: str | None = None,
              status: str | None = None, since: str | None = None) -> int:
    from runbookctl.cli.terminal import UI
    from runbookctl.record.run_state import summary
    from runbookctl.record.writeup import refresh_report

    check_filters(limit, status)
    after = parse_since(since)
    rows = []
    notices = UI(sys.stderr)  # stdout may be --json
    runs = team_run_dirs(session, notices)
    for run_dir in runs:
        state = next(readable_states([run_dir / "journal.jsonl"], ui), None)
        if state is None:
            continue
        if is_local(session, run_dir):  # another machine's run: its report is written there
            refresh_report(run_dir, notices, session.registry.template_dirs, state)
        row = summary(state)
        if runbook and row["runbook"] != runbook:
            continue
        if status and row["status"] != status:
            continue
        if after and row["started"] < after:
            continue
        rows.append(row)
        if len(rows) >= limit:
            break
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    table = Table(box=None)
    # An id is copied into `resume`, `report`: never cut or folded; the others wrap.
    table.add_column("id", no_wrap=True, min_width=max((len(r["id"]) for r in rows), default=2))
    for name in ("runbook", "status", "operator", "started", "duration"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["id"], r["runbook"], r["status_text"], r["operator"], r["started"][:19],
                      r["took"])
    ui.console.print(table)
    if not rows:
        ui.info(_none_shown(session, runs, runbook=runbook, status=status, since=since,
                            after=after))
    return 0


def _none_shown(session: Session, runs: list[Path], *, runbook: str | None, status: str | None,
                since: str | None, after: str | None) -> str:
    """Why `runs` shows no row: no run at all, or none the filters match (each named as
    typed; `--since` with the time it means)."""
    import shlex

    where = runs_root(session)
    if not runs:
        return f"no runs yet in {where}"
    given = [f"{flag} {shlex.quote(value)}" for flag, value in
             (("--runbook", runbook), ("--status", status), ("--since", since)) if value]
    if after:
        given[-1] += f" (started after {after[:19].replace('T', ' ')} UTC)"
    count = f"{len(runs)} run{'s' if len(runs) != 1 else ''} " + (
        f"in {where} and the store" if session.config.store else f"in {where}")
    if not given:  # every journal was damaged: each one was named above
        return f"no readable run; {count}"
    return f"no run matches {' '.join(given)}; {count}"


def rerender(session: Session, ui: UI, run_id: str, output: Path | None) -> int:
    from runbookctl.record.writeup import load_state, render_state, write_run_report

    run_dir = find_any_run(session, ui, run_id)
    state = load_state(run_dir)  # a damaged journal: exit 2 naming file:line, as for resume
    if output is None and not is_local(session, run_dir):  # never where the other machine wrote it
        output = cfg.reports_dir(None, session.config) / f"{state.run_id}.md"
    if output is not None and str(output) == "-":
        sys.stdout.write(render_state(state, session.registry.template_dirs))
        return 0
    path = write_run_report(run_dir, ui, output, session.registry.template_dirs)
    if path is None:
        return 1
    ui.info(f"report written: {path}")
    return 0
