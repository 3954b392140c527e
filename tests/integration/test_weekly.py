"""`weekly`: picks the day's checklist and carries over what the last run left open."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run_cli

pytestmark = pytest.mark.integration


def _weekly(work: Path, answers: str, *day: str) -> tuple[int, str]:
    (work / "answers.yaml").write_text(answers)
    result = run_cli(["--runbooks", str(FIXTURES / "weekly"), "weekly", *day, "--var",
                      f"out={work}", "--no-input", "--answers", str(work / "answers.yaml"),
                      "--report-dir", str(work / "reports")], cwd=work, state=work / "state")
    return result.code, result.output


def test_last_runs_failed_and_skipped_items_are_asked_and_reported(tmp_path: Path) -> None:
    code, out = _weekly(tmp_path, "review: {status: skipped, note: on leave}\n", "monday")
    assert code == 0, out
    report_path = next((tmp_path / "reports" / "weekly").glob("*-monday.md"))
    first = report_path.read_text()
    assert "Carried over" not in first
    (tmp_path / "backup-ok").write_text("")
    code, out = _weekly(tmp_path, "review: done\ncarry-over/backups: resolved\n"
                        "carry-over/review: still open\n", "mon")
    assert code == 0, out
    assert "Last run: backups" in out and "Last run: review" in out
    assert "optional" not in out.split("Left open by last run")[1].split("▶ backups")[0]
    assert report_path.read_text() == first  # another run's report is never overwritten
    report = report_path.with_name(report_path.stem + "-2.md").read_text()
    section = report.split("## Carried over from the last run")[1].split("\n## ")[0]
    assert "| `backups` | failed | **resolved** |" in section
    assert "| `review` | skipped | **still open** |" in section


def test_an_unanswered_carry_over_stops_a_non_interactive_run(tmp_path: Path) -> None:
    _weekly(tmp_path, "review: done\n", "monday")
    code, out = _weekly(tmp_path, "review: done\n", "monday")
    assert code == 2
    assert "carry-over/backups" in out
    assert (tmp_path / "log").read_text().splitlines() == ["done"]  # only the first run's


def test_unknown_day_is_a_usage_error(tmp_path: Path) -> None:
    code, out = _weekly(tmp_path, "{}\n", "funday")
    assert code == 2
    assert "unknown day 'funday'" in out
