"""web/sse.py: one message per journal event with id = seq, resumable, output on request,
and an `end` message once the run has ended."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runbookctl.web import follow
from runbookctl.web.app import build_app
from runbookctl.web.guard import Policy
from runbookctl.web.runs_source import RunsSource
from runbookctl.web.site import Site
from tests.unit.web.runs import RUN, XSS, append, command, ended, finished_command, note, step, write_run


def _messages(root: Path, query: str = "", **headers: str) -> list[dict[str, str]]:
    site = Site(RunsSource(root), Policy.for_bind("127.0.0.1", 8765, None))
    client = TestClient(build_app(site), base_url="http://127.0.0.1:8765")
    text = client.get(f"/api/runs/{RUN}/events{query}", headers=headers).text
    out = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if fields:
            out.append(fields)
    return out


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follow, "ENDING_GRACE", 0.0)


def test_each_event_once_in_order_then_the_end(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check", XSS), note("paged"))
    append(run_dir, ended("failed"))
    messages = _messages(tmp_path)
    assert [m.get("id") for m in messages] == ["1", "2", "3", "4", None]
    assert [json.loads(m["data"])["type"] for m in messages[:4]] == [
        "run_started", "step_started", "note", "run_finished"]
    assert messages[-1]["event"] == "end" and json.loads(messages[-1]["data"]) == {"status": "failed"}
    assert "\\u001b" not in messages[1]["data"] and "\\u241b" in messages[1]["data"]


def test_last_event_id_resumes_after_it_and_wins_over_after(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"), note("one"), note("two"))
    append(run_dir, ended())
    assert [m.get("id") for m in _messages(tmp_path, **{"Last-Event-ID": "3"})] == ["4", "5", None]
    assert [m.get("id") for m in _messages(tmp_path, "?after=4")] == ["5", None]
    assert [m.get("id") for m in _messages(tmp_path, "?after=1", **{"Last-Event-ID": "4"})] == [
        "5", None]


def test_output_messages_only_when_asked_and_without_an_id(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    append(run_dir, command("check", run_dir))
    (run_dir / "logs" / "0001-check.log").write_text("hello \x1b[31mred\n")
    append(run_dir, finished_command("check", run_dir), ended())
    plain = _messages(tmp_path)
    assert all("event" not in m for m in plain[:-1])
    with_output = _messages(tmp_path, "?output=1")
    [out] = [m for m in with_output if m.get("event") == "output"]
    assert "id" not in out and json.loads(out["data"])["text"] == "hello ␛[31mred\n"


def test_an_unknown_run_is_404_before_any_stream(tmp_path: Path) -> None:
    site = Site(RunsSource(tmp_path), Policy.for_bind("127.0.0.1", 8765, None))
    client = TestClient(build_app(site), base_url="http://127.0.0.1:8765")
    assert client.get("/api/runs/nope/events").status_code == 404
