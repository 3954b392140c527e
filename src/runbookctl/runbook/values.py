"""Typed values for inputs and ask answers: one coercion used by every source
(--var, --vars-file, answers file, terminal), so a value means the same thing
whichever way it arrived.
"""

from __future__ import annotations

import re

from runbookctl.errors import UsageError
from runbookctl.runbook.model import InputSpec

# The one yes/no vocabulary, wherever a yes or a no is written: --var and a vars file
# (bool inputs), an answers file (confirm gates), validate's check of one, and the
# typed "no" at a dangerous gate. Any case, spaces around ignored.
YES_WORDS = frozenset({"yes", "y", "true", "on", "1"})
NO_WORDS = frozenset({"no", "n", "false", "off", "0"})


def yes_no_word(raw: object) -> bool | None:
    """True or False for a YAML boolean or a yes/no word (a whole number 1/0 too);
    None for anything else, which each caller reports in its own words."""
    if isinstance(raw, bool):
        return raw
    if not isinstance(raw, str | int):
        return None
    word = str(raw).strip().lower()
    return True if word in YES_WORDS else False if word in NO_WORDS else None


def coerce_value(spec: InputSpec, raw: object) -> object:
    """Convert `raw` to spec.type and check choices/pattern; ValueError says why."""
    if raw is None or (isinstance(raw, str) and raw == ""):
        if spec.required and spec.type != "bool":
            raise ValueError(f"{spec.name}: a value is required")
        return "" if spec.type in ("str", "choice") else None
    value = _convert(spec, raw)
    if spec.choices and str(value) not in spec.choices:
        raise ValueError(f"{spec.name}: {value!r} is not one of {', '.join(spec.choices)}")
    if spec.pattern and not re.fullmatch(spec.pattern, str(value)):
        raise ValueError(f"{spec.name}: {value!r} does not match the pattern {spec.pattern!r}")
    return value


def _convert(spec: InputSpec, raw: object) -> object:
    kind = spec.type
    if kind == "bool":
        answer = yes_no_word(raw)
        if answer is None:
            raise ValueError(f"{spec.name}: {raw!r} is not a yes/no value")
        return answer
    if kind == "int":
        if isinstance(raw, bool):
            raise ValueError(f"{spec.name}: {raw!r} is not an integer")
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValueError(f"{spec.name}: {raw!r} is not an integer") from None
    if kind == "float":
        try:
            return float(str(raw).strip())
        except ValueError:
            raise ValueError(f"{spec.name}: {raw!r} is not a number") from None
    return str(raw)


def parse_var_options(pairs: list[str]) -> dict[str, str]:
    """`--var K=V` options into a dict; a UsageError (exit 2) for a malformed one."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise UsageError(f"--var {pair!r}: expected NAME=VALUE")
        out[key] = value
    return out


def display_value(spec: InputSpec | None, value: object) -> str:
    """How a value is shown and recorded: secrets never."""
    if spec is not None and spec.secret:
        return "***"
    return "" if value is None else str(value)


