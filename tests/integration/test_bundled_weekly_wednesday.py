"""`runbookctl weekly wednesday` against a live local API, an access log with one
failing endpoint and a model folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.services import make_model_artifacts, run_bundled, running_flaky_api

pytestmark = pytest.mark.integration


def _access_log(path: Path) -> None:
    now = datetime.now(UTC)
    lines = []
    for i in range(400):
        when = (now - timedelta(minutes=i * 7)).strftime("%d/%b/%Y:%H:%M:%S +0000")
        if i % 8 == 0:
            status = 502 if i % 64 == 0 else 200  # 7 of 50 checkouts fail: 14 %
            request = "POST /api/checkout HTTP/1.1"
        else:
            status, request = 200, f"GET /api/orders/{1000 + i}?expand=items HTTP/1.1"
        lines.append(f'10.0.0.{i % 250} - - [{when}] "{request}" {status} 512 "-" "app/2.0"\n')
    old = (now - timedelta(days=30)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    lines += [f'10.0.0.9 - - [{old}] "GET /api/orders/1 HTTP/1.1" 500 0 "-" "app/2.0"\n'] * 50
    path.write_text("".join(lines))


def test_wednesday_times_the_api_and_finds_the_failing_endpoint(tmp_path: Path) -> None:
    art = make_model_artifacts(tmp_path)
    _access_log(tmp_path / "access.log")
    answers = {"api-trends": "done", "engagement": "done", "support-tickets": "done",
               "ml-drift": {"status": "skipped", "note": "no labelled data this week"},
               "findings": "fix checkout 502s"}
    with running_flaky_api(tmp_path / "api", failures=0) as api:
        run = run_bundled("weekly-wednesday", tmp_path / "work",
                          {"api_url": api.url, "probe_count": "5", "access_log": str(tmp_path / "access.log"),
                           "model_dir": str(art.model_dir)}, answers)
        assert api.health_calls == 5

    assert run.code == 0, run.output
    assert run.status("latency") == "ok"
    assert f"{api.url}/health: p50" in run.step_outputs("latency")
    assert "over 5 requests, 0 errors -> ok" in run.step_outputs("latency")
    rates = run.step_outputs("error-rates")
    assert run.status("error-rates") == "failed"
    assert "POST /api/checkout" in rates and "14.00 %  OVER" in rates
    assert "GET /api/orders/:id" in rates  # ids and query strings folded into one endpoint
    assert "all endpoints: 400 requests, 7 5xx (1.75 %); over 1 %: POST /api/checkout" in rates
    assert "checksums ok" in run.step_outputs("model-metrics")
    assert run.status("ml-drift") == "skipped"
    assert "- error rate per endpoint (alert over 1.0 %): failed" in run.report
    assert "Follow-up: fix checkout 502s" in run.report
