"""`stats --markdown` (record/stats_page.py): a table per runbook with every figure and
its count, and a Mermaid xychart of the median times per month that GitHub renders."""

from __future__ import annotations

from runbookctl.record.run_figures import RunFigures, rows
from runbookctl.record.stats_page import mermaid_chart, render, spread_text
from tests.xychart import xycharts


def _run(run_id: str, started: str, runbook: str = "db", **to: float) -> RunFigures:
    return RunFigures(run_id, runbook, started, "completed", (), 10.0, to)


RUNS = [_run("a", "2026-10-05T10:00:00.000Z", acknowledged=60.0, mitigated=300.0, resolved=900.0),
        _run("b", "2026-11-05T10:00:00.000Z", acknowledged=120.0, resolved=1800.0),
        _run("c", "2026-11-20T10:00:00.000Z"),
        _run("d", "2026-11-20T10:00:00.000Z", runbook="quiet")]


def _page(runs: list[RunFigures]) -> str:
    return render(rows(runs), rows(runs, by_month=False), what="Measured over the test runs.")


def test_a_chart_of_the_median_times_per_month_in_a_fitting_unit() -> None:
    ((months, bars),) = xycharts(_page(RUNS))
    assert months == ["2026-10", "2026-11"]
    # Minutes; TTR, TTM, TTA back to front; November's TTM: no run, no bar.
    assert bars == [[15.0, 30.0], [5.0, 0.0], [1.0, 2.0]]
    assert 'y-axis "minutes" 0 --> 33' in _page(RUNS)


def test_every_figure_has_its_count_and_what_no_run_reached_is_a_dash() -> None:
    page = _page(RUNS)
    assert "| 2026-10 | 1 | 1 (100%) | 1m00s · 1m00s (1) | 5m00s · 5m00s (1) | 15m00s · 15m00s (1) |" in page
    assert "| 2026-11 | 2 | 2 (100%) | 2m00s · 2m00s (1) | — | 30m00s · 30m00s (1) |" in page
    assert "| **all** | 3 | 3 (100%) | 1m30s · 1m54s (2) |" in page


def test_a_runbook_whose_runs_reached_no_milestone_has_a_table_and_no_chart() -> None:
    page = _page(RUNS)
    quiet = page[page.index("## quiet"):]
    assert "```mermaid" not in quiet and "reached a milestone: no chart" in quiet
    assert "| 2026-11 | 1 | 1 (100%) | — | — | — | 10.0s · 10.0s (1) | — |" in quiet


def test_names_cannot_break_the_chart_or_the_table() -> None:
    chart = mermaid_chart('x"\ny', rows([_run("a", "2026-11-05T10:00:00.000Z", runbook='x"\ny',
                                              acknowledged=3.0)]))
    assert xycharts(chart + "\n") and 'title "x\' y: median' in chart
    failed = RunFigures("a", "db", "2026-11-05T10:00:00.000Z", "failed", ("a|b",), 1.0, {})
    assert "a\\|b (1)" in _page([failed])


def test_a_spread_reads_median_then_p90_then_count() -> None:
    assert spread_text({"count": 3, "median_seconds": 65.0, "p90_seconds": 190.0}) == "1m05s · 3m10s (3)"
    assert spread_text({"count": 0, "median_seconds": None, "p90_seconds": None}) == "—"


def test_no_runs_says_so() -> None:
    assert "No runs found." in _page([])
