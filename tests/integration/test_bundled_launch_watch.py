"""The bundled launch-watch runbook through the real CLI, against a real health endpoint
and a real webhook receiver. The 48 hours themselves are walked on a fake clock
(tests/unit/engine/test_launch_watch.py) and a timed step's wait and resume are tested
for real in test_timed_steps.py; here the same runbook runs with its checkpoints
brought forward to T+0 so every check, post, escalation and the summary happen."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from runbookctl.runbook.config import bundled_dir
from tests.helpers import journal_events, only_report, only_run_dir, run_cli, write
from tests.receiver import Receiver
from tests.services import _QuietHandler, _Server

pytestmark = pytest.mark.integration

ANSWERS = """\
t1h-escalate: done
go-live: extend the beta
went-well: the checkpoints caught the 503
went-badly: the 503 was paged by hand
action-items: "alice - add a p95 alert - 2026-12-15"
"""


class Health:
    """GET /api/health: 200, except the `failing`-th request (1-based), 503."""

    def __init__(self, failing: int) -> None:
        self.failing, self.count, self.lock = failing, 0, threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        health = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                with health.lock:
                    health.count += 1
                    n = health.count
                self.send_text(503 if n == health.failing else 200, "ok", "text/plain")

        return Handler


@pytest.fixture
def health() -> Iterator[tuple[Health, int]]:
    state = Health(failing=3)  # the third checkpoint, T+1h
    server = _Server(state.handler())
    try:
        yield state, server.port
    finally:
        server.close()


def _brought_forward(tmp_path: Path) -> Path:
    text = (bundled_dir("runbooks") / "launch-watch.yaml").read_text()
    fast, count = re.subn(r"(?m)^    at: \d+[mh]$", "    at: 0s", text)
    assert count == 20  # the checkpoints: T+15m, T+30m, 1h..8h, 12h..48h
    return write(tmp_path / "launch-watch.yaml", fast)


def test_every_checkpoint_is_posted_a_failure_escalated_and_summed_up(
        tmp_path: Path, health: tuple[Health, int], receiver: Receiver) -> None:
    checks, port = health
    answers = write(tmp_path / "answers.yaml", ANSWERS)
    result = run_cli(["run", str(_brought_forward(tmp_path)), "--var",
                      f"api_url=http://127.0.0.1:{port}", "--var", "release=v1.0.0-beta",
                      "--answers", str(answers), "--report-dir", str(tmp_path / "r")],
                     tmp_path, tmp_path / "state", WAR_ROOM_WEBHOOK=receiver.url("/war-room"))
    assert result.code == 0, result.output
    assert "Failed steps: t1h" in result.output
    assert checks.count == 20
    # run_started, kickoff, 20 checkpoints, the failed step, the summary, run_finished
    texts = [r.json["text"] for r in receiver.wait("/war-room", 25)]
    assert any("Launch watch started for v1.0.0-beta" in t for t in texts)
    assert sum("✅ healthy: HTTP 200 in" in t for t in texts) == 19
    assert [t for t in texts if "❌ FAILING" in t] == [
        next(t for t in texts if "T+1h ❌ FAILING: HTTP 503 in" in t)]
    summary = next(t for t in texts if "checkpoints healthy" in t)
    assert "19 of 20 checkpoints healthy" in summary and "- T+1h: FAILING — HTTP 503" in summary
    events = journal_events(only_run_dir(tmp_path / "state"))
    escalated = [e["step"] for e in events if e["type"] == "step_started"
                 and e["step"].endswith("-escalate")]
    assert escalated == ["t1h-escalate"]
    report = only_report(tmp_path / "r")
    assert "| **Resolution** | extend the beta |" in report
    assert "| alice | add a p95 alert | 2026-12-15 | — |" in report
    assert "19 of 20 checkpoints healthy" in report


def test_a_dry_run_waits_for_no_checkpoint(tmp_path: Path, health: tuple[Health, int]) -> None:
    _checks, port = health
    answers = write(tmp_path / "answers.yaml", ANSWERS)
    result = run_cli(["run", "launch-watch", "--dry-run", "--var",
                      f"api_url=http://127.0.0.1:{port}", "--answers", str(answers),
                      "--report-dir", str(tmp_path / "r")], tmp_path, tmp_path / "state")
    assert result.code == 0, result.output
    assert result.output.count("dry run: not waiting (waiting until ") == 20
    assert re.search(r"\(at: T\+48h; 4[78]h\d\dm\d\ds left\)\)", result.output)
    assert ("notify war-room: its url needs ${WAR_ROOM_WEBHOOK}, which is not set; it is not "
            "notified") in result.output
    events = journal_events(only_run_dir(tmp_path / "state"))
    assert [e for e in events if e["type"] == "waiting"] == []
    # the health checks are readonly: they ran for real, once per checkpoint
    assert sum(e["type"] == "command_started" for e in events) == 20
