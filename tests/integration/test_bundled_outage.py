"""The bundled outage runbook against a local HTTP service whose health check
fails until it is restarted (and once more while it warms up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report_checks import check_report
from tests.services import FlakyApi, run_bundled, running_flaky_api
from tests.services import flaky_api as flaky_api  # pytest fixture

pytestmark = pytest.mark.integration

ANSWERS = {
    "post-investigating": "done",
    "cause": "the 1.4.2 release exhausts the database pool at start-up",
    "affected": "every API request fails",
    "eta": "10 minutes",
    "post-identified": "done",
    "remedy": "restart",
    "restart-custom": "yes",
    "post-resolved": "done",
    "post-incident/root-cause": "pool size set to 0 in the 1.4.2 config",
    "post-incident/impact": "API down for 4 minutes",
    "post-incident/resolution": "restarted with the previous config",
    "post-incident/prevention": "config validation in CI",
    "post-incident/action-items": "dee - validate pool size - Thursday",
}


def _vars(api: FlakyApi) -> dict[str, str]:
    return {"api_url": api.url, "deploy_log": str(api.deploys_path), "app_log": str(api.log_path),
            "service": "api-test-unit-that-does-not-exist",
            "restart_cmd": f"curl -fsS -X POST {api.url}/admin/restart"}


def test_confirms_the_outage_diagnoses_restarts_and_waits_until_healthy(
        flaky_api: FlakyApi, tmp_path: Path) -> None:
    flaky_api.write_deploys([600, 240, 12])

    run = run_bundled("outage", tmp_path / "work", _vars(flaky_api), ANSWERS)

    assert run.code == 0, run.output
    # 3 failed health checks, then the restart behind its confirmation, then recovery
    assert run.status("health") == "failed"
    assert run.step_outputs("health").count("HTTP 500") == 3
    assert "database connection refused" in run.step_outputs("health")
    assert flaky_api.restarts == 1
    assert run.status("restart-custom") == "ok"
    assert f"sh -c 'curl -fsS -X POST {flaky_api.url}/admin/restart'" in run.report
    waits = run.step_outputs("wait-healthy")
    assert "HTTP 500" in waits and "HTTP 200" in waits  # polled through the warm-up failure
    # findings: the recent deploy is the suspect, the logs' top error, the state, the severity
    assert run.captured("deploy_age_min") == "12"
    assert "deployed v1.4.2" in run.step_outputs("deploys")
    assert "most frequent:" in run.step_outputs("logs")
    assert "ERROR GET /health 500 database connection refused" in run.step_outputs("logs")
    assert run.captured("manager") == "none"
    assert run.captured("severity") == "P0"
    assert "rolling back is the first thing to try" in run.report
    # status page, post-incident questions; no customer email for a 0-minute outage
    report = run.report
    assert "We're investigating reports of errors and failed requests on our API" in report
    assert "Impact: every API request fails" in report and "Fix ETA: 10 minutes" in report
    assert "Root cause: the 1.4.2 release exhausts the database pool at start-up" in report
    assert "## Post-incident review" in report and "config validation in CI" in report
    front = check_report(report, ["Restart the service (configured command)",
                                  "Wait until healthy (escalate once the incident is 30 minutes old)"],
                         max_lines=400)
    assert "time to mitigate" in front and "time to resolve" in front
    assert run.skipped("customer-email") and run.skipped("send-email")
    assert not run.skipped("escalate") and run.status("escalate") is None


def test_a_passing_health_check_with_no_user_impact_ends_as_a_blip(tmp_path: Path) -> None:
    with running_flaky_api(tmp_path / "api", failures=0) as api:
        run = run_bundled("outage", tmp_path / "work", _vars(api),
                          {"healthy-now": "no", "blip": "done"})

    assert run.code == 0, run.output
    assert run.status("health") == "ok" and "HTTP 200" in run.step_outputs("health")
    assert api.restarts == 0 and api.health_calls == 1
    assert run.status("blip") == "ok"
    assert "Status: Investigating" not in run.report
    assert "## Post-incident review" not in run.report


def test_an_incident_older_than_30_minutes_escalates_and_drafts_the_customer_email(
        flaky_api: FlakyApi, tmp_path: Path) -> None:
    # The alert fired 31 minutes ago: the first failed check after the restart escalates.
    answers = {**ANSWERS, "escalate": "done", "send-email": "done"}
    run = run_bundled("outage", tmp_path / "work", {**_vars(flaky_api), "started_min_ago": "31"},
                      answers)

    assert run.code == 0, run.output
    assert "not resolved within 30 minutes" in run.step_outputs("wait-healthy")
    assert run.status("escalate") == "ok"
    assert "HTTP 200" in run.step_outputs("wait-after-escalation")
    assert int(run.captured("downtime_min")) >= 31
    assert run.status("customer-email") == "ok" and run.status("send-email") == "ok"
    assert "Duration: about 31 minutes" in run.report
    assert "pool size set to 0 in the 1.4.2 config" in run.report  # the email's "What happened"
    assert "We want to update you on an issue that affected our service today: errors and " \
        "failed requests on our API." in run.report
