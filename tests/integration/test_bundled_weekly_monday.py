"""`runbookctl weekly monday` against a backup folder with gaps, a local TLS
server whose certificate expires in 20 days and a real PostgreSQL cluster."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.services import TlsServer, run_bundled, running_postgres
from tests.services import tls_server as tls_server  # pytest fixture

pytestmark = pytest.mark.integration


def _backups(folder: Path, days_ago: list[int], empty_days: list[int]) -> dict[int, str]:
    """One nightly dump (and its checksum) per listed day; returns day -> YYYY-MM-DD."""
    folder.mkdir(parents=True)
    today = datetime.now().replace(hour=1, minute=0, second=0, microsecond=0)
    named = {}
    for n in range(7):
        day = today - timedelta(days=n)
        named[n] = f"{day:%Y-%m-%d}"
        if n not in days_ago and n not in empty_days:
            continue
        dump = folder / f"shop-{day:%Y%m%d}-0100.dump"
        dump.write_bytes(b"" if n in empty_days else os.urandom(256))
        stamp = day.timestamp()
        if n not in empty_days:
            digest = hashlib.sha256(dump.read_bytes()).hexdigest()
            (folder / f"{dump.name}.sha256").write_text(f"{digest}  {dump.name}\n")
            os.utime(folder / f"{dump.name}.sha256", (stamp, stamp))
        os.utime(dump, (stamp, stamp))
    return named


def test_monday_reports_missing_backup_days_and_a_certificate_expiring_in_20_days(
        tls_server: TlsServer, tmp_path: Path) -> None:
    days = _backups(tmp_path / "backups", days_ago=[0, 1, 2, 4, 6], empty_days=[5])
    answers = {"weekend-alerts": "done", "patch-review": "done",
               "findings": "renew the api certificate before Friday"}
    with running_postgres() as pg:
        run = run_bundled("weekly-monday", tmp_path / "work",
                          {**pg.vars, "backup_dir": str(tmp_path / "backups"),
                           "tls_hosts": f"{tls_server.target} 127.0.0.1:1"}, answers)

    assert run.code == 0, run.output  # completed; the failed checks are findings
    backups = run.step_outputs("backups")
    assert f"MISSING {days[3]}" in backups and f"MISSING {days[5]}" in backups
    for n in (0, 1, 2, 4, 6):
        assert f"ok      {days[n]}" in backups
    assert "missing_days=2" in backups and "warning: 1 empty file(s)" in backups
    assert run.status("backups") == "failed"
    assert run.status("backup-checksums") == "ok"
    tls = run.step_outputs("tls-expiry")
    left = (tls_server.not_after() - datetime.utcnow()).days
    assert f"WARNING {tls_server.target}: certificate expires in {left} days" in tls
    assert left in (19, 20)
    assert "ERROR   127.0.0.1:1: no certificate (unreachable or not TLS)" in tls
    assert run.status("tls-expiry") == "failed"
    assert run.status("db-reachable") == "ok" and run.status("slow-queries") == "ok"
    report = run.report
    assert "- backups (last 7 days): failed" in report
    assert "- TLS certificates: failed" in report
    assert "Follow-up: renew the api certificate before Friday" in report
    year, week, _ = datetime.now().isocalendar()
    assert (tmp_path / "work" / "reports" / "weekly" / f"{year}-W{week:02d}-monday.md").is_file()
