"""The one duration syntax: what reads as how many seconds, what is refused and why,
and how seconds are written back."""

from __future__ import annotations

import pytest

from runbookctl.durations import format_seconds, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0), ("5m", 300.0), ("1h30m", 5400.0), ("500ms", 0.5), ("7d", 604800.0),
    ("45", 45.0), (" 2.5s ", 2.5), (90, 90.0), (1.5, 1.5), ("365d", 31536000.0),
])
def test_durations_read_as_seconds(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("value", "message"), [
    (None, "bad duration nothing (null): write it like 30s, 5m, 1h30m or 500ms"),
    (True, "bad duration true (a boolean): write it like"),
    (-1, "bad duration -1: it cannot be negative"),
    ("-5s", "bad duration '-5s': it cannot be negative"),
    ("5 minutes", "bad duration '5 minutes': write it like 30s"),
    ("366d", "bad duration '366d': at most a year (365d)"),
    (float("nan"), "at most a year"),
])
def test_bad_durations_say_why(value: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(value)
    assert message in str(err.value)


@pytest.mark.parametrize(("seconds", "text"), [
    (30, "30s"), (600, "10m"), (7200, "2h"), (1.5, "1.5s"), (90, "90s"), (3660, "61m"), (0, "0s"),
])
def test_seconds_are_written_in_the_largest_whole_unit(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text
