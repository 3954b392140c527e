"""The bundled backup-restore runbook against a real PostgreSQL cluster: a dump
proven by a scratch restore with per-table row counts, and the production restore."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.services import Postgres, run_bundled, running_postgres

pytestmark = pytest.mark.integration

TABLES = {"public.customers": 500, "public.orders": 1200, "public.audit_log": 0,
          'billing."Big Invoices"': 3}


def _shop(pg: Postgres) -> None:
    pg.create_database("shop")
    pg.create_table("customers", 500, "shop")
    pg.create_table("orders", 1200, "shop")
    pg.sql("create table audit_log (id int); create schema billing; "
           "create table billing.\"Big Invoices\" (id int, note text); "
           "insert into billing.\"Big Invoices\" values (1, E'two\\nlines'), (2, 'tab\there'), (3, '')",
           "shop")


def _counts(pg: Postgres, db: str = "shop") -> dict[str, int]:
    return {t: int(pg.sql(f"select count(*) from {t}", db)) for t in TABLES}


def _verify(pg: Postgres, work: Path, **answers: object) -> tuple[object, Path]:
    backups = work / "backups"
    run = run_bundled("backup-restore", work, {**pg.vars, "pg_database": "shop",
                                               "backup_dir": str(backups)},
                      {"restore-scratch": "yes", "drop-scratch": "yes", **answers})
    return run, backups


def test_verify_dumps_restores_into_scratch_and_compares_every_table(tmp_path: Path) -> None:
    with running_postgres() as pg:
        _shop(pg)
        backups = tmp_path / "backups"
        backups.mkdir()
        stale = backups / "shop-20200101-000000.dump"
        stale.write_text("old")
        old = time.time() - 40 * 86400
        os.utime(stale, (old, old))

        run, _ = _verify(pg, tmp_path, **{"prune-backups": "yes"})

        assert run.code == 0, run.output
        dumps = sorted(backups.glob("shop-*.dump"))
        assert len(dumps) == 1 and dumps[0] != stale and not stale.exists()  # pruned, new kept
        check = subprocess.run(["sha256sum", "-c", dumps[0].name + ".sha256"], cwd=backups,
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout
        assert run.captured("backup_file") == str(dumps[0])
        compared = run.step_outputs("compare")
        for table, rows in TABLES.items():
            line = next(ln for ln in compared.splitlines() if ln.startswith(table + " "))
            assert line.split()[-4:] == [str(rows)] * 3 + ["ok"], line
        assert "4 table(s) compared, 0 different" in run.report
        assert "- row counts equal table by table: yes" in run.report
        scratch = run.captured("scratch_db") or ""
        assert scratch.startswith("shop_restore_check_")
        assert pg.sql(f"select count(*) from pg_database where datname = '{scratch}'") == "0"
        assert "## Post-incident review" not in run.report  # a clean verification is no incident


def test_restore_to_production_brings_back_the_rows_behind_a_safety_dump(tmp_path: Path) -> None:
    with running_postgres() as pg:
        _shop(pg)
        first, backups = _verify(pg, tmp_path / "backup")
        assert first.code == 0, first.output
        backup = first.captured("backup_file")
        # the incident: rows deleted and a table dropped
        pg.sql("delete from orders where id > 200; drop table billing.\"Big Invoices\"", "shop")

        run = run_bundled("backup-restore", tmp_path / "restore",
                          {**pg.vars, "pg_database": "shop", "backup_dir": str(backups),
                           "mode": "restore-production"},
                          {"cause": "orders deleted by a faulty cleanup job",
                           "affected": "order history unavailable", "eta": "20 minutes",
                           "stop-writers": "done", "restore-production": "yes", "app-back": "done",
                           "post-resolved": "done",
                           "post-incident/root-cause": "cleanup job ran without a date filter",
                           "post-incident/impact": "order history missing for 1 hour",
                           "post-incident/resolution": "restored last night's backup",
                           "post-incident/prevention": "dry-run mode for cleanup jobs",
                           "post-incident/action-items": "cy - add dry-run - Tuesday"})

        assert run.code == 0, run.output
        assert run.captured("restore_src") == backup
        assert _counts(pg) == TABLES
        assert "0 different" in run.step_outputs("prod-compare")
        safety = Path(run.captured("safety_file") or "")
        assert safety.name.startswith("shop-pre-restore-") and safety.stat().st_size > 0
        # the safety dump holds production as it was before the restore
        toc = subprocess.run(["pg_restore", "--list", str(safety)], capture_output=True, text=True,
                             check=True).stdout
        assert "Big Invoices" not in toc
        assert "--clean --if-exists --single-transaction" in run.report
        assert "We've identified the issue: orders deleted by a faulty cleanup job" in run.report
        assert "## Post-incident review" in run.report and "SEVERITY: P1" in run.report


def test_a_backup_that_does_not_match_its_checksum_is_never_restored(tmp_path: Path) -> None:
    with running_postgres() as pg:
        _shop(pg)
        first, backups = _verify(pg, tmp_path / "backup")
        assert first.code == 0, first.output
        backup = Path(first.captured("backup_file") or "")
        with backup.open("ab") as dump:
            dump.write(b"\0")  # one byte appended after its checksum was taken
        pg.sql("delete from orders where id > 200", "shop")
        run = run_bundled("backup-restore", tmp_path / "restore",
                          {**pg.vars, "pg_database": "shop", "backup_dir": str(backups),
                           "mode": "restore-production"},
                          {"cause": "orders deleted", "affected": "order history", "eta": "20m",
                           "stop-writers": "done", "restore-production": "yes",
                           "prod-verify-file": {"on_failure": "abort"}})
        assert run.code != 0, run.output
        assert run.status("prod-verify-file") == "failed", run.output
        assert "the backup does not match its checksum: do not restore it" in run.step_outputs(
            "prod-verify-file")
        assert run.status("restore-production") is None  # never reached
        assert pg.sql("select count(*) from orders where id > 200", "shop") == "0"
