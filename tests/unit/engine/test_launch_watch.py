"""The bundled launch-watch runbook, walked in-process on a fake clock: 48 hours of
checkpoints at T+15m, T+30m, hourly to T+8h, then every 4 hours, each posted to the war
room, a failed one escalated, ending with the 48-hour summary."""

from __future__ import annotations

from runbookctl.record.run_state import epoch_of
from runbookctl.runbook.config import bundled_dir
from tests.unit.engine.conftest import FakeClock
from tests.unit.engine.fakes import FakeExecutor, FakePrompter, Out, Run, make_engine

OFFSETS = {"t15m": 900, "t30m": 1800, **{f"t{h}h": h * 3600 for h in range(1, 9)},
           **{f"t{h}h": h * 3600 for h in range(12, 49, 4)}}
VALUES = {"api_url": "http://app.internal:8000", "health_path": "/api/health",
          "latency_ms_max": 500, "release": "v1.0.0-beta"}


def _watch(clock: FakeClock, failing: int) -> tuple[Run, FakeExecutor, FakePrompter]:
    healthy = Out(0, "HTTP 200 in 41ms\n")
    outcomes = [healthy] * len(OFFSETS)
    outcomes[failing] = Out(1, "HTTP 503 in 12ms\n")
    executor = FakeExecutor({"curl": outcomes})
    prompter = FakePrompter(["done", "extend the beta", "the checkpoints caught the 503",
                             "the 503 was paged by hand", []])
    text = (bundled_dir("runbooks") / "launch-watch.yaml").read_text()
    run = make_engine(text, executor=executor, prompter=prompter, values=VALUES)
    return run, executor, prompter


def test_the_checkpoints_wait_for_their_time_from_the_start(clock: FakeClock) -> None:
    start = clock.now
    run, executor, _prompter = _watch(clock, failing=2)
    run.run()
    waits = {e.step: epoch_of(e.data["until"]) for e in run.events("waiting")}
    assert waits == {step: start + offset for step, offset in OFFSETS.items()}
    assert executor.count("curl") == len(OFFSETS)
    assert clock.now >= start + 48 * 3600


def test_each_result_is_posted_and_a_failure_escalated(clock: FakeClock) -> None:
    run, _executor, prompter = _watch(clock, failing=2)  # the T+1h check fails
    run.run()
    posts = [(e.step, e.data["text"]) for e in run.events("message")
             if e.data.get("post") == "war-room"]
    assert posts[0][0] == "kickoff" and "v1.0.0-beta" in posts[0][1]
    assert ("t15m-post", "T+15m ✅ healthy: HTTP 200 in 41ms") in posts
    assert ("t1h-post", "T+1h ❌ FAILING: HTTP 503 in 12ms") in posts
    escalations = [a.key for a in prompter.asked if a.key.endswith("-escalate")]
    assert escalations == ["t1h-escalate"]
    summary = next(text for step, text in posts if step == "summary")
    assert "19 of 20 checkpoints healthy" in summary
    assert "- T+1h: FAILING — HTTP 503 in 12ms" in summary
    assert "- T+48h: healthy — HTTP 200 in 41ms" in summary
    state = run.state()
    assert state.failed_keys == ["t1h"]
    assert [a["value"] for a in state.answers if a.get("var") == "go_live"] == ["extend the beta"]
