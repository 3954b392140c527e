"""web/present.py: what serve shows of a run, every string with its escapes made visible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from runbookctl.web.present import current_step, elapsed, event_json, inert, run_detail, run_row
from runbookctl.web.runs_source import RunsSource
from tests.unit.web.runs import (
    RUN,
    XSS,
    append,
    command,
    ended,
    finished_command,
    note,
    step,
    step_done,
    write_run,
)


def test_inert_makes_every_escape_visible_at_any_depth() -> None:
    value = {"a\x1b[2J": ["\x1b]8;;x\x1b\\", {"b": "\x07\x9b"}], "n": 3, "t": None}
    assert inert(value) == {"a␛[2J": ["␛]8;;x␛\\", {"b": "␇<U+009B>"}], "n": 3, "t": None}
    assert inert("line\n\tok") == "line\n\tok"


def test_a_running_run_shows_its_current_step_and_elapsed_time(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check", "Check the load"))
    state = RunsSource(tmp_path).run_state(RUN)
    rec = current_step(state)
    assert rec is not None and (rec.key, rec.title) == ("check", "Check the load")
    start = datetime.strptime(state.started, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert elapsed(state, start + timedelta(seconds=90)) == 90.0
    row = run_row(state)
    assert row["current_step"] == {"key": "check", "title": "Check the load"}
    assert row["status"] == "running" and row["operator"] == "alice"
    append(run_dir, step_done("check"), ended())
    ended_state = RunsSource(tmp_path).run_state(RUN)
    assert current_step(ended_state) is None and run_row(ended_state)["current_step"] is None


def test_the_detail_holds_steps_output_notes_answers_path_and_is_inert(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check", XSS))
    append(run_dir, command("check", run_dir), finished_command("check", run_dir, tail=XSS),
           ("answer", "check", "bob", {"kind": "confirm", "question": XSS, "value": XSS,
                                       "origin": "terminal"}),
           step_done("check"), note(XSS), ended())
    detail = run_detail(RunsSource(tmp_path).run_state(RUN), report=f"# {XSS}")
    assert "\x1b" not in repr(detail)
    [s] = detail["steps"]
    assert s["title"].startswith("<script>") and s["commands"][0]["hosts"][0]["log"] == "0001-check.log"
    assert s["commands"][0]["hosts"][0]["tail"].endswith("␛[2J")
    assert [n["by"] for n in detail["notes"]] == ["bob"]
    assert detail["answers"][0]["actor"] == "bob"
    assert detail["mermaid"].startswith(("flowchart", "graph"))
    assert detail["report"].startswith("# <script>")


def test_an_event_keeps_the_journals_fields() -> None:
    from runbookctl.record.journal import Event

    event = Event(3, "2026-12-01T00:00:00.000Z", "note", None, "bob\x1b[1m", {"text": "hi\x1b[2J"},
                  "0" * 64)
    assert event_json(event) == {"seq": 3, "ts": "2026-12-01T00:00:00.000Z", "type": "note",
                                 "step": None, "actor": "bob␛[1m", "data": {"text": "hi␛[2J"},
                                 "hash": "0" * 64}
