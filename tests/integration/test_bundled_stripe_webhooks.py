"""The bundled stripe-webhooks runbook against a local endpoint that verifies
Stripe signatures and keeps an nginx-style access log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services import StripeEndpoint, run_bundled
from tests.services import stripe_endpoint as stripe_endpoint  # pytest fixture

pytestmark = pytest.mark.integration

REVIEW = {
    "post-incident/root-cause": "the signing secret was rotated without updating the app",
    "post-incident/impact": "subscription upgrades applied 40 minutes late",
    "post-incident/resolution": "updated the secret and resent the failed events",
    "post-incident/prevention": "secret rotation checklist",
    "post-incident/action-items": "eve - add rotation checklist - Monday",
}


def _seed_log(ep: StripeEndpoint) -> None:
    ep.log_past(500, 20, minutes_ago=120)  # an old incident, outside the window
    ep.log_past(400, 7, minutes_ago=3)
    ep.log_past(200, 3, minutes_ago=2)


def _vars(ep: StripeEndpoint, marker: Path) -> dict[str, str]:
    return {"webhook_url": ep.url, "webhook_log": str(ep.log_path),
            "resync_cmd": f"echo synced >> {marker}"}


def test_counts_failed_deliveries_verifies_signatures_and_resyncs(
        stripe_endpoint: StripeEndpoint, tmp_path: Path) -> None:
    _seed_log(stripe_endpoint)
    marker = tmp_path / "resynced"
    answers = {"stripe-dashboard": "done", "failed-payments": "7.5", "payment-emails": "done",
               "cause": "webhook deliveries rejected since 09:12", "affected": "plan upgrades",
               "eta": "30 minutes", "post-identified": "done", "resend-events": "done",
               "resync": "yes", "post-resolved": "done", **REVIEW}

    run = run_bundled("stripe-webhooks", tmp_path / "work", _vars(stripe_endpoint, marker), answers,
                      env={"STRIPE_WEBHOOK_SECRET": stripe_endpoint.secret})

    assert run.code == 0, run.output
    assert run.captured("failed_count") == "7"
    assert "failed recently: 7 (400 x 7); failed before that: 20 (500 x 20)" in run.report
    assert run.captured("signature") == "ok"
    probe = run.step_outputs("signature")
    assert "signed with the webhook secret           -> HTTP 200 as expected" in probe
    assert "signed with a wrong secret               -> HTTP 400 as expected" in probe
    assert "signed 10 minutes ago (tolerance is 5)   -> HTTP 400 as expected" in probe
    # the endpoint saw one valid test event; the unsigned, wrong and stale ones were refused
    assert [e["type"] for e in stripe_endpoint.events] == ["runbookctl.signature_check"]
    assert stripe_endpoint.rejected == 3
    assert run.captured("severity") == "P1"
    assert "- failed deliveries in the last 10 min: 7 (P1 above 5)" in run.report
    assert run.status("payment-emails") == "ok"  # 7.5 % failed payments is over 5 %
    assert marker.read_text() == "synced\n"
    assert run.status("verify") == "ok"
    assert "We've identified the issue: webhook deliveries rejected since 09:12" in run.report
    assert "## Post-incident review" in run.report and "secret rotation checklist" in run.report
    # the secret reached the commands through the environment and nothing recorded it
    recorded = [run.report, run.output, *(p.read_text() for p in (tmp_path / "work").rglob("*")
                                          if p.is_file() and p.suffix in (".log", ".jsonl", ".md"))]
    assert not any(stripe_endpoint.secret in text for text in recorded)


def test_a_wrong_secret_is_diagnosed_and_the_run_stops_when_the_recheck_fails(
        stripe_endpoint: StripeEndpoint, tmp_path: Path) -> None:
    run = run_bundled("stripe-webhooks", tmp_path / "work", _vars(stripe_endpoint, tmp_path / "m"),
                      {"fix-secret": "done", "recheck-signature": {"on_failure": "abort"}},
                      env={"STRIPE_WEBHOOK_SECRET": "whsec_rotated_but_not_deployed"})

    assert run.code == 1, run.output
    assert run.captured("signature") == "secret-mismatch"
    assert "-> HTTP 400 WRONG: {\"error\": \"no signatures found matching" in run.step_outputs("signature")
    assert run.captured("failed_count") == "0"
    assert run.captured("severity") == "P1"
    assert run.status("fix-secret") == "ok" and run.status("recheck-signature") == "failed"
    assert stripe_endpoint.events == []
    assert "status: \"aborted\"" in run.report
