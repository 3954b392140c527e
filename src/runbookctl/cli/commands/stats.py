"""`stats`: per runbook and month — runs, completion rate, time to resolve (median, p90),
most-failed steps — from the run journals, or from a post-mortem repo's committed copies."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.outcomes import RunStatus, StepStatus

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.record.run_state import RunState


@dataclass
class Bucket:
    runbook: str
    month: str
    statuses: Counter[str] = field(default_factory=Counter)
    durations: list[float] = field(default_factory=list)
    failed_steps: Counter[str] = field(default_factory=Counter)

    def row(self) -> dict[str, Any]:
        runs = sum(self.statuses.values())
        done = sorted(self.durations)
        return {
            "runbook": self.runbook, "month": self.month, "runs": runs,
            "completed": self.statuses.get(RunStatus.COMPLETED, 0),
            "completion_rate": round(self.statuses.get(RunStatus.COMPLETED, 0) / runs, 3) if runs else 0.0,
            "statuses": dict(self.statuses),
            "median_seconds": round(statistics.median(done), 1) if done else None,
            "p90_seconds": round(_p90(done), 1) if done else None,
            "most_failed_steps": [{"step": s, "failures": n}
                                  for s, n in self.failed_steps.most_common(3)],
        }


def _p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def journals(session: Session, reports: Path | None) -> list[Path]:
    """The state dir's run journals, or the `*.journal.jsonl` copies under a reports folder."""
    if reports is not None:
        return sorted(reports.rglob("*.journal.jsonl"))
    from runbookctl.cli.commands.history import run_dirs

    return [d / "journal.jsonl" for d in run_dirs(session)]


def collect(states: list[RunState]) -> list[dict[str, Any]]:
    buckets: dict[tuple[str, str], Bucket] = {}
    for state in states:
        key = (state.runbook, state.started[:7])
        bucket = buckets.setdefault(key, Bucket(*key))
        bucket.statuses[state.status] += 1
        if state.status == RunStatus.COMPLETED:  # time to resolve counts resolved runs only
            bucket.durations.append(state.duration)
        for step_key, rec in state.steps.items():
            if rec.status == StepStatus.FAILED:
                bucket.failed_steps[step_key] += 1
    return [buckets[k].row() for k in sorted(buckets)]


def stats(session: Session, ui: UI, *, as_json: bool, reports: Path | None,
          runbook: str | None) -> int:
    from runbookctl.cli.commands.history import readable_states
    from runbookctl.durations import format_elapsed as human_duration

    states = []
    for state in readable_states(journals(session, reports), ui):
        if state.run_id and (runbook is None or state.runbook == runbook):
            states.append(state)
    rows = collect(states)
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    table = Table("runbook", "month", "runs", "completed", "rate", "median TTR", "p90 TTR",
                  "most-failed steps", box=None)
    for r in rows:
        failed = ", ".join(f"{f['step']} ({f['failures']})" for f in r["most_failed_steps"])
        table.add_row(r["runbook"], r["month"], str(r["runs"]), str(r["completed"]),
                      f"{r['completion_rate']:.0%}", human_duration(r["median_seconds"]),
                      human_duration(r["p90_seconds"]), failed)
    ui.console.print(table)
    if not rows:
        ui.info("no runs found")
    return 0


