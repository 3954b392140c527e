"""Durations: the one syntax runbookctl reads them in (`30s`, `5m`, `1h30m`, `500ms`,
`7d` or a bare number of seconds) and the ways it writes them.

Runbook keys, the config file (`ssh.connect_timeout` ...) and `runs --since` read
durations with parse_duration; a setting or a timeout is written back with
format_seconds (`10m`, which parses again), a time something took with
format_elapsed (`12.3s`, `1m05s`: reports, history, stats, commit messages, SSH
failure reasons). The schema's pattern for a duration is DURATION_RE.
"""

from __future__ import annotations

import re

DURATION_RE = r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$|^\d+(?:\.\d+)?$"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION = 365 * 86400.0
_DURATION_HINT = "write it like 30s, 5m, 1h30m or 500ms"


def parse_duration(value: object, *, above_zero: bool = False) -> float:
    """Seconds in `30s`, `5m`, `1h30m`, `500ms`, `7d` or a bare number; ValueError if malformed
    (or, with `above_zero`, zero).

    The one duration syntax of runbookctl: runbook keys, the config file and
    `runs --since` all read durations here.
    """
    seconds = _parse(value)
    if above_zero and seconds <= 0:
        shown = f"{value} (a number)" if isinstance(value, int | float) else repr(value)
        raise ValueError(f"expected a duration above zero, got {shown}")
    return seconds


def _parse(value: object) -> float:
    if isinstance(value, bool) or value is None:
        shown = "nothing (null)" if value is None else f"{str(value).lower()} (a boolean)"
        raise ValueError(f"bad duration {shown}: {_DURATION_HINT}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"bad duration {value}: it cannot be negative")
        return _at_most_a_year(value, float(value))
    text = str(value).strip()
    if text.startswith("-"):
        raise ValueError(f"bad duration {text!r}: it cannot be negative")
    if not re.fullmatch(DURATION_RE, text):
        raise ValueError(f"bad duration {text!r}: {_DURATION_HINT}")
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)?", text)
    return _at_most_a_year(text, sum(float(num) * _UNITS[unit or "s"] for num, unit in parts))


def _at_most_a_year(text: object, seconds: float) -> float:
    # Waits longer than this overflow the OS timers (and mean a typo).
    if not seconds <= MAX_DURATION:  # also NaN
        raise ValueError(f"bad duration {text!r}: at most a year (365d)")
    return seconds


def format_seconds(seconds: float) -> str:
    """A duration as written in a runbook or the config: 30 -> "30s", 600 -> "10m",
    7200 -> "2h", 1.5 -> "1.5s" (parse_duration reads each back)."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def format_elapsed(seconds: object, *, ms: bool = False) -> str:
    """How long something took, for people: 12.3s, 1m05s, 1h02m03s ('' if not a number).

    With `ms`, under a tenth of a second in milliseconds (`45ms`: how long a refused
    SSH connection took). Reports keep `0.0s` there: `verify` renders the report of
    an earlier run again and compares it byte for byte.
    """
    try:
        total = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if ms and total < 0.1:
        return f"{total * 1000:.0f}ms"
    if total < 60:
        return f"{total:.1f}s"
    minutes, secs = divmod(int(total), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
