"""`stats`: per runbook and month — runs, completion rate, time to acknowledge, mitigate
and resolve (from the milestones), active time, most-failed steps — over the run
journals of the state dir, or the reports committed to a post-mortem repo; as a
table, JSON, or a Markdown page with a Mermaid chart (record/run_figures.py says
what each figure measures, record/stats_page.py draws the page)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.record.run_figures import RunFigures

JOURNAL_COPY = ".journal.jsonl"  # what --commit puts beside a report (record/commit.py)


def journals(session: Session, ui: UI) -> list[Path]:
    """The state dir's run journals (and the team's, from the store when configured)."""
    from runbookctl.cli.commands.history import team_run_dirs

    return [d / "journal.jsonl" for d in team_run_dirs(session, ui)]


def local_runs(session: Session, ui: UI) -> Iterator[RunFigures]:
    from runbookctl.cli.commands.history import readable_states
    from runbookctl.record.run_figures import from_state

    for state in readable_states(journals(session, ui), ui):
        yield from_state(state)


def committed_runs(folder: Path, ui: UI) -> Iterator[RunFigures]:
    """Each report's front matter under `folder`; for a report rendered before the front
    matter had the milestones and active time, the journal copy beside it, when there
    is one; a journal copy without its report too (what `stats` read before #14.6)."""
    from runbookctl.cli.commands.history import readable_states
    from runbookctl.record.run_figures import from_front_matter, from_state, has_figures

    if not folder.is_dir():
        from runbookctl.errors import UsageError

        raise UsageError(f"--reports {folder}: not a folder")
    replayed: set[Path] = set()
    for report in sorted(folder.rglob("*.md")):
        meta = report_front_matter(report)
        figures = from_front_matter(meta)
        if figures is None:
            continue  # a README, a note: not a run's report
        journal = report.with_suffix(JOURNAL_COPY)
        if not has_figures(meta) and journal.is_file():
            replayed.add(journal)
            yield from (from_state(s) for s in readable_states([journal], ui))
        else:
            replayed.add(journal)
            yield figures
    alone = [j for j in sorted(folder.rglob("*" + JOURNAL_COPY)) if j not in replayed]
    yield from (from_state(s) for s in readable_states(alone, ui))


def report_front_matter(report: Path) -> dict[str, Any]:
    """The YAML front matter of a report, reading only as far as its end."""
    from runbookctl.cli.commands.verify import front_matter

    lines: list[str] = []
    try:
        with report.open(encoding="utf-8") as fh:
            for line in fh:
                lines.append(line)
                if line.rstrip("\n") == "---" and len(lines) > 1:
                    break
                if lines[0].rstrip("\n") != "---" or len(lines) > 200:
                    return {}  # no front matter (a README), or none that ends
    except (OSError, UnicodeDecodeError):
        return {}
    return front_matter("".join(lines))


def stats(session: Session, ui: UI, *, as_json: bool, reports: Path | None,
          runbook: str | None, markdown: bool = False, output: Path | None = None) -> int:
    from runbookctl.record.run_figures import rows

    found = list(committed_runs(reports, ui) if reports is not None else local_runs(session, ui))
    runs = _unique(r for r in found if r.run_id and (runbook is None or r.runbook == runbook))
    if markdown or output is not None:
        return _write_page(ui, runs, reports, output)
    table = rows(runs)
    if as_json:
        print(json.dumps(table, indent=2))
        return 0
    _print_table(ui, table)
    if not table:
        total = len(_unique(r for r in found if r.run_id))
        ui.info(f"no run of runbook {runbook} among the {total} found" if runbook and total
                else "no runs found")
    return 0


def _unique(found: Iterator[RunFigures]) -> list[RunFigures]:
    """One entry per run id (a report copied twice is one run)."""
    seen: dict[str, RunFigures] = {}
    for run in found:
        seen.setdefault(run.run_id, run)
    return list(seen.values())


def _write_page(ui: UI, runs: list[RunFigures], reports: Path | None, output: Path | None) -> int:
    from datetime import UTC, datetime

    from runbookctl.record.run_figures import rows
    from runbookctl.record.stats_page import render

    where = f"the reports under `{reports}`" if reports is not None else "the local state dir"
    count = f"{len(runs)} run{'s' if len(runs) != 1 else ''}"
    what = (f"Measured by `runbookctl stats` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
            f"over {count} in {where}.")
    page = render(rows(runs), rows(runs, by_month=False), what=what)
    if output is None or str(output) == "-":
        sys.stdout.write(page)
        return 0
    from runbookctl.errors import UsageError
    from runbookctl.record.report_file import write_report

    try:
        write_report(output, page)
    except OSError as exc:
        raise UsageError(f"--output {output}: cannot write it: {exc.strerror or exc}") from None
    ui.info(f"stats page written: {output}")
    return 0


def _print_table(ui: UI, rows: list[dict[str, Any]]) -> None:
    from rich.measure import Measurement
    from rich.table import Table

    from runbookctl.record.stats_page import spread_text

    longest = max((len(r["runbook"]) for r in rows), default=7)
    table = Table(box=None)
    table.add_column("runbook", no_wrap=True, min_width=longest)  # an id is never cut
    for name in ("month", "runs", "completed", "TTA median · p90", "TTM median · p90",
                 "TTR median · p90", "active median · p90", "most-failed steps"):
        table.add_column(name, no_wrap=name == "month")
    for r in rows:
        failed = ", ".join(f"{f['step']} ({f['failures']})" for f in r["most_failed_steps"])
        table.add_row(r["runbook"], r["month"], str(r["runs"]),
                      f"{r['completed']} ({r['completion_rate']:.0%})",
                      *(spread_text(r[k]) for k in ("tta", "ttm", "ttr", "active")), failed)
    console = ui.console
    if not console.is_terminal:  # a pipe or a file has no width to fit: nothing is folded
        wide = Measurement.get(console, console.options.update(max_width=10_000), table)
        console.width = max(console.width, wide.maximum)
    console.print(table)
