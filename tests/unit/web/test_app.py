"""web/app.py through Starlette's test client: the API, the token link, refusals, and the
security headers on every response."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runbookctl.web.app import build_app
from runbookctl.web.guard import COOKIE, Policy
from runbookctl.web.runs_source import RunsSource
from runbookctl.web.site import Site
from tests.unit.web.runs import RUN, XSS, append, command, ended, finished_command, step, write_run

TOKEN = "k" * 32


def _client(root: Path, host: str = "127.0.0.1") -> TestClient:
    site = Site(RunsSource(root), Policy.for_bind(host, 8765, TOKEN))
    return TestClient(build_app(site), base_url="http://127.0.0.1:8765")


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run_dir = write_run(tmp_path, step("check", XSS))
    append(run_dir, command("check", run_dir), finished_command("check", run_dir, tail=XSS))
    (run_dir / "logs" / "0001-check.log").write_text(f"full {XSS}\n")
    return run_dir


def test_the_api_lists_runs_and_shows_one(run_dir: Path) -> None:
    client = _client(run_dir.parent)
    [row] = client.get("/api/runs").json()
    assert row["id"] == RUN and row["current_step"]["key"] == "check"
    detail = client.get(f"/api/runs/{RUN}").json()
    assert detail["steps"][0]["title"].startswith("<script>") and detail["report"] is None
    assert "\x1b" not in client.get(f"/api/runs/{RUN}").text
    append(run_dir, ended())
    assert client.get(f"/api/runs/{RUN}").json()["report"].startswith("---")


def test_a_log_is_served_as_inert_plain_text(run_dir: Path) -> None:
    response = _client(run_dir.parent).get(f"/api/runs/{RUN}/logs/0001-check.log")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("full <script>") and "\x1b" not in response.text


def test_unknown_runs_and_logs_are_404_never_a_path(run_dir: Path) -> None:
    client = _client(run_dir.parent)
    assert client.get("/api/runs/nope").status_code == 404
    assert client.get(f"/runs/{RUN[:8]}").status_code == 404
    assert client.get(f"/api/runs/{RUN}/logs/..%2Fjournal.jsonl").status_code == 404
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_every_response_forbids_inline_script_and_framing(run_dir: Path) -> None:
    client = _client(run_dir.parent)
    for path in ("/", f"/runs/{RUN}", "/api/runs", "/api/runs/none", "/static/live.js"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_the_token_link_sets_a_strict_cookie_and_leaves_the_address(run_dir: Path) -> None:
    client = _client(run_dir.parent, host="0.0.0.0")
    assert client.get("/api/runs").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    response = client.get(f"/runs/{RUN}?token={TOKEN}&x=1", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/runs/{RUN}?x=1"
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/api/runs").status_code == 200  # the client keeps the cookie
    assert TestClient(client.app).get("/api/runs", headers={
        "Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_damaged_journal_is_named_not_a_crash(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path)
    with open(run_dir / "journal.jsonl", "a") as f:
        f.write("garbage\n")
    response = _client(tmp_path).get(f"/api/runs/{RUN}")
    assert response.status_code == 422 and "journal.jsonl:2" in response.json()["error"]
