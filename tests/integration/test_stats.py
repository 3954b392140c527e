"""`stats` measures from the milestones and the run's sessions, checked against the
journals of real runs — one of them interrupted at a prompt and resumed later — locally,
as a Markdown page with a Mermaid chart, and over the reports `--commit` put in a git repo."""

from __future__ import annotations

import json
import statistics
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, git, postmortem_repo, run_cli
from tests.xychart import xycharts

pytestmark = pytest.mark.integration

RUNBOOKS = FIXTURES / "stats"


def _secs(a: str, b: str) -> float:
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return (datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds()


def _cli(work: Path, *args: str, ok: bool = True) -> str:
    result = run_cli(["--runbooks", str(RUNBOOKS), *args], cwd=work, state=work / "state")
    assert (result.code == 0) == ok, result.output
    return result.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """In a post-mortem repo, with --commit: paged run in one go; paged interrupted at its
    prompt (no input) and resumed; paged aborted at that prompt (never resolved); quiet."""
    work = tmp_path_factory.mktemp("stats")
    repo = postmortem_repo(work / "postmortems")
    (work / "yes.yaml").write_text("check: yes\n")
    (work / "no.yaml").write_text("check: no\n")
    report = ["--report-dir", str(repo / "incidents"), "--commit"]
    _cli(work, "run", "paged", "--answers", str(work / "yes.yaml"), *report)
    _cli(work, "run", "paged", "--no-input", *report, ok=False)  # stops at the prompt
    _cli(work, "resume", "--answers", str(work / "yes.yaml"), "--commit")
    _cli(work, "run", "paged", "--answers", str(work / "no.yaml"), *report, ok=False)
    _cli(work, "run", "quiet", *report)
    return work


def _journals(work: Path) -> list[list[dict[str, Any]]]:
    return [[json.loads(line) for line in j.read_text().splitlines()]
            for j in sorted((work / "state" / "runs").glob("*/journal.jsonl"))]


def _expected(work: Path) -> dict[str, list[float]]:
    """Each figure of the paged runs, computed here from the journals' events."""
    out: dict[str, list[float]] = {"tta": [], "ttm": [], "ttr": [], "active": [], "wall": []}
    for events in _journals(work):
        start = events[0]
        if start["data"]["runbook"] != "paged":
            continue
        for key, name in (("tta", "acknowledged"), ("ttm", "mitigated"), ("ttr", "resolved")):
            first = next((e["ts"] for e in events if e["type"] == "milestone"
                          and e["data"]["name"] == name), None)
            if first:
                out[key].append(_secs(start["ts"], first))
        if events[-1]["type"] == "run_finished" and events[-1]["data"]["status"] == "completed":
            begins = [e["ts"] for e in events if e["type"] in ("run_started", "run_resumed")]
            ends = [e["ts"] for e in events if e["type"] in ("run_finished", "run_interrupted")]
            out["active"].append(sum(_secs(b, e) for b, e in zip(begins, ends, strict=True)))
            out["wall"].append(_secs(start["ts"], events[-1]["ts"]))
    return out


def _month(work: Path) -> str:
    """The UTC month the runs started in (a run's month is its start's)."""
    (month,) = {events[0]["ts"][:7] for events in _journals(work)}
    return month


def _rows(work: Path, *args: str) -> dict[str, dict[str, Any]]:
    return {r["runbook"]: r for r in json.loads(_cli(work, "stats", "--json", *args))}


def _check_paged(row: dict[str, Any], expected: dict[str, list[float]]) -> None:
    assert (row["runs"], row["completed"], row["statuses"]) == (3, 2, {"completed": 2, "aborted": 1})
    for key in ("tta", "ttm", "ttr", "active"):
        values = expected[key]
        assert row[key]["count"] == len(values), key
        assert row[key]["median_seconds"] == pytest.approx(statistics.median(values), abs=0.06)
    assert row["tta"]["count"] == 3 and row["ttr"]["count"] == 2  # the aborted run: no TTR


def test_stats_measure_the_milestones_and_the_active_time_of_the_runs(work: Path) -> None:
    expected = _expected(work)
    rows = _rows(work)
    _check_paged(rows["paged"], expected)
    assert rows["paged"]["month"] == _month(work)
    # The resumed run: its pause at the prompt counts in its wall time, not its active time.
    gaps = [w - a for w, a in zip(expected["wall"], expected["active"], strict=True)]
    assert max(gaps) > 0.05 and min(gaps) == pytest.approx(0, abs=0.002)
    quiet = rows["quiet"]
    assert quiet["runs"] == 1 and quiet["tta"] == {"count": 0, "median_seconds": None, "p90_seconds": None}


def test_the_table_shows_each_figure_with_its_count(work: Path) -> None:
    table = _cli(work, "stats")
    paged = next(line for line in table.splitlines() if line.strip().startswith("paged"))
    assert "3 (100%)" not in paged and "2 (67%)" in paged and "(3)" in paged and "(2)" in paged
    quiet = next(line for line in table.splitlines() if line.strip().startswith("quiet"))
    assert quiet.count("—") == 3


def test_the_markdown_page_charts_the_median_times_per_month(work: Path) -> None:
    assert "stats page written" in run_cli(["stats", "--markdown", "--output", str(work / "times.md")],
                                           cwd=work, state=work / "state").stdout
    page = (work / "times.md").read_text()
    printed = _cli(work, "stats", "--markdown")
    measured = [line for line in page.splitlines() if line.startswith("Measured by")]
    assert measured[0].endswith("over 4 runs in the local state dir.")
    assert [line for line in printed.splitlines() if not line.startswith("Measured by")] == [
        line for line in page.splitlines() if not line.startswith("Measured by")]
    ((months, (ttr, ttm, tta)),) = xycharts(page)  # one chart: quiet reached no milestone
    expected = _expected(work)
    assert months == [_month(work)]
    assert 'y-axis "seconds"' in page
    for bar, key in ((ttr, "ttr"), (ttm, "ttm"), (tta, "tta")):
        assert bar[0] == pytest.approx(statistics.median(expected[key]), abs=0.06)
    quiet = page[page.index("## quiet"):]
    assert "| — | — | — |" in quiet and "no chart" in quiet


def test_stats_over_the_reports_committed_to_a_post_mortem_repo(work: Path) -> None:
    repo = work / "postmortems"
    tracked = git(repo, "ls-files").split()
    assert sum(f.endswith(".md") for f in tracked) == 4
    assert all(f.replace(".journal.jsonl", ".md") in tracked for f in tracked if f.endswith(".jsonl"))
    clone = work / "clone"  # what a reviewer has: the repository, no state dir
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    rows = _rows(work / "clone", "--reports", str(clone))
    _check_paged(rows["paged"], _expected(work))
    assert rows == _rows(work)
