"""`runbookctl serve` for real: a server subprocess, a real run beside it, a real HTTP
client (httpx). Events stream in order while the run proceeds and resume from
Last-Event-ID; the token and same-origin rules hold; nothing unmasked or live
(<script>, escapes) comes out of the API or the pages."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.helpers import journal_events, only_run_dir, run_cli, write
from tests.serve_helpers import SSE, gated_runbook, release_gates, start_run, start_server
from tests.waiting import wait_event, wait_for

pytestmark = pytest.mark.integration

XSS_TITLE = '<script>alert("t")</script>"><img src=x onerror=alert(1)>'


def _run_id(state: Path) -> str:
    return wait_for("the run's folder", lambda: only_run_dir(state).name
                    if (state / "runs").is_dir() and any((state / "runs").iterdir()) else None)


def test_events_stream_in_order_live_and_resume_from_last_event_id(tmp_path: Path) -> None:
    state = tmp_path / "state"
    runbook = gated_runbook(tmp_path)
    server = start_server(state, tmp_path)
    run = start_run(state, tmp_path, runbook)
    try:
        run_id = _run_id(state)
        url = f"{server.url}/api/runs/{run_id}/events?output=1"
        with httpx.Client(timeout=30) as client, client.stream("GET", url) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            sse = SSE(response.iter_lines())
            # step two's first line shows while it waits: output as it arrives
            out = sse.until(lambda m: m.get("event") == "output" and "two is waiting" in m["data"])
            assert out["json"]["step"] == "two" and "id" not in out
            (tmp_path / "gates" / "go-two").touch()
            started = sse.until(lambda m: "id" in m and '"step_started"' in m["data"]
                                and '"three"' in m["data"])
            assert json.loads(started["data"])["data"]["title"] == "Step three"
            (tmp_path / "gates" / "go-three").touch()
            end = sse.until(lambda m: m.get("event") == "end")
        assert end["json"] == {"status": "completed"}
        assert run.wait(timeout=60) == 0
        ids = [int(m["id"]) for m in sse.messages if "id" in m]
        journal = journal_events(only_run_dir(state))
        assert ids == list(range(1, len(ids) + 1))
        assert [json.loads(m["data"])["type"] for m in sse.messages if "id" in m] == \
            [e["type"] for e in journal[:len(ids)]]
        outputs = "".join(m["json"]["text"] for m in sse.messages if m.get("event") == "output")
        assert "one says hi" in outputs and "two was let go" in outputs and "three done" in outputs

        # resume: after seq 5, exactly the rest of the journal, in order
        with httpx.Client(timeout=30) as client, client.stream(
                "GET", f"{server.url}/api/runs/{run_id}/events",
                headers={"Last-Event-ID": "5"}) as response:
            again = SSE(response.iter_lines())
            again.until(lambda m: m.get("event") == "end")
        resumed = [json.loads(m["data"]) for m in again.messages if "id" in m]
        assert [e["seq"] for e in resumed] == [e["seq"] for e in journal[5:]]
        assert [e["hash"] for e in resumed] == [e["hash"] for e in journal[5:]]
    finally:
        run.kill()
        run.wait(timeout=30)
        server.stop()


def test_runs_and_a_run_as_json_running_first_with_the_current_step(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_cli(["run", str(gated_runbook(tmp_path)), "--yes", "--dry-run"], tmp_path, state)
    runbook = gated_runbook(tmp_path)
    server = start_server(state, tmp_path)
    run = start_run(state, tmp_path, runbook)
    try:
        wait_event(state, "command_started", "two", alive=lambda: run.poll() is None)
        rows = httpx.get(f"{server.url}/api/runs", timeout=30).json()
        assert [r["status"] for r in rows] == ["running", "completed"]
        assert rows[0]["current_step"] == {"key": "two", "title": "Step two"}
        assert rows[0]["operator"] == "tester" and rows[0]["elapsed"] >= 0
        detail = httpx.get(f"{server.url}/api/runs/{rows[0]['id']}", timeout=30).json()
        assert [s["status"] for s in detail["steps"]] == ["ok", "running"]
        assert detail["report"] is None
        assert httpx.get(f"{server.url}/api/runs/nope", timeout=30).status_code == 404
    finally:
        release_gates(tmp_path)  # its command is in a session of its own: not killed with it
        run.kill()
        run.wait(timeout=30)
        assert server.stop() == 130  # Ctrl-C: stops quietly, as every command does


def test_off_loopback_every_request_needs_the_token_printed_once(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = start_server(state, tmp_path, "--host", "0.0.0.0")
    try:
        assert server.token and f"?token={server.token}" in server.printed.decode()
        base = server.url.split("//", 1)[1].rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{base}"
        assert httpx.get(f"{local}/api/runs", timeout=30).status_code == 401
        assert httpx.get(f"{local}/", timeout=30).status_code == 401
        assert httpx.get(f"{local}/api/runs", timeout=30,
                         headers={"Authorization": "Bearer wrong-token-wrong"}).status_code == 401
        ok = httpx.get(f"{local}/api/runs", headers={"Authorization": f"Bearer {server.token}"},
                       timeout=30)
        assert ok.status_code == 200 and ok.json() == []
        with httpx.Client(timeout=30) as browser:  # the token link: a cookie, then plain reads
            link = browser.get(f"{local}/?token={server.token}", follow_redirects=False)
            assert link.status_code == 303 and link.headers["location"] == "/"
            assert browser.get(f"{local}/api/runs").status_code == 200
    finally:
        server.stop()
    given = start_server(state, tmp_path, "--host", "0.0.0.0", "--token", "given-token-0123456789")
    try:
        assert given.token is None and "given-token" not in given.printed.decode()
    finally:
        given.stop()


def test_a_change_needs_the_token_and_the_same_origin(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = start_server(state, tmp_path)
    target = f"{server.url}/api/runs/some-run/approvals/step"
    body = {"decision": "approve", "by": "bob"}
    try:
        assert httpx.post(target, json=body, timeout=30).status_code == 401
        for token in ("x", server.token):  # the link's ?token= opens pages, never a change
            linked = httpx.post(f"{target}?token={token}", json=body, timeout=30)
            assert linked.status_code == 401, linked.text
        cookie = {"runbookctl_token": server.token or ""}
        evil = httpx.post(target, json=body, cookies=cookie, timeout=30,
                          headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403 and "cross-origin" in evil.json()["error"]
        rebound = httpx.get(f"{server.url}/api/runs", timeout=30, headers={"Host": "evil.example"})
        assert rebound.status_code == 403
    finally:
        server.stop()


SECRET_RB = """\
id: xss
title: 'XSS <script>alert("title")</script>'
inputs:
  why:
    default: 'because <img src=x onerror=alert(9)>'
secrets:
  api_key:
    env: API_KEY
steps:
  - id: show
    title: '{title}'
    run: |
      printf 'out <script>alert(2)</script>\\033[2J'
      printf '\\033]8;;javascript:alert(3)\\033\\\\link\\033]8;;\\033\\\\\\n'
      echo key={{ api_key }}
  - id: cause
    title: Ask
    ask: 'Cause? <script>alert(4)</script>'
    var: cause
"""


def test_no_secret_and_nothing_live_in_the_api_the_pages_or_the_logs(tmp_path: Path) -> None:
    state = tmp_path / "state"
    secret = "sk-live-Zq8xV3nT5wRb9YpLk2Jh"
    runbook = write(tmp_path / "xss.yaml", SECRET_RB.replace("{title}", XSS_TITLE))
    answers = write(tmp_path / "answers.yaml", 'cause: "javascript:alert(5) <script>x</script>"\n')
    done = run_cli(["run", str(runbook), "--answers", str(answers)], tmp_path, state, API_KEY=secret)
    assert done.code == 0, done.output
    run_id = only_run_dir(state).name
    note = run_cli(["note", run_id, "note <script>alert(6)</script> \x1b]0;title\x07"], tmp_path, state)
    assert note.code == 2  # a control character in a note is refused at the door
    assert run_cli(["note", run_id, 'note <script>alert(6)</script>"><b>'], tmp_path, state).code == 0
    server = start_server(state, tmp_path)
    try:
        bodies = [httpx.get(f"{server.url}{path}", timeout=30).text for path in (
            "/", f"/runs/{run_id}", "/api/runs", f"/api/runs/{run_id}",
            f"/api/runs/{run_id}/events?output=1", f"/api/runs/{run_id}/logs/0001-show.log")]
    finally:
        server.stop()
    everything = "\n".join(bodies)
    assert secret not in everything and "key=***" in everything
    assert "\x1b" not in everything and "\\u001b" not in everything and "\x07" not in everything
    page = bodies[1]
    for live in ("<script>alert", "<img src=x", '"><b>', "<b>"):
        assert live not in page
    assert "&lt;script&gt;alert(&#34;title&#34;)" in page or "&lt;script&gt;alert(&quot;title" in page
    assert page.count("<script") == 1
    detail = json.loads(bodies[3])
    assert detail["steps"][0]["title"] == XSS_TITLE  # the API gives the text, as text
    assert detail["notes"][0]["text"] == 'note <script>alert(6)</script>"><b>'
    assert detail["answers"][-1]["value"] == "javascript:alert(5) <script>x</script>"


def test_an_approval_through_the_api_the_operators_own_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    runbook = write(tmp_path / "gate.yaml", """\
        id: gate
        title: Gate
        secrets:
          DB_PASSWORD:
            env: DB_PASSWORD
        steps:
          - id: drop-replica
            title: Drop the replica
            approval: required
            run: echo "dropped"
        """)
    secret = "replica-Pa55w0rd-9911"  # serve's environment holds the run's secret too
    server = start_server(state, tmp_path, DB_PASSWORD=secret)
    run = start_run(state, tmp_path, runbook, RUNBOOKCTL_OPERATOR="alice", DB_PASSWORD=secret)
    try:
        wait_event(state, "approval_requested", "drop-replica", alive=lambda: run.poll() is None)
        url = f"{server.url}/api/runs/{only_run_dir(state).name}/approvals/drop-replica"
        auth = {"Authorization": f"Bearer {server.token}"}
        own = httpx.post(url, json={"decision": "approve", "by": "alice"}, headers=auth, timeout=30)
        assert own.status_code == 403
        assert own.json()["error"].startswith("the approver must not be the run's operator (alice)")
        ok = httpx.post(url, json={"decision": "approve", "by": "bob",
                                   "reason": f"lag is 0; {secret} rotated"}, headers=auth, timeout=30)
        assert ok.status_code == 200 and ok.json()["data"]["via"] == "api"
        again = httpx.post(url, json={"decision": "reject", "by": "carol", "reason": "no"},
                           headers=auth, timeout=30)
        assert again.status_code == 409 and "already decided" in again.json()["error"]
        assert run.wait(timeout=60) == 0
    finally:
        if run.poll() is None:
            run.kill()
        run.wait(timeout=30)
        server.stop()
    decided = [e for e in journal_events(only_run_dir(state)) if e["type"] == "approval_decided"]
    assert [(e["actor"], e["data"]["reason"]) for e in decided] == [("bob", "lag is 0; *** rotated")]
    assert secret not in (only_run_dir(state) / "journal.jsonl").read_text()
