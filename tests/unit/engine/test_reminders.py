"""Reminders (`remind:`): due at each multiple of `every` from the run's start, shown
and journaled between steps, once however many multiples went by, and counted on
from the first start after a resume."""

from __future__ import annotations

from runbookctl.engine.reminders import Reminders
from runbookctl.runbook.model import Reminder
from tests.unit.engine.conftest import FakeClock
from tests.unit.engine.fakes import FakeExecutor, make_engine

UPDATE = Reminder(every=1800.0, message="Post a status update")


def test_nothing_is_due_before_the_first_every(clock: FakeClock) -> None:
    due = Reminders([UPDATE])
    clock.now += 1799
    assert due.due() == []


def test_due_once_at_each_multiple(clock: FakeClock) -> None:
    due = Reminders([UPDATE])
    clock.now += 1800
    assert [(d.reminder.message, d.slot, d.elapsed) for d in due.due()] == [
        ("Post a status update", 1, 1800)]
    assert due.due() == []  # asked again at the next step boundary: already shown
    clock.now += 1800
    assert [d.slot for d in due.due()] == [2]


def test_several_multiples_missed_are_shown_once(clock: FakeClock) -> None:
    due = Reminders([UPDATE])
    clock.now += 3 * 1800 + 5
    assert [d.slot for d in due.due()] == [3]
    assert due.due() == []


def test_each_reminder_on_its_own_rhythm(clock: FakeClock) -> None:
    hourly = Reminder(every=3600.0, message="Brief the stakeholders")
    due = Reminders([UPDATE, hourly])
    clock.now += 1800
    assert [d.reminder for d in due.due()] == [UPDATE]
    clock.now += 1800
    assert [d.reminder for d in due.due()] == [UPDATE, hourly]


def test_a_resumed_run_counts_from_its_first_start(clock: FakeClock) -> None:
    # started 20:00:00; the reminder of 20:30 was shown before the run stopped
    clock.now = 1_767_297_600.0 + 45 * 60  # 2026-01-01T20:45:00Z
    due = Reminders.resumed([UPDATE], "2026-01-01T20:00:00.000Z", {(UPDATE.message, 1800.0): 1})
    assert due.due() == []  # 20:30 was shown; 21:00 is not there yet
    clock.now += 15 * 60
    assert [(d.slot, d.elapsed) for d in due.due()] == [(2, 3600.0)]


def test_a_resumed_run_shows_what_fell_due_while_it_was_stopped(clock: FakeClock) -> None:
    clock.now = 1_767_297_600.0 + 100 * 60
    due = Reminders.resumed([UPDATE], "2026-01-01T20:00:00.000Z", {})
    assert [d.slot for d in due.due()] == [3]


REMIND = """\
id: t
title: T
remind:
  - {every: 30m, message: Post a status update}
steps:
  - {id: slow, run: check, retries: 1, retry_delay: 31m}
  - {id: b, run: echo b}
  - {id: c, run: echo c}
"""


def test_the_engine_journals_and_shows_a_due_reminder_between_steps(clock: FakeClock) -> None:
    # The first attempt fails, the retry waits 31 minutes (on the fake clock): the
    # reminder is due when `slow` ends, so it comes before `b` starts, and only once.
    run = make_engine(REMIND, executor=FakeExecutor({"check": [1, 0]}))
    run.run()
    order = [(e.type, e.step) for e in run.events()
             if e.type in ("step_started", "reminder")]
    assert order == [("step_started", "slow"), ("reminder", None), ("step_started", "b"),
                     ("step_started", "c")]
    reminder = run.events("reminder")[0].data
    assert reminder == {"message": "Post a status update", "every": 1800.0, "slot": 1,
                        "elapsed": 1860.0}
    assert [w for w in run.display.said("warn") if w.startswith("reminder")] == [
        "reminder: Post a status update (31m00s into the run)"]
    state = run.state()
    assert {"step": "", "what": "reminder: Post a status update"}.items() <= next(
        row for row in state.timeline if row["what"].startswith("reminder")).items()
    assert state.reminders == {("Post a status update", 1800.0): 1}


def test_a_runbook_without_reminders_journals_none(clock: FakeClock) -> None:
    run = make_engine(REMIND.replace("remind:\n  - {every: 30m, message: Post a status update}\n",
                                     ""), executor=FakeExecutor({"check": [1, 0]}))
    run.run()
    assert run.events("reminder") == []
