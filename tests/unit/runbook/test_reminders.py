"""`remind:` (a runbook's reminders): read into Reminder objects, every mistake refused
at its file:line:col, described by the one schema."""

from __future__ import annotations

import pytest

from runbookctl.errors import ValidationError
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import Reminder
from runbookctl.runbook.schema import runbook_schema

STEPS = "steps:\n  - {id: a, run: 'true'}\n"


def load(remind: str) -> object:
    return load_runbook_text(f"id: x\ntitle: X\nremind:\n{remind}{STEPS}", "x.yaml")


def problems(remind: str) -> str:
    with pytest.raises(ValidationError) as caught:
        load(remind)
    return str(caught.value)


def test_reminders_are_read_with_their_place() -> None:
    rb = load("  - every: 30m\n    message: Post a status update\n"
              "  - {every: 1h, message: '  Brief the stakeholders '}\n")
    assert [(r.every, r.message, r.pos.line) for r in rb.reminders] == [  # type: ignore[attr-defined]
        (1800.0, "Post a status update", 4), (3600.0, "Brief the stakeholders", 6)]


def test_no_remind_key_means_no_reminders() -> None:
    rb = load_runbook_text(f"id: x\ntitle: X\n{STEPS}", "x.yaml")
    assert rb.reminders == ()


@pytest.mark.parametrize(("remind", "where", "says"), [
    ("  every: 30m\n", "x.yaml:4:3", "remind: expected a list of {every: DURATION, message: TEXT}"),
    ("  - {every: 0, message: m}\n", "x.yaml:4:13", "every: expected a duration above zero"),
    ("  - {every: soon, message: m}\n", "x.yaml:4:13", "every: bad duration 'soon'"),
    ("  - {every: 30m, message: '  '}\n", "x.yaml:4:27", "message: must not be empty"),
    ("  - {every: 30m}\n", "x.yaml:4:5", "missing required key 'message'"),
    ("  - {every: 30m, message: m, evry: 1}\n", "x.yaml:4:30", "unknown key 'evry'"),
    ("  - Post a status update\n", "x.yaml:4:5", "remind[0]: expected a map {every: DURATION"),
    ("  []\n", "x.yaml:4:3", "remind: the list is empty"),
])
def test_a_bad_reminder_is_refused_at_its_place(remind: str, where: str, says: str) -> None:
    text = problems(remind)
    assert where in text and says in text


def test_the_schema_describes_remind() -> None:
    remind = runbook_schema()["properties"]["remind"]
    assert remind["items"]["required"] == ["every", "message"]
    assert set(remind["items"]["properties"]) == {"every", "message"}


def test_a_reminder_is_a_frozen_value() -> None:
    with pytest.raises(AttributeError):
        Reminder(60.0, "m").every = 1.0  # type: ignore[misc]
