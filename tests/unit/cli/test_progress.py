"""The terminal view's facts as text: a step's place in the plan (visits counted
truthfully), attempt and poll counters, jump notices, running times."""

from __future__ import annotations

import pytest

from runbookctl.cli.progress import Progress, attempt_text, clock, jump_text


def test_a_step_is_numbered_by_its_place_in_the_plan() -> None:
    progress = Progress(["check", "child/a", "child/b", "fix"])
    assert progress.total == 4
    assert [progress.place(k) for k in ("check", "child/a", "child/b", "fix")] == [
        "[1/4]", "[2/4]", "[3/4]", "[4/4]"]


def test_a_jump_back_shows_the_same_number_with_its_visit() -> None:
    progress = Progress(["a", "b", "c"])
    shown = [progress.place(k) for k in ("a", "b", "c", "b", "c", "b")]
    assert shown == ["[1/3]", "[2/3]", "[3/3]", "[2/3, visit 2]", "[3/3, visit 2]",
                     "[2/3, visit 3]"]


def test_a_forward_jump_leaves_a_gap_in_the_numbers() -> None:
    progress = Progress(["a", "b", "c"])
    assert [progress.place("a"), progress.place("c")] == ["[1/3]", "[3/3]"]


def test_a_step_outside_the_plan_has_no_number() -> None:
    progress = Progress(["a"])
    assert progress.place("include-step") == ""  # an include step: its steps are counted
    assert Progress().place("a") == ""  # no plan known (a write-up only)


@pytest.mark.parametrize(("args", "text"), [
    ((1, 3), "attempt 1/3"),
    ((2, 3), "attempt 2/3"),
    ((1, 1), ""),  # no retries: nothing to count
    ((1, None), ""),
    ((4, None, 70.4, 600.0), "poll 4, 1m10s of 10m"),
    ((1, None, 0.0, 90.0), "poll 1, 0s of 90s"),
    ((2, None, 12.9, 3600.0), "poll 2, 12s of 1h"),
])
def test_attempt_and_poll_counters(args: tuple[object, ...], text: str) -> None:
    assert attempt_text(*args) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(("why", "text"), [
    ("after failure: exit code 1", "→ on_failure: db-down"),
    ("on_failure after: cannot render", "→ on_failure: db-down"),
    ("next", "→ next: db-down"),
    ("next: if result.exit_code == 3", "→ next if result.exit_code == 3: db-down"),
    ("on_no", "→ on_no: db-down"),
])
def test_a_jump_says_the_rule_that_made_it(why: str, text: str) -> None:
    assert jump_text("db-down", why) == text


def test_running_time() -> None:
    assert [clock(s) for s in (0.4, 59.9, 61, 3723)] == ["0s", "59s", "1m01s", "1h02m03s"]
