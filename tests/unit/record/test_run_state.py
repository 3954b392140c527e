"""What a replayed run says about itself (record/run_state.py): its duration, the steps
whose latest outcome is failed, and how its status reads everywhere."""

from __future__ import annotations

from runbookctl.record.run_state import RunState, StepRecord, seconds_between, status_text

T0, T1, T2 = "2026-11-02T10:00:00.000000Z", "2026-11-02T10:01:30.500000Z", "2026-11-02T10:03:00.000000Z"


def test_seconds_between_two_journal_times_never_negative_nor_an_error() -> None:
    assert seconds_between(T0, T1) == 90.5
    assert seconds_between(T1, T0) == 0.0
    assert seconds_between(T0, None) == 0.0
    assert seconds_between("", T1) == 0.0
    assert seconds_between(T0, "yesterday") == 0.0


def test_an_unfinished_run_lasts_until_its_last_timeline_row() -> None:
    state = RunState(started=T0)
    assert state.duration == 0.0
    state.timeline.append({"ts": T1, "step": "a", "what": "ok", "who": "op"})
    assert state.duration == 90.5
    state.finished = T2
    assert state.duration == 180.0


def test_failed_keys_are_the_steps_whose_latest_outcome_is_failed_in_order() -> None:
    state = RunState()
    for key, status in (("b", "failed"), ("a", "ok"), ("c", "failed")):
        state.steps[key] = StepRecord(key, key.upper(), "run", status=status)
    assert state.failed_keys == ["b", "c"]
    state.steps["b"].status = "ok"  # retried later and passed
    assert state.failed_keys == ["c"]


def test_a_run_that_completed_past_failures_never_reads_as_plain_completed() -> None:
    assert status_text("completed", 0) == "completed"
    assert status_text("completed", 1) == "completed — 1 step failed (continued)"
    assert status_text("completed", 2) == "completed — 2 steps failed (continued)"
    assert status_text("failed", 3) == "failed"
    state = RunState(status="completed")
    state.steps["x"] = StepRecord("x", "X", "run", status="failed")
    assert state.status_text == "completed — 1 step failed (continued)"
