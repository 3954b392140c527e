"""Typed values for inputs and ask answers: one coercion used by every source
(--var, --vars-file, answers file, terminal), so a value means the same thing
whichever way it arrived.
"""

from __future__ import annotations

import re

from runbookctl.errors import UsageError
from runbookctl.runbook.model import InputSpec
from runbookctl.safety.plain_text import not_utf8

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
    if spec.type == "action_items":  # a list (none is an answer too)
        return action_items_value(spec.name, raw)
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
        undecodable = not_utf8(f"--var {key}", value, "the journal records it and keeps UTF-8 text only")
        if undecodable:
            raise UsageError(undecodable)
        out[key] = value
    return out


def display_value(spec: InputSpec | None, value: object) -> str:
    """How a value is shown and recorded: secrets never."""
    if spec is not None and spec.secret:
        return "***"
    if isinstance(value, list):
        return action_items_text(value)
    return "" if value is None else str(value)




# --- action items (an ask of type action_items) ---------------------------------------

ACTION_ITEM_FIELDS = ("action", "owner", "due", "ticket")
_NONE_WORDS = frozenset({"none", "n/a", "-", ""})


def action_items_value(name: str, raw: object) -> list[dict[str, str]]:
    """A list of action items from a list of maps, or from the text form
    "owner - action - due; …" (or "none"); ValueError says which item is wrong."""
    if isinstance(raw, list):
        return [_item_map(name, n, item) for n, item in enumerate(raw, 1)]
    if isinstance(raw, dict):
        return [_item_map(name, 1, raw)]
    return parse_action_items("" if raw is None else str(raw))


def _item_map(name: str, number: int, item: object) -> dict[str, str]:
    if not isinstance(item, dict):
        raise ValueError(f"{name}: item {number}: expected a map of "
                         f"{', '.join(ACTION_ITEM_FIELDS)}, got {type(item).__name__}")
    unknown = sorted(str(k) for k in item if k not in ACTION_ITEM_FIELDS)
    if unknown:
        raise ValueError(f"{name}: item {number}: unknown key '{unknown[0]}' "
                         f"(the keys: {', '.join(ACTION_ITEM_FIELDS)})")
    out = {key: str(item[key]).strip() for key in ACTION_ITEM_FIELDS
           if item.get(key) not in (None, "")}
    if not out.get("action"):
        raise ValueError(f"{name}: item {number}: `action` is required (what is to be done)")
    return out


def parse_action_items(text: str) -> list[dict[str, str]]:
    """The text form: items separated by semicolons or lines, each "owner - action -
    due" (or "owner - action", or just the action); "none" for no items."""
    items = []
    for part in re.split(r"[;\n]", text):
        part = part.strip().lstrip("-* ").strip()
        if part.lower() in _NONE_WORDS:
            continue
        pieces = [p.strip() for p in re.split(r"\s+[-–]\s+", part)]
        if len(pieces) == 3 and all(pieces):
            items.append({"owner": pieces[0], "action": pieces[1], "due": pieces[2]})
        elif len(pieces) == 2 and all(pieces):
            items.append({"owner": pieces[0], "action": pieces[1]})
        else:
            items.append({"action": part})
    return items


def action_items_text(items: object) -> str:
    """One line for a list of action items: "owner: action (due D, TICKET); …"."""
    if not isinstance(items, list):
        return "" if items is None else str(items)
    if not items:
        return "none"
    return "; ".join(_item_text(item) for item in items if isinstance(item, dict))


def _item_text(item: dict[str, object]) -> str:
    extra = [f"due {item['due']}"] if item.get("due") else []
    extra += [str(item["ticket"])] if item.get("ticket") else []
    owner = f"{item['owner']}: " if item.get("owner") else ""
    return f"{owner}{item.get('action', '')}" + (f" ({', '.join(extra)})" if extra else "")


def answer_text(value: object) -> str:
    """An answer as the report and the timeline show it: yes/no, a list of action
    items on one line, anything else as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return action_items_text(value)
    return "" if value is None else str(value)
