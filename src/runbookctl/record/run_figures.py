"""The figures `stats` measures (#14.6), per runbook and month: time to acknowledge,
mitigate and resolve, and active time — each as a count, a median and a p90.

- **TTA / TTM / TTR** of a run: the first `milestone` event of that name minus the
  run's start (`run_started`). It is the incident's clock: a pause between an
  interruption and the resume is part of it, as it is of the incident. A run that
  never reached the milestone is counted in `runs`, not in the figure.
- **Active time**: the sum of the run's sessions — from `run_started` or each
  `run_resumed` to the session's end (`run_finished`/`run_interrupted`, or its last
  event when it stopped with none) — the time the run was running, not the wall
  time: a 5 s run resumed a day later is 5 s (record/replay.py).
- A run's **month** is the UTC month it started in.

A run's figures come from its replayed journal (RunState) or from a report's front
matter (docs/record.md section 8), which carries the same facts.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runbookctl.outcomes import RunStatus
from runbookctl.record.run_state import seconds_between
from runbookctl.runbook.schema import MILESTONES

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from runbookctl.record.run_state import RunState

# The figure's key in `stats --json` -> the milestone it measures the time to.
TIMES = {"tta": "acknowledged", "ttm": "mitigated", "ttr": "resolved"}


@dataclass(frozen=True)
class RunFigures:
    run_id: str
    runbook: str
    started: str  # UTC, 2026-11-30T23:59:59.000Z
    status: str
    failed_steps: tuple[str, ...] = ()
    active: float = 0.0
    to_milestone: Mapping[str, float] = field(default_factory=dict)  # name -> seconds from start

    @property
    def month(self) -> str:
        return self.started[:7]


def from_state(state: RunState) -> RunFigures:
    # The active time to the millisecond, as the report's front matter writes it: a run's
    # figures are the same from its journal or its report (else 0.0496 s here and
    # "0.050" there round to different tenths).
    return RunFigures(state.run_id, state.runbook, state.started, state.status,
                      tuple(state.failed_keys), round(state.active, 3),
                      _offsets(state.started, state.milestones))


def from_front_matter(meta: Mapping[str, Any]) -> RunFigures | None:
    """A report's figures; None when the front matter is not a run's (no run_id,
    runbook or start). A report from before `active_seconds` gives its wall time."""
    run_id, runbook, started = (meta.get(k) for k in ("run_id", "runbook", "started"))
    if not (isinstance(run_id, str) and isinstance(runbook, str) and isinstance(started, str)
            and run_id and runbook and started):
        return None
    failed = meta.get("failed_steps")
    active = meta.get("active_seconds", meta.get("duration_seconds"))
    reached = {name: meta[name] for name in MILESTONES if isinstance(meta.get(name), str)}
    return RunFigures(run_id, runbook, started, str(meta.get("status") or ""),
                      tuple(str(s) for s in failed) if isinstance(failed, list) else (),
                      float(active) if isinstance(active, (int, float)) else 0.0,
                      _offsets(started, reached))


def has_figures(meta: Mapping[str, Any]) -> bool:
    """Whether a front matter carries the milestones and active time (reports rendered
    since #14.6); older ones only have the wall time, their journal has the rest."""
    return "active_seconds" in meta and all(name in meta for name in MILESTONES)


def _offsets(started: str, milestones: Mapping[str, str]) -> dict[str, float]:
    return {name: seconds_between(started, ts) for name, ts in milestones.items()
            if name in MILESTONES and ts >= started}


def median_p90(values: Iterable[float]) -> dict[str, Any]:
    """`{count, median_seconds, p90_seconds}`; the two are None with no value. The p90
    is interpolated between the closest ranks (the inclusive method of
    statistics.quantiles): of 1..10 it is 9.1."""
    done = sorted(values)
    if not done:
        return {"count": 0, "median_seconds": None, "p90_seconds": None}
    p90 = done[0] if len(done) == 1 else statistics.quantiles(done, n=10, method="inclusive")[-1]
    return {"count": len(done), "median_seconds": round(statistics.median(done), 1),
            "p90_seconds": round(p90, 1)}


@dataclass
class Bucket:
    runbook: str
    month: str
    runs: list[RunFigures] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        statuses = Counter(r.status for r in self.runs)
        completed = statuses.get(RunStatus.COMPLETED, 0)
        active = median_p90(r.active for r in self.runs if r.status == RunStatus.COMPLETED)
        failed = Counter(step for r in self.runs for step in r.failed_steps)
        row: dict[str, Any] = {
            "runbook": self.runbook, "month": self.month, "runs": len(self.runs),
            "completed": completed,
            "completion_rate": round(completed / len(self.runs), 3) if self.runs else 0.0,
            "statuses": dict(statuses),
            # Kept from before #14.6 for scripts: the active time of the completed runs.
            "median_seconds": active["median_seconds"], "p90_seconds": active["p90_seconds"],
            "active": active,
            "most_failed_steps": [{"step": s, "failures": n} for s, n in failed.most_common(3)],
        }
        for key, milestone in TIMES.items():
            row[key] = median_p90(r.to_milestone[milestone] for r in self.runs
                                  if milestone in r.to_milestone)
        return row


def rows(figures: Iterable[RunFigures], *, by_month: bool = True) -> list[dict[str, Any]]:
    """One row per runbook and month (or per runbook, `month` "all"), sorted."""
    buckets: dict[tuple[str, str], Bucket] = {}
    for run in figures:
        key = (run.runbook, run.month if by_month else "all")
        buckets.setdefault(key, Bucket(*key)).runs.append(run)
    return [buckets[k].row() for k in sorted(buckets)]
