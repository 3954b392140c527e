"""`stats` (cli/commands/stats.py) over a post-mortem folder: which file gives each run's
figures, and the table as a pipe receives it (no width to fit: nothing cut)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from runbookctl.cli.commands.stats import committed_runs, report_front_matter, stats
from runbookctl.cli.terminal import UI
from runbookctl.errors import UsageError
from runbookctl.record.journal import Journal

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session

NEW = """---
run_id: "r-new"
runbook: "db-overload"
status: "completed"
failed_steps: ["kill-queries"]
started: "2026-11-02T10:00:00.000Z"
duration_seconds: 98.0
active_seconds: 5.0
acknowledged: "2026-11-02T10:00:02.000Z"
mitigated: null
resolved: "2026-11-02T10:01:38.000Z"
journal_hash: "abc"
---

# DB overload
"""

OLD = """---
run_id: "r-old"
runbook: "db-overload"
status: "completed"
failed_steps: []
started: "2026-10-02T10:00:00.000Z"
duration_seconds: 600.0
---
"""


def _journal(path: Path, run_id: str, milestone_step: str | None = None) -> None:
    journal = Journal.create(path)
    journal.append("run_started", None, "op", {"run_id": run_id, "runbook": "db-overload"}, sync=False)
    if milestone_step:
        journal.append("milestone", milestone_step, "op", {"name": "acknowledged"}, sync=False)
    journal.append("run_finished", None, "op", {"status": "completed"}, sync=False)
    journal.close()


def _ids(folder: Path) -> dict[str, Any]:
    return {r.run_id: r for r in committed_runs(folder, UI(io.StringIO()))}


def test_a_report_with_the_figures_in_its_front_matter_is_read_from_it(tmp_path: Path) -> None:
    (tmp_path / "2026").mkdir()
    (tmp_path / "2026" / "r.md").write_text(NEW)
    (tmp_path / "README.md").write_text("# Post-mortems\n\n---\nnot front matter\n---\n")
    run = _ids(tmp_path)["r-new"]
    assert (run.active, run.failed_steps) == (5.0, ("kill-queries",))
    assert run.to_milestone == {"acknowledged": 2.0, "resolved": 98.0}
    assert list(_ids(tmp_path)) == ["r-new"]  # the README is no run


def test_an_older_report_is_read_from_the_journal_copy_beside_it(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(OLD)
    _journal(tmp_path / "old.journal.jsonl", "r-old", milestone_step="ack")
    assert _ids(tmp_path)["r-old"].to_milestone.keys() == {"acknowledged"}


def test_an_older_report_alone_gives_its_wall_time_and_no_milestone(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(OLD)
    run = _ids(tmp_path)["r-old"]
    assert (run.active, run.to_milestone) == (600.0, {})


def test_a_journal_copy_without_its_report_still_counts_once(tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text(NEW)
    _journal(tmp_path / "r.journal.jsonl", "r-new")  # beside its report: read from the report
    _journal(tmp_path / "lost.journal.jsonl", "r-lost")
    assert sorted(_ids(tmp_path)) == ["r-lost", "r-new"]


def test_front_matter_is_read_up_to_its_end_only(tmp_path: Path) -> None:
    report = tmp_path / "r.md"
    report.write_text(NEW + "\n---\nrun_id: body text\n---\n")
    assert report_front_matter(report)["run_id"] == "r-new"
    report.write_text("---\n" + "x: 1\n" * 300)  # never closed
    assert report_front_matter(report) == {}
    report.write_bytes(b"---\n\xff\n---\n")
    assert report_front_matter(report) == {}


def test_a_missing_reports_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        list(committed_runs(tmp_path / "nope", UI(io.StringIO())))


def test_the_table_into_a_pipe_never_cuts_a_runbook_id_at_80_columns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    long_id = "payments-database-connection-pool-exhaustion-in-eu-west"
    (tmp_path / "r.md").write_text(NEW.replace('"db-overload"', f'"{long_id}"'))
    out = io.StringIO()
    assert stats(cast("Session", None), UI(out), as_json=False, reports=tmp_path, runbook=None) == 0
    lines = out.getvalue().splitlines()
    row = next(line for line in lines if long_id in line)
    assert "2026-11" in row and "2.0s · 2.0s (1)" in row and "—" in row
    assert len(lines) == 2  # a header and one row: nothing folded onto a second line


def test_json_and_the_runbook_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.md").write_text(NEW)
    (tmp_path / "o.md").write_text(OLD.replace('"db-overload"', '"web"'))
    stats(cast("Session", None), UI(io.StringIO()), as_json=True, reports=tmp_path, runbook="web")
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["runbook"], row["month"], row["median_seconds"], row["ttr"]["count"]) == (
        "web", "2026-10", 600.0, 0)


def test_a_page_that_cannot_be_written_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text(NEW)
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(UsageError, match=r"--output .*taken/times.md: cannot write it"):
        stats(cast("Session", None), UI(io.StringIO()), as_json=False, reports=tmp_path,
              runbook=None, markdown=True, output=tmp_path / "taken" / "times.md")


def test_the_page_written_to_a_file(tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text(NEW)
    out = io.StringIO()
    stats(cast("Session", None), UI(out), as_json=False, reports=tmp_path, runbook=None,
          output=tmp_path / "pages" / "times.md")
    page = (tmp_path / "pages" / "times.md").read_text()
    assert f"over 1 run in the reports under `{tmp_path}`." in page and "## db-overload" in page
    assert "stats page written" in out.getvalue()
