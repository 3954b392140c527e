"""Timed steps (`at:`, `wait:`): the deadline counts from the run's start or from when
the step is reached, is journaled before the wait, survives a resume, and a dry run
does not wait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runbookctl.engine.waits import Deadline, Waits
from runbookctl.record.run_state import epoch_of
from runbookctl.runbook.model import NOWHERE, Step
from tests.unit.engine.conftest import FakeClock
from tests.unit.engine.fakes import FakeExecutor, make_engine


def step(at: float | None = None, wait: float | None = None) -> Step:
    return Step(id="check", action="run", text="true", pos=NOWHERE, start_at=at, wait=wait)


def test_a_step_without_at_or_wait_has_no_deadline(clock: FakeClock) -> None:
    assert Waits(clock.now).deadline(step(), "check") is None


def test_at_counts_from_the_runs_start_not_from_now(clock: FakeClock) -> None:
    waits = Waits(started=clock.now - 600)  # the run began ten minutes ago
    deadline = waits.deadline(step(at=3600), "check")
    assert deadline == Deadline(clock.now - 600 + 3600, "at: T+1h")
    assert waits.left(deadline) == 3000


def test_wait_counts_from_when_the_step_is_reached(clock: FakeClock) -> None:
    waits = Waits(started=clock.now - 600)
    assert waits.deadline(step(wait=900), "check") == Deadline(clock.now + 900, "wait: 15m")


def test_with_both_the_later_deadline_holds(clock: FakeClock) -> None:
    waits = Waits(started=clock.now)
    assert waits.deadline(step(at=60, wait=120), "check") == Deadline(clock.now + 120, "wait: 2m")
    assert waits.deadline(step(at=300, wait=120), "check") == Deadline(clock.now + 300, "at: T+5m")


def test_a_resumed_wait_keeps_its_journaled_deadline_once(clock: FakeClock) -> None:
    until = datetime.fromtimestamp(clock.now + 42, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    waits = Waits.of_resumed(clock.now - 1000, {"check": until, "broken": "not a time"})
    assert waits.deadline(step(wait=900), "check") == Deadline(clock.now + 42, "wait: 15m")
    # a second pass of the same step (a loop back to it) waits its full time again
    assert waits.deadline(step(wait=900), "check") == Deadline(clock.now + 900, "wait: 15m")
    assert waits.deadline(step(wait=900), "broken") == Deadline(clock.now + 900, "wait: 15m")


def test_wait_sleeps_in_slices_to_the_deadline_and_looks_around_between(clock: FakeClock) -> None:
    looks: list[float] = []
    waits = Waits(clock.now)
    waits.wait(Deadline(clock.now + 2.5, "wait: 2.5s"), lambda: looks.append(clock.now))
    assert clock.sleeps == [1.0, 1.0, 0.5]
    assert looks == [1001.0, 1002.0, 1002.5]


def test_a_past_deadline_does_not_sleep(clock: FakeClock) -> None:
    Waits(clock.now).wait(Deadline(clock.now - 5, "at: T+0s"), lambda: None)
    assert clock.sleeps == []


def test_describe_says_until_when_and_what_is_left_or_how_late(clock: FakeClock) -> None:
    clock.now = datetime(2026, 12, 1, 14, 0, tzinfo=UTC).timestamp()
    waits = Waits(clock.now)
    ahead = Deadline(clock.now + 4320, "at: T+1h12m")
    assert waits.describe(ahead) == "waiting until 15:12:00 UTC (at: T+1h12m; 1h12m00s left)"
    late = Deadline(clock.now - 90, "at: T+0s")
    assert waits.describe(late) == "at: T+0s: due since 13:58:30 UTC (1m30s ago)"


@pytest.mark.parametrize("text", ["2026-12-01T14:00:00.000000Z", "2026-12-01T14:00:00.5Z"])
def test_epoch_of_reads_journal_timestamps(text: str) -> None:
    assert epoch_of(text) == pytest.approx(datetime(2026, 12, 1, 14, tzinfo=UTC).timestamp(),
                                              abs=1)
    assert epoch_of("yesterday") is None


WATCH = """\
id: watch
title: Watch
remind:
  - {every: 30m, message: Post a status update}
steps:
  - {id: t0, run: check}
  - {id: t1h, at: 1h, run: check}
  - {id: pause, wait: 45m, message: three quarters of an hour later}
"""


def test_the_engine_journals_the_deadline_then_waits_showing_reminders(clock: FakeClock) -> None:
    start = clock.now
    run = make_engine(WATCH, executor=FakeExecutor({"check": [0, 0]}))
    run.run()
    waiting = run.events("waiting")
    assert [(e.step, e.data["why"]) for e in waiting] == [("t1h", "at: T+1h"),
                                                          ("pause", "wait: 45m")]
    assert epoch_of(waiting[0].data["until"]) == pytest.approx(start + 3600, abs=1e-3)
    assert epoch_of(waiting[1].data["until"]) == pytest.approx(start + 3600 + 2700, abs=1e-3)
    order = [(e.type, e.step) for e in run.events() if e.type in ("waiting", "reminder",
                                                                  "command_started")]
    # the step starts, journals its deadline, waits (the reminders show meanwhile), then runs
    assert order == [("command_started", "t0"), ("waiting", "t1h"), ("reminder", None),
                     ("reminder", None), ("command_started", "t1h"), ("waiting", "pause"),
                     ("reminder", None)]
    assert clock.now == pytest.approx(start + 3600 + 2700)
    assert any(text.startswith("waiting until ") for text in run.display.said("info"))
    assert run.state().waits["pause"] == waiting[1].data["until"]


def test_a_dry_run_says_it_would_wait_and_does_not(clock: FakeClock) -> None:
    run = make_engine(WATCH, executor=FakeExecutor({"check": [0, 0]}), dry_run=True)
    run.run()
    assert clock.sleeps == [] and run.events("waiting") == []
    assert [t for t in run.display.said("info") if "not waiting" in t] == [
        "dry run: not waiting (waiting until "
        + datetime.fromtimestamp(clock.now + 3600, UTC).strftime("%H:%M:%S")
        + " UTC (at: T+1h; 1h00m00s left))",
        "dry run: not waiting (waiting until "
        + datetime.fromtimestamp(clock.now + 2700, UTC).strftime("%H:%M:%S")
        + " UTC (wait: 45m; 45m00s left))"]
