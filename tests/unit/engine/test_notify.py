"""engine/notify.py: which events notify, each webhook's payload (Slack or JSON, masked),
`post:` of a message step, URLs resolved from secrets or the environment and never
shown whole, and failures shown once per webhook and journaled."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runbookctl.engine import notify
from runbookctl.engine.delivery import Failure, Parcel
from runbookctl.record import events as ev
from runbookctl.record.journal import Event
from runbookctl.runbook.notify import Webhook
from runbookctl.safety.masking import Redactor

RUN = {"run_id": "r-1", "runbook": "db", "title": "DB <overload> & co", "link": "http://wr/runs/r-1"}


class FakeCourier:
    def __init__(self, name: str, shown: str = "https://hooks.example/…") -> None:
        self.name, self.shown = name, shown
        self.sent: list[Parcel] = []
        self.failed: list[Failure] = []
        self.left: list[Parcel] = []
        self.closed_with: float | None = None

    def send(self, parcel: Parcel) -> None:
        self.sent.append(parcel)

    def failures(self) -> list[Failure]:
        out, self.failed = self.failed, []
        return out

    def close(self, wait: float) -> list[Parcel]:
        self.closed_with = wait
        return self.left


def _event(type_: str, step: str | None = None, actor: str = "runbookctl", **data: Any) -> Event:
    return Event(7, "2026-12-01T10:00:00.000Z", type_, step, actor, dict(data), "h")


class Published:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, type_: str, step: str | None = None, **data: Any) -> Event:
        self.events.append((type_, data))
        return _event(type_, step, **data)


def _notifier(*hooks: Webhook, secret: str = "hunter2-hunter2"
              ) -> tuple[notify.Notifier, list[FakeCourier], Published, list[str]]:
    couriers = [FakeCourier(h.name) for h in hooks]
    published, warned = Published(), []
    notifier = notify.Notifier(list(zip(hooks, couriers, strict=True)), RUN,  # type: ignore[arg-type]
                               published, warned.append, Redactor([secret]))
    return notifier, couriers, published, warned


@pytest.mark.parametrize(("event", "kind", "text"), [
    (_event(ev.RUN_STARTED, None, "ana", title="DB", runbook="db"), "run_started",
     "Run started by ana: DB (db)"),
    (_event(ev.STEP_FINISHED, "kill", status="failed", reason="exit code 1"), "step_failed",
     "Step kill failed: exit code 1"),
    (_event(ev.APPROVAL_REQUESTED, "kill", operator="ana", url="http://wr/runs/r-1"),
     "approval_needed", "Step kill waits for approval by anyone but ana: http://wr/runs/r-1"),
    (_event(ev.REMINDER, None, message="Post an update"), "reminder", "Reminder: Post an update"),
    (_event(ev.RUN_FINISHED, None, status="aborted", reason="'no' at kill"), "run_finished",
     "Run aborted: 'no' at kill"),
    (_event(ev.RUN_INTERRUPTED, None, reason="interrupted by SIGTERM"), "run_finished",
     "Run interrupted (resumable): interrupted by SIGTERM"),
])
def test_the_events_that_notify_and_their_text(event: Event, kind: str, text: str) -> None:
    assert notify.describe(event) == (kind, text)


def test_other_events_do_not_notify() -> None:
    assert notify.describe(_event(ev.STEP_FINISHED, "kill", status="ok", reason="ok")) is None
    assert notify.describe(_event(ev.STEP_STARTED, "kill")) is None


def test_each_webhook_gets_only_its_events_in_its_format_masked() -> None:
    slack = Webhook("channel", "u", "slack", ("run_finished",))
    tools = Webhook("tools", "u", "json")
    notifier, (to_slack, to_tools), _, _ = _notifier(slack, tools)
    notifier(_event(ev.REMINDER, None, message="rotate hunter2-hunter2 soon"))
    notifier(_event(ev.RUN_FINISHED, None, status="completed", reason="all <steps> done"))
    assert [p.event for p in to_slack.sent] == ["run_finished"]
    assert [p.event for p in to_tools.sent] == ["reminder", "run_finished"]
    assert json.loads(to_slack.sent[0].body) == {"text": (
        "*DB &lt;overload&gt; &amp; co* · <http://wr/runs/r-1|r-1>\n"
        "Run completed: all &lt;steps&gt; done")}
    body = json.loads(to_tools.sent[0].body)
    assert body == {"run_id": "r-1", "runbook": "db", "title": "DB <overload> & co",
                    "event": "reminder", "step": None, "text": "Reminder: rotate *** soon",
                    "link": "http://wr/runs/r-1", "ts": "2026-12-01T10:00:00.000Z", "seq": 7}


def test_a_message_step_posts_its_text_to_the_named_webhook_whatever_its_on() -> None:
    notifier, (to_status,), published, warned = _notifier(
        Webhook("status", "u", "json", ("run_finished",)))
    notifier(_event(ev.MESSAGE, "update", text="Mitigated at 10:05", post="status"))
    assert [(p.event, json.loads(p.body)["text"]) for p in to_status.sent] == [
        ("post", "Mitigated at 10:05")]
    notifier(_event(ev.MESSAGE, "update", text="x", post="pager"))
    assert published.events[-1] == (ev.NOTIFY_FAILED, {
        "webhook": "pager", "url": "", "event": "post", "error": "no webhook named pager (notify:)",
        "attempts": 0, "undelivered": False})
    assert warned and "notification to pager" in warned[0]


def test_failures_are_shown_once_per_webhook_and_each_journaled_with_the_url_masked() -> None:
    notifier, (courier,), published, warned = _notifier(Webhook("tools", "u"))
    courier.failed = [Failure("tools", "reminder", "HTTP 500 hunter2-hunter2", 4),
                      Failure("tools", "step_failed", "HTTP 500", 4)]
    notifier(_event(ev.STEP_STARTED, "x"))
    courier.failed = [Failure("tools", "run_finished", "Connection refused", 4)]
    notifier(_event(ev.STEP_STARTED, "y"))
    assert len(warned) == 1 and "https://hooks.example/…" in warned[0] and "***" in warned[0]
    journaled = [d for t, d in published.events if t == ev.NOTIFY_FAILED]
    assert [d["event"] for d in journaled] == ["reminder", "step_failed", "run_finished"]
    assert all(d["url"] == "https://hooks.example/…" for d in journaled)
    assert "hunter2" not in json.dumps(journaled)


def test_the_runs_end_waits_a_bounded_time_and_journals_what_was_not_delivered() -> None:
    notifier, (courier,), published, _ = _notifier(Webhook("tools", "u"))
    courier.left = [Parcel(b"{}", "run_finished")]
    notifier(_event(ev.RUN_FINISHED, None, status="completed", reason="done"))
    assert courier.closed_with is not None and courier.closed_with <= notify.END_WAIT
    [(type_, data)] = published.events
    assert (type_, data["event"], data["undelivered"]) == (ev.NOTIFY_FAILED, "run_finished", True)
    notifier(_event(ev.NOTE, None, text="after the end"))  # closed: nothing more is sent
    assert len(courier.sent) == 1


def test_urls_come_from_secrets_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_PATH", "T0/B0/xyz")
    hook = Webhook("c", "https://hooks.slack.com/services/${HOOK_PATH}")
    assert notify.resolve_url(hook, {}) == "https://hooks.slack.com/services/T0/B0/xyz"
    assert notify.resolve_url(Webhook("c", "{{ secrets.SLACK_URL }}"),
                              {"SLACK_URL": "https://h/s"}) == "https://h/s"
    with pytest.raises(ValueError, match=r"secrets\.OTHER, which the runbook does not declare"):
        notify.resolve_url(Webhook("c", "{{secrets.OTHER}}"), {})
    with pytest.raises(ValueError, match=r"needs \$\{UNSET_HOOK\}, which is not set"):
        notify.resolve_url(Webhook("c", "${UNSET_HOOK}"), {})
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        notify.resolve_url(Webhook("c", "file:///etc/passwd"), {})


def test_attach_leaves_out_a_webhook_it_cannot_resolve_and_masks_the_others_url() -> None:
    from runbookctl.engine.stream import EventStream

    class Recorder:
        redactor = Redactor()

    stream = EventStream(Recorder())  # type: ignore[arg-type]
    warned: list[str] = []
    got = notify.attach(stream, warned.append, (Webhook("bad", "${UNSET_HOOK_2}"),
                                                Webhook("ok", "http://127.0.0.1:9/p4th-s3cret")),
                        {}, RUN)
    assert got is not None and [h.name for h, _c in got.hooks] == ["ok"]
    assert warned == ["notify bad: its url needs ${UNSET_HOOK_2}, which is not set; it is not "
                      "notified"]
    assert "p4th-s3cret" not in stream.redactor.mask("posting to http://127.0.0.1:9/p4th-s3cret")
    got.close()
    assert notify.attach(stream, warned.append, (), {}, RUN) is None


def test_a_secret_with_characters_slack_escapes_is_still_masked() -> None:
    notifier, (courier,), _, _ = _notifier(Webhook("channel", "u", "slack"), secret="pw<x&y>42")
    notifier(_event(ev.REMINDER, None, message="the password is pw<x&y>42"))
    body = courier.sent[0].body.decode()
    assert "pw<x&y>42" not in body and "pw&lt;x&amp;y&gt;42" not in body and "***" in body
