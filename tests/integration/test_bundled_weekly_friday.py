"""`runbookctl weekly friday` against a reports folder with an unfinished
post-incident review, a deploy log and a real PostgreSQL cluster."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.services import run_bundled, running_postgres

pytestmark = pytest.mark.integration


def _reports(folder: Path) -> None:
    (folder / "weekly").mkdir(parents=True)
    (folder / "weekly" / "2026-W47-monday.md").write_text("# weekly\n")
    (folder / "2026-11-18-0912-outage.md").write_text("# outage\n\n## Post-incident review\n\nok\n")
    (folder / "2026-11-20-1433-db-overload.md").write_text("# db overload\n\n## Timeline\n")
    old = folder / "2026-10-01-0800-outage.md"
    old.write_text("# an old one\n")
    stamp = time.time() - 30 * 86400
    os.utime(old, (stamp, stamp))


def test_friday_finds_the_unreviewed_incident_and_records_its_review(tmp_path: Path) -> None:
    _reports(tmp_path / "reports")
    now = datetime.now(UTC)
    deploys = tmp_path / "deploys.log"
    deploys.write_text("".join(f"{now - timedelta(days=d):%Y-%m-%dT%H:%M:%SZ} deployed v{d}\n"
                               for d in (20, 3, 1)))
    answers = {"finish-a-review": "yes", "post-incident/root-cause": "a report query without an index",
               "post-incident/impact": "slow dashboards for 25 minutes",
               "post-incident/resolution": "killed the query, added the index",
               "post-incident/prevention": "review query plans of new reports",
               "post-incident/action-items": "gus - add plan check - next sprint",
               "deploy-planning": "done", "capacity-planning": "done", "customer-feedback": "done",
               "oncall-briefing": "done", "findings": "none"}
    with running_postgres() as pg:
        run = run_bundled("weekly-friday", tmp_path / "work",
                          {**pg.vars, "reports_dir": str(tmp_path / "reports"), "deploy_log": str(deploys),
                           "backup_dir": str(tmp_path)}, answers)

    assert run.code == 0, run.output
    assert run.captured("pending_reviews") == "2026-11-20-1433-db-overload.md"
    found = run.step_outputs("post-mortems")
    assert "reviewed  2026-11-18-0912-outage.md" in found and "2 incident report(s) this week" in found
    assert "## Post-incident review" in run.report and "review query plans of new reports" in run.report
    assert "deploys in the last 7 days: 2" in run.step_outputs("deploys")
    capacity = run.step_outputs("capacity")
    assert "memory:" in capacity and "database postgres:" in capacity and "connections" in capacity
    assert "- incident reviews still pending: 2026-11-20-1433-db-overload.md" in run.report
    assert "- pending post-incident reviews: 1 (one finished now)" in run.report
