"""Typed values for inputs and ask answers: one coercion used by every source
(--var, --vars-file, answers file, terminal), so a value means the same thing
whichever way it arrived.
"""

from __future__ import annotations

import re

from runbookctl.errors import UsageError
from runbookctl.runbook.model import InputSpec

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


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
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{spec.name}: {raw!r} is not a yes/no value")
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


