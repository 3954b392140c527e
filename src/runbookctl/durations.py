"""Durations: the one syntax runbookctl reads them in (`30s`, `5m`, `1h30m`, `500ms`,
`7d` or a bare number of seconds) and the one way it writes them back.

Runbook keys, the config file, `runs --since` and every "timed out after" message
use these; the schema's pattern for a duration is DURATION_RE.
"""

from __future__ import annotations

import re

DURATION_RE = r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$|^\d+(?:\.\d+)?$"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION = 365 * 86400.0
_DURATION_HINT = "write it like 30s, 5m, 1h30m or 500ms"


def parse_duration(value: object) -> float:
    """Seconds in `30s`, `5m`, `1h30m`, `500ms`, `7d` or a bare number; ValueError if malformed.

    The one duration syntax of runbookctl: runbook keys, the config file and
    `runs --since` all read durations here.
    """
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
    """30 -> "30s", 600 -> "10m", 7200 -> "2h", 1.5 -> "1.5s"."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
