"""Notes in the replay and the report's timeline: a `note` event is accepted anywhere in
a journal, and shows as a row of its own, in order, with its author and time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runbookctl.record.event_data import EventDataError
from runbookctl.record.journal import Journal, read_journal
from runbookctl.record.replay import replay
from runbookctl.record.run_state import RunState
from runbookctl.record.timeline import compact_timeline

START = ("run_started", None, "alice", {"run_id": "r", "runbook": "db", "title": "DB",
                                         "path": "/rb.yaml", "sha256": "0" * 64})


def _state(tmp_path: Path, *events: tuple[str, str | None, str, dict[str, Any]]) -> RunState:
    journal = Journal.create(tmp_path / "journal.jsonl")
    for type_, step, actor, data in (START, *events):
        journal.append(type_, step, actor, data)
    journal.close()
    return replay(read_journal(tmp_path / "journal.jsonl").events)


def _note(text: str, who: str, step: str | None = None) -> tuple[str, str | None, str, dict[str, Any]]:
    return ("note", step, who, {"text": text, "origin": "prompt" if step else "command"})


def _rows(state: RunState) -> list[tuple[str, str, str]]:
    return [(r["title"], r["what"], r["who"]) for r in compact_timeline(state)]


def test_notes_are_rows_of_their_own_in_journal_order_with_who_and_where(tmp_path: Path) -> None:
    state = _state(
        tmp_path,
        _note("paged the DBA", "bob"),
        ("step_started", "gate", "runbookctl", {"title": "Restart?", "action": "confirm"}),
        _note("waiting for the DBA's go", "alice", "gate"),
        ("answer", "gate", "alice", {"kind": "confirm", "question": "Restart?", "value": True,
                                     "origin": "terminal"}),
        ("step_finished", "gate", "runbookctl", {"status": "ok", "reason": "ok"}),
        ("run_finished", None, "runbookctl", {"status": "completed", "reason": "all steps done"}),
        _note("root cause: a missing index", "carol"),
    )
    assert _rows(state) == [
        ("", "run started (db)", "alice"),
        ("Note", "paged the DBA", "bob"),
        ("Note (at Restart?)", "waiting for the DBA's go", "alice"),
        ("Restart?", "Restart? → yes (terminal)", "alice"),
        ("", "run completed: all steps done", "runbookctl"),
        ("Note", "root cause: a missing index", "carol"),
    ]
    assert state.status == "completed" and state.events == 8


def test_a_note_while_a_step_goes_on_follows_that_steps_row_and_does_not_split_it(
        tmp_path: Path) -> None:
    state = _state(
        tmp_path,
        ("step_started", "kill", "runbookctl", {"title": "Kill queries", "action": "run"}),
        ("command_started", "kill", "runbookctl", {"command": "false", "hosts": []}),
        ("command_finished", "kill", "runbookctl", {"ok": False, "reason": "exit 1",
                                                    "hosts": [{"host": "local", "exit_code": 1}]}),
        _note("retrying after the lock is gone", "bob"),
        ("answer", "kill", "alice", {"kind": "on_failure", "question": "What now?",
                                     "value": "skip", "origin": "terminal"}),
        ("step_finished", "kill", "runbookctl", {"status": "failed", "reason": "exit 1"}),
    )
    rows = _rows(state)
    assert [title for title, _, _ in rows] == ["", "Kill queries", "Note"]
    assert rows[2] == ("Note", "retrying after the lock is gone", "bob")


def test_a_late_note_does_not_make_an_unfinished_run_longer(tmp_path: Path) -> None:
    state = _state(tmp_path,
                   ("step_started", "a", "runbookctl", {"title": "A", "action": "run"}),
                   ("step_finished", "a", "runbookctl", {"status": "ok", "reason": "ok"}))
    before = state.duration
    journal = Journal.open_append(tmp_path / "journal.jsonl")
    journal.clock = lambda: datetime(2099, 1, 1, tzinfo=UTC)
    journal.append(*_note("much later", "bob"))
    journal.close()
    after = replay(read_journal(tmp_path / "journal.jsonl").events)
    assert after.duration == before
    assert after.active == state.active  # nor is its active time (`stats`)
    assert _rows(after)[-1] == ("Note", "much later", "bob")


def test_a_note_whose_text_is_not_text_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(EventDataError, match=r"note event: data.text is int, not str"):
        _state(tmp_path, ("note", None, "bob", {"text": 42}))
