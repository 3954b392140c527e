"""web/approvals.py: POST /api/runs/{run}/approvals/{step} journals a second person's
decision through record/approvals.py:decide, with the token and the same origin, and
answers each refusal with its own status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runbookctl.web.app import build_app
from runbookctl.web.guard import COOKIE, Policy
from runbookctl.web.runs_source import RunsSource
from runbookctl.web.site import Site
from tests.unit.web.runs import RUN, append, step, write_run

TOKEN = "a" * 32
ORIGIN = "http://127.0.0.1:8765"
URL = f"/api/runs/{RUN}/approvals/restart"


def _requested(key: str = "restart") -> tuple[str, str, str, dict[str, Any]]:
    return ("approval_requested", key, "runbookctl", {
        "operator": "alice", "reason": "approval: required", "timeout": None,
        "on_timeout": "abort", "url": f"{ORIGIN}/runs/{RUN}"})


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run_dir = write_run(tmp_path, step("restart", "Restart the primary"))
    append(run_dir, _requested())
    return run_dir


def _client(root: Path) -> TestClient:
    site = Site(RunsSource(root), Policy.for_bind("127.0.0.1", 8765, TOKEN))
    return TestClient(build_app(site), base_url=ORIGIN)


def _post(client: TestClient, body: Any, url: str = URL, **headers: str) -> Any:
    headers = {"Origin": ORIGIN, "Content-Type": "application/json", **headers}
    client.cookies.set(COOKIE, TOKEN)
    return client.post(url, content=json.dumps(body), headers=headers)


def _decided(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "journal.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["type"] == "approval_decided"]


def test_a_second_person_approves_from_the_page(run_dir: Path) -> None:
    response = _post(_client(run_dir.parent), {"decision": "approve", "by": "bob"})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"decision": "approve", "by": "bob", "reason": None, "via": "web"}
    [event] = _decided(run_dir)
    assert (event["actor"], event["step"], event["data"]["via"]) == ("bob", "restart", "web")


def test_a_tool_rejects_with_the_bearer_token_and_a_reason(run_dir: Path) -> None:
    client = TestClient(_client(run_dir.parent).app, base_url=ORIGIN)
    response = client.post(URL, json={"decision": "reject", "by": "carol", "reason": "not now"},
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert _decided(run_dir)[0]["data"] == {"decision": "reject", "by": "carol",
                                            "reason": "not now", "via": "api"}


def test_the_operator_may_not_approve_and_nothing_is_decided_twice(run_dir: Path) -> None:
    client = _client(run_dir.parent)
    own = _post(client, {"decision": "approve", "by": "alice"})
    assert own.status_code == 403 and "must not be the run's operator (alice)" in own.json()["error"]
    assert _decided(run_dir) == []
    assert _post(client, {"decision": "approve", "by": "bob"}).status_code == 200
    again = _post(client, {"decision": "approve", "by": "dave"})
    assert again.status_code == 409 and "already decided: approved by bob" in again.json()["error"]
    other = _post(client, {"decision": "approve", "by": "bob"}, url=f"/api/runs/{RUN}/approvals/x")
    assert other.status_code == 409 and "not waiting for approval" in other.json()["error"]
    assert _post(client, {"decision": "approve", "by": "bob"},
                 url="/api/runs/nope/approvals/restart").status_code == 404
    assert len(_decided(run_dir)) == 1


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"decision": "maybe", "by": "bob"}, 400, "approve"),
    ({"decision": "approve"}, 400, "by"),
    ({"decision": "approve", "by": "  "}, 400, "by"),
    ({"decision": "reject", "by": "bob"}, 400, "reason"),
    (["approve"], 400, "decision"),
])
def test_a_bad_body_is_400_and_writes_nothing(run_dir: Path, body: Any, status: int, says: str) -> None:
    response = _post(_client(run_dir.parent), body)
    assert response.status_code == status and says in response.json()["error"]
    assert _decided(run_dir) == []


def test_only_json_with_the_token_from_the_same_origin(run_dir: Path) -> None:
    client = _client(run_dir.parent)
    form = _post(client, {"decision": "approve", "by": "bob"}, **{"Content-Type": "text/plain"})
    assert form.status_code == 415
    evil = _post(client, {"decision": "approve", "by": "bob"}, Origin="http://evil.example")
    assert evil.status_code == 403
    anonymous = TestClient(client.app, base_url=ORIGIN).post(
        URL, json={"decision": "approve", "by": "bob"}, headers={"Origin": ORIGIN})
    assert anonymous.status_code == 401
    assert _decided(run_dir) == []


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0"])
@pytest.mark.parametrize("token", ["x", TOKEN])
def test_a_token_in_the_address_never_authorises_a_change(run_dir: Path, bind: str,
                                                           token: str) -> None:
    """`?token=` is the link that opens the pages (GET: a cookie, then a redirect); a
    POST carrying one, right or wrong, without the cookie or header is refused as any
    anonymous change is, whatever its Origin."""
    site = Site(RunsSource(run_dir.parent), Policy.for_bind(bind, 8765, TOKEN))
    client = TestClient(build_app(site), base_url=ORIGIN)
    for origin in (ORIGIN, "http://evil.example"):
        response = client.post(f"{URL}?token={token}", json={"decision": "approve", "by": "mallory"},
                               headers={"Origin": origin})
        assert response.status_code in (401, 403), response.text
    assert _decided(run_dir) == []


def test_a_reason_is_masked_with_the_secrets_the_server_knows(run_dir: Path) -> None:
    """serve gives the site the run's secrets its own environment holds (as `approve`
    does); a reason quoting one, or a token-like string, is journaled masked."""
    from runbookctl.safety.masking import Redactor

    secret = "pg-Sup3r-s3cret-pass"
    asked: list[str] = []

    def redactor_for(state: Any) -> Redactor:
        asked.append(state.run_id)
        return Redactor([secret])

    site = Site(RunsSource(run_dir.parent), Policy.for_bind("127.0.0.1", 8765, TOKEN),
                redactor_for=redactor_for)
    client = TestClient(build_app(site), base_url=ORIGIN)
    reason = f"the password {secret} leaked, and ghp_{'A1b2C3d4' * 5}"
    response = _post(client, {"decision": "reject", "by": "bob", "reason": reason})
    assert response.status_code == 200, response.text
    journaled = (run_dir / "journal.jsonl").read_text()
    assert secret not in journaled and "A1b2C3d4" not in journaled
    assert _decided(run_dir)[0]["data"]["reason"] == "the password *** leaked, and ***"
    assert asked == [RUN]
