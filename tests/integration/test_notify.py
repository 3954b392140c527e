"""Notifications (#17.4) against real local HTTP receivers: each configured event
arrives with its payload (Slack or generic JSON), a message step's `post:` delivers
its text, no secret — nor a derived form, nor the webhook URL's secret path — is in
any body; a dead receiver (a closed port, or one that never answers) does not slow
the run, and its failure is shown once and journaled."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers import cli_env, journal_events, only_run_dir, run_cli, write
from tests.receiver import Receiver
from tests.waiting import wait_event

pytestmark = pytest.mark.integration

DB_PASSWORD = "pg-Secret-4242-xyz"
HOOK_TOKEN = "T0KEN-b7f3c9d1e2a4"  # the secret part of the Slack-like URL

RUNBOOK = """\
    title: Notify drill
    secrets:
      DB_PASSWORD: {}
      SLACK_URL: {}
    notify:
      - name: channel
        url: "{{ secrets.SLACK_URL }}"
        format: slack
        on: [run_finished]
      - name: tools
        url: "${TOOLS_HOOK}"
        format: json
    remind:
      - every: 1s
        message: Post a status update
    steps:
      - id: gate
        run: echo gate
        approval: required
      - id: broken
        run: "echo using $DB_PASSWORD; sleep 1.1; exit 3"
        env:
          DB_PASSWORD: "{{ DB_PASSWORD }}"
        on_failure: continue
      - id: status
        message: "Status: mitigating; db password {{ DB_PASSWORD }} rotated"
        post: channel
"""


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode(), urllib.parse.quote(secret), raw.hex(),
            secret[::-1]]


def test_each_event_arrives_with_its_payload_and_no_secret_in_any_body(
        tmp_path: Path, receiver: Receiver) -> None:
    write(tmp_path / "rb.yaml", RUNBOOK)
    state = tmp_path / "state"
    slack_url = receiver.url(f"/services/{HOOK_TOKEN}")
    env = cli_env(state, DB_PASSWORD=DB_PASSWORD, SLACK_URL=slack_url,
                  TOOLS_HOOK=receiver.url("/tools"))
    proc = subprocess.Popen([sys.executable, "-m", "runbookctl", "run", str(tmp_path / "rb.yaml"),
                             "--no-input", "--operator", "alice", "--report-dir",
                             str(tmp_path / "reports")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_event(state, "approval_requested", "gate", alive=lambda: proc.poll() is None)
    run_id = only_run_dir(state).name
    assert run_cli(["approve", run_id, "gate", "--as", "bob"], tmp_path, state).code == 0
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out

    tools = [r.json for r in receiver.at("/tools")]
    kinds = [b["event"] for b in tools]  # a reminder is due after each step (every 1s)
    assert [k for k in kinds if k != "reminder"] == ["run_started", "approval_needed",
                                                     "step_failed", "run_finished"]
    assert kinds.index("reminder") > kinds.index("approval_needed")
    link = f"http://127.0.0.1:8765/runs/{run_id}"
    for body in tools:
        assert (body["run_id"], body["runbook"], body["title"], body["link"]) == (
            run_id, "rb", "Notify drill", link)
    by_event = {b["event"]: b for b in tools}
    assert by_event["run_started"]["text"] == "Run started by alice: Notify drill (rb)"
    assert by_event["approval_needed"]["step"] == "gate"
    assert "anyone but alice" in by_event["approval_needed"]["text"]
    assert by_event["step_failed"]["step"] == "broken"
    assert by_event["step_failed"]["text"].startswith("Step broken failed: exit code 3")
    assert by_event["reminder"]["text"] == "Reminder: Post a status update"
    assert by_event["run_finished"]["text"].startswith("Run completed")

    channel = receiver.at(f"/services/{HOOK_TOKEN}")
    assert all(set(r.json) == {"text"} for r in channel)
    texts = [r.json["text"] for r in channel]
    assert len(texts) == 2 and f"<{link}|{run_id}>" in texts[0]
    assert "Status: mitigating; db password *** rotated" in texts[0]  # the post, masked
    assert "Run completed" in texts[1]
    assert all(r.headers["Content-Type"] == "application/json" for r in receiver.requests)

    secrets = [*_forms(DB_PASSWORD), *_forms(HOOK_TOKEN), slack_url]
    for request in receiver.requests:
        for form in secrets:
            assert form.encode() not in request.body, (form, request.body)
    journal = (only_run_dir(state) / "journal.jsonl").read_text()
    assert HOOK_TOKEN not in journal and HOOK_TOKEN not in out


NOTIFY_PAGER = """notify:
      - name: pager
        url: "${PAGER_HOOK}"
"""
DEAD = """\
    title: Dead receiver
    {notify}
    steps:
      - id: one
        run: echo one
      - id: two
        run: "false"
        on_failure: continue
      - id: three
        message: done
        {post}
"""


def _timed_run(tmp_path: Path, text: str, **env: str) -> tuple[float, str, list[dict[str, object]]]:
    folder = tmp_path / f"run{len(list(tmp_path.glob('run*')))}"
    folder.mkdir()
    write(folder / "rb.yaml", text)
    started = time.monotonic()
    result = run_cli(["run", str(folder / "rb.yaml"), "--no-input", "--report-dir",
                      str(folder / "reports")], folder, folder / "state", **env)
    took = time.monotonic() - started
    assert result.code == 0, result.output
    return took, result.output, journal_events(only_run_dir(folder / "state"))


@pytest.mark.parametrize("dead", ["closed_port", "silent_port"])
def test_a_dead_receiver_does_not_slow_the_run_and_its_failure_is_shown_once_and_journaled(
        tmp_path: Path, dead: str, request: pytest.FixtureRequest) -> None:
    from runbookctl.engine import delivery, notify

    port = request.getfixturevalue(dead)
    quiet, _, _ = _timed_run(tmp_path, DEAD.format(notify="", post=""))
    took, out, events = _timed_run(tmp_path, DEAD.format(notify=NOTIFY_PAGER, post="post: pager"),
                                   PAGER_HOOK=f"http://127.0.0.1:{port}/secret-path-123")
    budget = delivery.ATTEMPTS * delivery.TIMEOUT + delivery.BACKOFF * (2 ** delivery.ATTEMPTS)
    # at most the bounded wait at the end (and a loaded machine's noise): never the retries
    assert took - quiet < notify.END_WAIT + 4.0 < budget / 4, (took, quiet)
    failed = [e for e in events if e["type"] == "notify_failed"]
    assert failed, out
    assert all(e["data"]["webhook"] == "pager" and e["data"]["url"] == "http://127.0.0.1/…"
               for e in failed)
    assert {e["data"]["event"] for e in failed} >= {"run_finished"}
    assert out.count("notification to pager (http://127.0.0.1/…) failed") == 1
    assert "secret-path-123" not in out
    assert "secret-path-123" not in json.dumps(events)
