"""What `stats` measures (record/run_figures.py): time to each milestone from the run's
start, active time, median and p90 with their count, per runbook and UTC month."""

from __future__ import annotations

import pytest

from runbookctl.record.run_figures import (
    RunFigures,
    from_front_matter,
    from_state,
    has_figures,
    median_p90,
    rows,
)
from runbookctl.record.run_state import RunState


def _run(run_id: str, started: str = "2026-11-10T08:00:00.000Z", status: str = "completed",
         active: float = 10.0, runbook: str = "db", failed: tuple[str, ...] = (),
         **to: float) -> RunFigures:
    return RunFigures(run_id, runbook, started, status, failed, active, to)


def test_median_and_p90_of_an_odd_and_an_even_count() -> None:
    assert median_p90([30, 10, 20]) == {"count": 3, "median_seconds": 20, "p90_seconds": 28.0}
    assert median_p90([40, 10, 30, 20]) == {"count": 4, "median_seconds": 25.0, "p90_seconds": 37.0}
    # 1..10: the p90 lies between the 9th and 10th values, a tenth of the way.
    assert median_p90(range(1, 11)) == {"count": 10, "median_seconds": 5.5, "p90_seconds": 9.1}


def test_one_value_is_its_own_median_and_p90_and_none_gives_no_figure() -> None:
    assert median_p90([42.25]) == {"count": 1, "median_seconds": 42.2, "p90_seconds": 42.2}
    assert median_p90([]) == {"count": 0, "median_seconds": None, "p90_seconds": None}


def test_months_are_utc_by_the_run_start_even_when_it_ends_in_the_next() -> None:
    out = rows([_run("a", "2026-10-31T23:59:59.999Z", resolved=7200.0),
                _run("b", "2026-11-01T00:00:00.000Z", resolved=60.0)])
    assert [(r["month"], r["runs"], r["ttr"]["median_seconds"]) for r in out] == [
        ("2026-10", 1, 7200.0), ("2026-11", 1, 60.0)]
    (overall,) = rows([_run("a", "2026-10-31T23:59:59.999Z"), _run("b")], by_month=False)
    assert (overall["month"], overall["runs"]) == ("all", 2)


def test_runs_without_a_milestone_are_counted_but_not_in_its_figure() -> None:
    (row,) = rows([_run("a", acknowledged=30.0, resolved=600.0), _run("b", acknowledged=90.0),
                   _run("c", status="interrupted", active=4.0)])
    assert row["runs"] == 3 and row["completed"] == 2 and row["completion_rate"] == 0.667
    assert row["tta"] == {"count": 2, "median_seconds": 60.0, "p90_seconds": 84.0}
    assert row["ttm"] == {"count": 0, "median_seconds": None, "p90_seconds": None}
    assert row["ttr"]["count"] == 1 and row["ttr"]["median_seconds"] == 600.0
    # Active time of the completed runs; kept under the names scripts read before.
    assert row["active"]["count"] == 2 and row["median_seconds"] == 10.0


def test_rows_are_per_runbook_and_month_with_the_most_failed_steps() -> None:
    out = rows([_run("a", runbook="web", failed=("drain", "page")), _run("b", failed=("drain",)),
                _run("c", runbook="web", failed=("drain",))])
    assert [(r["runbook"], r["runs"]) for r in out] == [("db", 1), ("web", 2)]
    assert out[1]["most_failed_steps"] == [{"step": "drain", "failures": 2},
                                           {"step": "page", "failures": 1}]


def test_from_state_measures_each_first_milestone_from_the_start() -> None:
    state = RunState(run_id="r", runbook="db", started="2026-11-02T10:00:00.000Z", status="completed")
    state.milestones = {"acknowledged": "2026-11-02T10:01:30.000Z",
                        "resolved": "2026-11-03T10:00:00.000Z"}
    state.active_closed = 12.5
    figures = from_state(state)
    assert figures.to_milestone == {"acknowledged": 90.0, "resolved": 86400.0}
    assert (figures.active, figures.month) == (12.5, "2026-11")


def test_a_run_s_figures_are_the_same_from_its_journal_and_from_its_report() -> None:
    """The report writes the active time to the millisecond ("0.050"): the journal's
    0.0496 s is read to the millisecond too, so both give the same tenth (0.1)."""
    state = RunState(run_id="r", runbook="db", started="2026-11-02T10:00:00.000Z",
                     status="completed")
    state.active_closed = 0.0496
    meta = {"run_id": "r", "runbook": "db", "status": "completed", "failed_steps": [],
            "started": "2026-11-02T10:00:00.000Z", "active_seconds": float(f"{0.0496:.3f}")}
    assert rows([from_state(state)]) == rows([from_front_matter(meta)])  # type: ignore[list-item]
    assert rows([from_state(state)])[0]["median_seconds"] == 0.1


META = {"run_id": "r1", "runbook": "db", "status": "completed", "failed_steps": ["drain"],
        "started": "2026-11-02T10:00:00.000Z", "duration_seconds": 98.0}


def test_a_report_front_matter_gives_the_same_figures() -> None:
    meta = {**META, "active_seconds": 5.0, "acknowledged": "2026-11-02T10:00:02.000Z",
            "mitigated": None, "resolved": "2026-11-02T10:01:38.000Z"}
    assert has_figures(meta)
    figures = from_front_matter(meta)
    assert figures == RunFigures("r1", "db", "2026-11-02T10:00:00.000Z", "completed", ("drain",),
                                 5.0, {"acknowledged": 2.0, "resolved": 98.0})


def test_an_older_front_matter_has_no_milestones_and_its_wall_time() -> None:
    assert not has_figures(META)
    figures = from_front_matter(META)
    assert figures is not None and figures.active == 98.0 and figures.to_milestone == {}


@pytest.mark.parametrize("meta", [{}, {"title": "Notes"}, {**META, "run_id": None},
                                  {**META, "started": 20261102}])
def test_a_front_matter_that_is_not_a_run_gives_nothing(meta: dict[str, object]) -> None:
    assert from_front_matter(meta) is None


def test_a_milestone_before_the_start_is_no_figure() -> None:
    """A hand-edited front matter cannot give a negative time."""
    figures = from_front_matter({**META, "acknowledged": "2026-11-01T00:00:00.000Z"})
    assert figures is not None and figures.to_milestone == {}
