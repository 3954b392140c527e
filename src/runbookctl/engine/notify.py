"""Notifications (`notify:`): the run's events, as the journal has them (masked), sent
to webhooks — Slack incoming-webhook payloads or generic JSON — in the background.

A subscriber of the run's EventStream (engine/stream.py): every event goes through
it, so nothing is sprinkled over the engine. It maps an event to a notification
(run_started, step_failed, approval_needed, reminder, run_finished; and a `message`
step's `post: NAME`), builds each webhook's payload, masks it with the run's
Redactor, and queues it (engine/delivery.py): it never waits on the network.

A failed delivery (after its retries) is shown on the terminal once per webhook and
journaled as `notify_failed` every time — collected on the engine's thread at the
next event, since neither the journal nor the terminal may be used from the
delivery threads. At the run's end (run_finished / run_interrupted) it waits at
most END_WAIT seconds for what is queued, and journals what was not delivered.

A webhook's URL is a secret: resolved here (`{{ secrets.NAME }}`, `${ENV}`), added
to the Redactor, and shown or journaled only as `scheme://host/…`.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from runbookctl.engine.delivery import Courier, Failure, Parcel
from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.engine.stream import EventStream
    from runbookctl.record.journal import Event
    from runbookctl.runbook.notify import Webhook
    from runbookctl.safety.masking import Redactor

# At the run's end, how long queued notifications may still take, in all (seconds).
END_WAIT = 2.0
POST = "post"  # a message step's `post: NAME`
_SECRET_REF = re.compile(r"\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def resolve_url(hook: Webhook, secrets: Mapping[str, str]) -> str:
    """The URL with its references filled in; ValueError says what is missing."""

    def secret(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in secrets:
            raise ValueError(f"its url uses secrets.{name}, which the runbook does not declare")
        return secrets[name]

    def env(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if not value:
            raise ValueError(f"its url needs ${{{match.group(1)}}}, which is not set")
        return value

    url = _ENV_REF.sub(env, _SECRET_REF.sub(secret, hook.url)).strip()
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("its url must start with http:// or https://")
    return url


def describe(event: Event) -> tuple[str, str] | None:
    """(notification kind, text) of a journal event, or None: not notified."""
    d, step = event.data, event.step
    if event.type == ev.RUN_STARTED:
        return "run_started", f"Run started by {event.actor}: {d.get('title')} ({d.get('runbook')})"
    if event.type == ev.RUN_RESUMED:
        return "run_started", f"Run resumed by {event.actor} ({d.get('note', '')})"
    if event.type == ev.STEP_FINISHED and d.get("status") == "failed":
        return "step_failed", f"Step {step} failed: {d.get('reason')}"
    if event.type == ev.APPROVAL_REQUESTED:
        return "approval_needed", (f"Step {step} waits for approval by anyone but "
                                   f"{d.get('operator')}: {d.get('url')}")
    if event.type == ev.REMINDER:
        return "reminder", f"Reminder: {d.get('message')}"
    if event.type == ev.RUN_FINISHED:
        return "run_finished", f"Run {d.get('status')}: {d.get('reason')}"
    if event.type == ev.RUN_INTERRUPTED:
        return "run_finished", f"Run interrupted (resumable): {d.get('reason')}"
    return None


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Notifier:
    """The EventStream subscriber: events in, parcels queued, failures collected."""

    def __init__(self, hooks: list[tuple[Webhook, Courier]], run: Mapping[str, str],
                 publish: Callable[..., Event], warn: Callable[[str], None],
                 redactor: Redactor) -> None:
        self.hooks, self.run = hooks, dict(run)
        self._publish, self._warn, self._redactor = publish, warn, redactor
        self._warned: set[str] = set()
        self._inside = False  # journaling a failure publishes: not notified again
        self._closed = False

    def __call__(self, event: Event) -> None:
        if self._inside or self._closed:
            return
        self._inside = True
        try:
            self._collect()
            self._dispatch(event)
        finally:
            self._inside = False
        if event.type in (ev.RUN_FINISHED, ev.RUN_INTERRUPTED):
            self.close()

    def _dispatch(self, event: Event) -> None:
        if event.type == ev.MESSAGE and event.data.get("post"):
            self._post(event)
        found = describe(event)
        if found is None:
            return
        kind, text = found
        for hook, courier in self.hooks:
            if kind in hook.on:
                courier.send(Parcel(self.payload(hook, kind, text, event), kind))

    def _post(self, event: Event) -> None:
        name = str(event.data["post"])
        for hook, courier in self.hooks:
            if hook.name == name:
                courier.send(Parcel(self.payload(hook, POST, str(event.data.get("text", "")),
                                                 event), POST))
                return
        self._failed(Failure(name, POST, f"no webhook named {name} (notify:)", 0))

    def payload(self, hook: Webhook, kind: str, text: str, event: Event) -> bytes:
        """The body for `hook`, every string masked with the run's Redactor."""
        mask = self._redactor.mask
        run, link = self.run, self.run["link"]
        if hook.format == "slack":
            # masked before escaping too: an escaped secret would no longer match its mask
            head = f"*{_slack_escape(mask(run['title']))}* · <{link}|{run['run_id']}>"
            body: dict[str, Any] = {"text": mask(f"{head}\n{_slack_escape(mask(text))}")}
        else:
            body = {"run_id": run["run_id"], "runbook": run["runbook"], "title": run["title"],
                    "event": kind, "step": event.step, "text": text, "link": link,
                    "ts": event.ts, "seq": event.seq}
            body = {k: mask(v) if isinstance(v, str) else v for k, v in body.items()}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _collect(self) -> None:
        for _hook, courier in self.hooks:
            for failure in courier.failures():
                self._failed(failure)

    def _failed(self, failure: Failure, undelivered: bool = False) -> None:
        url = next((c.shown for h, c in self.hooks if h.name == failure.webhook), "")
        error = self._redactor.mask(failure.error)
        if failure.webhook not in self._warned:  # once per webhook; each one is journaled
            self._warned.add(failure.webhook)
            self._warn(f"notification to {failure.webhook} ({url}) failed: {error} — the run "
                       "goes on; further failures of it are only journaled")
        self._publish(ev.NOTIFY_FAILED, None, webhook=failure.webhook, url=url,
                      event=failure.event, error=error, attempts=failure.attempts,
                      undelivered=undelivered)

    def close(self) -> None:
        """Wait at most END_WAIT for queued notifications; journal what was not delivered."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + END_WAIT
        left = [(courier, courier.close(max(deadline - time.monotonic(), 0.0)))
                for _hook, courier in self.hooks]
        self._inside = True
        try:
            self._collect()
            for courier, parcels in left:
                for parcel in parcels:
                    self._failed(Failure(courier.name, parcel.event,
                                         f"not delivered within {END_WAIT:g}s of the run's end",
                                         0), undelivered=True)
        finally:
            self._inside = False


def attach(events: EventStream, warn: Callable[[str], None], webhooks: tuple[Webhook, ...],
           secrets: Mapping[str, str], run: Mapping[str, str]) -> Notifier | None:
    """Subscribe a Notifier for `webhooks` (None: there are none). A webhook whose URL
    cannot be resolved is said, and left out: it never stops the run."""
    hooks: list[tuple[Webhook, Courier]] = []
    for hook in webhooks:
        try:
            url = resolve_url(hook, secrets)
        except ValueError as exc:
            warn(f"notify {hook.name}: {exc}; it is not notified")
            continue
        events.redactor.add(url, f"notify {hook.name}")  # masked wherever it might show
        hooks.append((hook, Courier(hook.name, url)))
    if not hooks:
        return None
    notifier = Notifier(hooks, run, events.publish, warn, events.redactor)
    events.subscribe(notifier, name="notifications")
    return notifier
