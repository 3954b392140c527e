"""The bundled db-overload runbook against a real PostgreSQL cluster with induced
long-running queries, a blocking lock, a stuck transaction and a leaking pool."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.report_checks import check_report
from tests.services import Postgres, run_bundled, running_postgres, wait_for

pytestmark = pytest.mark.integration

REVIEW = {
    "post-incident/root-cause": "a migration held an exclusive lock on accounts",
    "post-incident/impact": "account pages timed out for 12 minutes",
    "post-incident/resolution": "terminated the lock holder and the runaway query",
    "post-incident/prevention": "lock_timeout on migrations",
    "post-incident/action-items": [
        {"action": "add lock_timeout to migrations", "owner": "ana", "due": "2026-12-08",
         "ticket": "https://tracker.example/OPS-1"},
        {"action": "fix worker pool leak", "owner": "bo", "due": "2026-12-09"}],
}
ANSWERS = {
    "post-investigating": "done",
    "cause": "a migration is holding a lock on the accounts table",
    "affected": "account pages and sign-ups",
    "eta": "15 minutes",
    "post-identified": "done",
    "terminate-blockers": "yes",
    "terminate-long": "yes",
    "terminate-idle-tx": "no",
    "fix-the-pool": "done",
    "post-resolved": "done",
    "follow-up": "done",
    **REVIEW,
}


def _ages_over(pg: Postgres, seconds: float, pids: list[int]) -> bool:
    listed = ",".join(map(str, pids))
    return pg.sql(f"select bool_and(now() - coalesce(query_start, state_change) > interval "
                  f"'{seconds} seconds') from pg_stat_activity where pid in ({listed})") == "t"


def test_finds_the_offenders_terminates_the_confirmed_ones_and_verifies(tmp_path: Path) -> None:
    with running_postgres(max_connections=20) as pg:
        pg.create_table("accounts", 100)
        holder = pg.lock_holder("accounts").wait_state()
        blocked = pg.blocked_query("accounts").wait_state()
        stuck = pg.idle_in_transaction().wait_state()
        sleeper = pg.long_query(60).wait_state()
        pg.idle_connections(11, "leaky-worker")
        wait_for(lambda: _ages_over(pg, 1.5, [holder, blocked, stuck, sleeper]), what="aged sessions")

        run = run_bundled("db-overload", tmp_path, {**pg.vars, "max_age": "1", "idle_tx_age": "1"},
                          ANSWERS)

        assert run.code == 0, run.output
        # findings: 16 of 20 connections, the offenders by pid, the leaking application
        assert run.captured("conn_pct") == "80"
        long_pids = (run.captured("long_pids") or "").split()
        assert str(holder) in long_pids and str(sleeper) in long_pids
        assert run.captured("blocking_pids") == str(holder)
        assert run.captured("idle_tx_pids") == str(stuck)
        assert run.captured("leak_apps") == "leaky-worker"
        assert run.captured("severity") == "P1"
        assert f"pid {blocked} waits" in run.step_outputs("blocking")
        assert f"blocked by pid {holder}" in run.step_outputs("blocking")
        assert "pg_sleep(60)" in run.step_outputs("long-queries")
        report = run.report
        assert f"- sessions blocking others: {holder}" in report
        assert "- connections: 80 % of max_connections (P1 from 80 %)" in report
        # the confirmed terminations ran and took effect; the declined one did not
        assert run.status("terminate-blockers") == "ok"
        assert run.status("terminate-long") == "ok"
        assert run.status("terminate-idle-tx") == "skipped"
        assert not pg.alive(holder) and not pg.alive(sleeper)
        assert pg.sql("select count(*) from pg_stat_activity where query like 'select pg_sleep%'") == "0"
        assert pg.alive(stuck)
        assert "pg_terminate_backend(pid)" in report  # the exact SQL is in the record
        assert run.status("verify") == "ok"
        assert "long-running 0, blocked 0" in run.step_outputs("verify")
        # communication and the closing questions
        assert "We've identified the issue: a migration is holding a lock on the accounts table" in report
        assert "Status: Resolved" in report
        assert "## Post-incident review" in report
        assert "lock_timeout on migrations" in report
        # the front page a review reads first, and a report that fits (888 lines before #14)
        front = check_report(report, ["Terminate the sessions blocking others",
                                      "Sessions blocking others (lock waits)"], max_lines=300)
        assert "| **Root cause** | a migration held an exclusive lock on accounts |" in front
        assert ("| ana | add lock_timeout to migrations | 2026-12-08 | "
                "<https://tracker.example/OPS-1> |") in front
        assert "| bo | fix worker pool leak | 2026-12-09 | — |" in front
        assert "| **Severity** |" not in front and "severity P1" in front
        assert "| **Status** | ✅ **resolved** — all steps done |" in front
        for milestone, verb in [("Acknowledged", "acknowledge"), ("Mitigated", "mitigate"),
                                ("Resolved", "resolve")]:
            assert re.search(rf"\| \*\*{milestone}\*\* \| 20\S+Z \(time to {verb}: \d+\.\ds\) \|",
                             front), milestone
