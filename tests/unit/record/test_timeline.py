"""The report's timeline: titles, one row per step, nothing said twice (#14.2)."""

from __future__ import annotations

from runbookctl.record.run_state import RunState, StepRecord
from runbookctl.record.timeline import compact_timeline, no_repeats, short_actor


def _row(step: str, what: str, who: str = "runbookctl") -> dict[str, str]:
    return {"ts": "2026-12-01T10:00:00.000Z", "step": step, "what": what, "who": who}


def test_rows_of_one_step_merge_under_its_title_and_the_answer_names_who() -> None:
    state = RunState(steps={"terminate": StepRecord("terminate", "Terminate the blockers", "run")})
    state.timeline = [_row("", "run started (db)", "ana"),
                      _row("terminate", "confirm: yes (terminal)", "ana"),
                      _row("terminate", "ok")]
    rows = compact_timeline(state)
    assert [(r["title"], r["what"], r["who"]) for r in rows] == [
        ("", "run started (db)", "ana"), ("Terminate the blockers", "confirm: yes (terminal)", "ana")]


def test_a_skip_is_said_once() -> None:
    assert no_repeats("skipped: skipped: when: x is false") == "skipped: when: x is false"
    assert no_repeats("skipped: answered no: skipped") == "skipped: answered no"
    assert no_repeats("answered no: skipped", "skipped") == "answered no"
    assert no_repeats("run completed: completed; failed steps continued past: health") == (
        "run completed: failed steps continued past: health")
    state = RunState(steps={"idle": StepRecord("idle", "Idle sessions", "run")})
    state.timeline = [_row("idle", "confirm: no (terminal)", "bo"),
                      _row("idle", "skipped: answered no: skipped")]
    assert compact_timeline(state)[0]["what"] == "confirm: no (terminal); skipped: answered no"


def test_an_answers_file_is_named_by_its_file() -> None:
    assert short_actor("/tmp/x/answers.yaml (sha256 8a011ae978c5)") == "answers file answers.yaml"
    assert short_actor("ana") == "ana"


def test_rows_that_say_the_same_in_other_words_are_said_once_in_the_longer_words() -> None:
    state = RunState(steps={"nap": StepRecord("nap", "nap", "run")})
    state.timeline = [_row("nap", "command interrupted by SIGINT; command stopped with SIGTERM"),
                      _row("nap", "interrupted by SIGINT")]
    assert compact_timeline(state)[0]["what"] == "command interrupted by SIGINT; command stopped with SIGTERM"
    state.timeline = [_row("nap", "interrupted by SIGINT"),
                      _row("nap", "ok: rerun, then interrupted by SIGINT")]
    assert compact_timeline(state)[0]["what"] == "ok: rerun, then interrupted by SIGINT"
