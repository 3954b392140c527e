"""`notify:` (config and runbook): the webhooks a run notifies, as written.

Each entry is `{name, url, format: slack|json, on: [events]}` (`on` defaults to all
events). A URL is a secret (a Slack incoming-webhook URL is one): it may be written
as `{{ secrets.NAME }}` (a secret of the runbook) or `${ENV_VAR}`, resolved when the
run starts (engine/notify.py), and it is never shown or journaled whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a webhook can be notified of (`on:`); `post:` of a message step always goes.
EVENTS: tuple[str, ...] = ("run_started", "step_failed", "approval_needed", "reminder",
                           "run_finished")
FORMATS: tuple[str, ...] = ("slack", "json")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_KEYS = ("name", "url", "format", "on")


@dataclass(frozen=True)
class Webhook:
    name: str
    url: str  # as written: may hold `{{ secrets.NAME }}` or `${ENV}`
    format: str = "json"
    on: tuple[str, ...] = EVENTS


def read_webhooks(value: object) -> tuple[Webhook, ...]:
    """The `notify:` list; ValueError says what is wrong (its entry and key)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("must be a list of {name, url, format, on}")
    hooks = tuple(_webhook(index, item) for index, item in enumerate(value))
    names = [h.name for h in hooks]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"the name {twice[0]!r} is used twice")
    return hooks


def _webhook(index: int, item: object) -> Webhook:
    where = f"entry {index + 1}"
    if not isinstance(item, dict):
        raise ValueError(f"{where}: must be a map {{name, url, format, on}}")
    # YAML 1.1 reads a bare `on:` key as true: it is the `on` key here.
    item = {("on" if key in (True, "True") else key): value for key, value in item.items()}
    unknown = sorted(str(k) for k in item if k not in _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})")
    name, url = item.get("name"), item.get("url")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{where}: name: give a name of letters, digits, '-', '_' or '.'")
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"{where}: url: give the webhook's URL (https://…, "
                         "\"{{ secrets.NAME }}\" or \"${ENV_VAR}\")")
    fmt = item.get("format", "json")
    if fmt not in FORMATS:
        raise ValueError(f"{where}: format: must be slack or json, not {fmt!r}")
    on = item.get("on", list(EVENTS))
    on = [on] if isinstance(on, str) else on
    if not isinstance(on, list) or not on or any(e not in EVENTS for e in on):
        raise ValueError(f"{where}: on: a list of {', '.join(EVENTS)}")
    return Webhook(name, url.strip(), str(fmt), tuple(on))


def merged(config: tuple[Webhook, ...], runbook: tuple[Webhook, ...]) -> tuple[Webhook, ...]:
    """The config's webhooks, then the runbook's; the runbook's wins a name both use."""
    mine = {h.name for h in runbook}
    return (*(h for h in config if h.name not in mine), *runbook)
