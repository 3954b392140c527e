"""durations.py: the one duration syntax — what reads as how many seconds, what is
refused and why —, the "above zero" rule, and the two ways a duration is written
(a setting: `10m`; a time taken: `1m05s`).

Before #13.4 the loader and the config file each checked "above zero" with their own
message (`got 0` / `got 0 (a number)`), and the time a step took was formatted by
record/report.human_duration (reports, history, stats, commit messages) and again by
executors/ssh/reasons._took (`45ms`), which disagreed under a tenth of a second
and past a minute (`75.0s` / `1m15s`).
"""

from __future__ import annotations

import errno

import pytest

from runbookctl.durations import format_elapsed, format_seconds, parse_duration
from runbookctl.errors import UsageError, ValidationError
from runbookctl.executors.ssh.reasons import dial_failure
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.runbook.loader import load_runbook_text


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


@pytest.mark.parametrize(("value", "shown"),
                         [(0, "0 (a number)"), ("0s", "'0s'"), (0.0, "0.0 (a number)")])
def test_zero_is_refused_where_a_duration_must_be_above_zero(value: object, shown: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(value, above_zero=True)
    assert str(err.value) == f"expected a duration above zero, got {shown}"
    assert parse_duration(value) == 0.0


@pytest.mark.parametrize("value", [0, "0s"])
def test_the_runbook_and_the_config_say_it_alike(value: object) -> None:
    with pytest.raises(ValidationError) as runbook:
        load_runbook_text(f"id: rb\ntitle: T\nsteps:\n  - id: a\n    run: x\n    timeout: {value}\n",
                          "rb.yaml")
    with pytest.raises(UsageError) as config:
        SSHConfig.from_mapping({"connect_timeout": value})
    said = f"expected a duration above zero, got {_shown(value)}"
    assert runbook.value.problems[0].message == f"timeout: {said}"
    assert config.value.message == f"ssh.connect_timeout: {said}"


def _shown(value: object) -> str:
    return f"{value} (a number)" if isinstance(value, int) else repr(value)


def test_a_setting_is_written_as_it_is_read() -> None:
    for seconds in (30, 600, 7200, 1.5, 90):
        assert parse_duration(format_seconds(seconds)) == seconds
    assert [format_seconds(s) for s in (30, 600, 7200, 1.5, 90)] == ["30s", "10m", "2h", "1.5s", "90s"]


@pytest.mark.parametrize(("seconds", "text", "with_ms"), [
    (0.045, "0.0s", "45ms"), (0.1, "0.1s", "0.1s"), (12.34, "12.3s", "12.3s"),
    (75, "1m15s", "1m15s"), (3723, "1h02m03s", "1h02m03s"), ("7.5", "7.5s", "7.5s"),
    (None, "", ""), ("soon", "", ""),
])
def test_a_time_taken_is_written_for_people(seconds: object, text: str, with_ms: str) -> None:
    """Reports keep 0.0s under a tenth (verify compares re-rendered reports byte for byte)."""
    assert format_elapsed(seconds) == text
    assert format_elapsed(seconds, ms=True) == with_ms


def test_an_ssh_failure_says_how_long_it_took_the_same_way() -> None:
    unreachable = OSError(errno.EHOSTUNREACH, "No route to host")
    assert dial_failure(unreachable, "db:22", "db", 10, 0.045).endswith("(after 45ms)")
    assert dial_failure(unreachable, "db:22", "db", 120, 75).endswith("(after 1m15s)")  # was 75.0s
