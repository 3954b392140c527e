"""Reads a runbook's `remind:` list: each entry {every: DURATION, message: TEXT},
every problem reported at its file:line:col like any other key's."""

from __future__ import annotations

from runbookctl.runbook.model import Reminder
from runbookctl.runbook.readers import Bad, Ctx, as_positive_duration, as_text, kind
from runbookctl.runbook.schema import REMIND_KEYS
from runbookctl.runbook.yaml_positions import YNode

_SHAPE = "a list of {every: DURATION, message: TEXT}"


def read_reminders(ctx: Ctx, node: YNode) -> tuple[Reminder, ...]:
    """The reminders of `remind:` (`node`); the bad entries are reported and left out."""
    if not node.is_seq:
        ctx.err(node.pos, f"remind: expected {_SHAPE}, got {kind(node.value)}", "remind")
        return ()
    if not node.value:
        ctx.err(node.pos, f"remind: the list is empty; write {_SHAPE} or leave the key out",
                "remind")
        return ()
    found = (_reminder(ctx, item, f"remind[{i}]") for i, item in enumerate(node.value))
    return tuple(r for r in found if r is not None)


def _reminder(ctx: Ctx, item: YNode, kp: str) -> Reminder | None:
    if not ctx.expect_map(item, kp, "a map {every: DURATION, message: TEXT}"):
        return None
    ctx.unknown_keys(item, REMIND_KEYS, kp)
    keys: dict[str, YNode] = item.value
    missing = [k for k in REMIND_KEYS if k not in keys]
    for key in missing:
        ctx.err(item.pos, f"missing required key '{key}'", f"{kp}.{key}")
    if missing:
        return None
    every = ctx.read(keys["every"], as_positive_duration, f"{kp}.every")
    message = ctx.read(keys["message"], _as_message, f"{kp}.message")
    if every is None or message is None:
        return None
    return Reminder(every=every, message=message, pos=item.pos)


def _as_message(value: object) -> str:
    text = as_text(value).strip()
    if not text:
        raise Bad("must not be empty")
    return text
