"""engine/delivery.py: a Courier posts each parcel to its webhook on its own thread,
retries with backoff, never blocks the sender, and at close gives back what was not
delivered in time."""

from __future__ import annotations

import time

from runbookctl.engine.delivery import Courier, Parcel, shown_url
from tests.receiver import Receiver


def test_parcels_arrive_in_order_with_a_json_content_type(receiver: Receiver) -> None:
    courier = Courier("team", receiver.url("/t"))
    for n in range(3):
        courier.send(Parcel(b'{"n": %d}' % n, "reminder"))
    assert courier.close(10.0) == []
    assert [r.json["n"] for r in receiver.at("/t")] == [0, 1, 2]
    assert receiver.at("/t")[0].headers["Content-Type"] == "application/json"
    assert courier.failures() == [] and courier.delivered == 3


def test_a_refused_connection_is_retried_with_backoff_then_reported(closed_port: int) -> None:
    courier = Courier("team", f"http://127.0.0.1:{closed_port}/x", attempts=3, backoff=0.05)
    started = time.monotonic()
    courier.send(Parcel(b"{}", "run_started"))
    assert courier.close(5.0) == []
    took = time.monotonic() - started
    [failure] = courier.failures()
    assert (failure.webhook, failure.event, failure.attempts) == ("team", "run_started", 3)
    assert "refused" in failure.error.lower()
    assert 0.05 + 0.1 <= took < 3.0  # two backoffs, 0.05 s then 0.1 s


def test_a_receiver_that_never_answers_times_out_per_attempt(silent_port: int) -> None:
    courier = Courier("team", f"http://127.0.0.1:{silent_port}/x", timeout=0.3, attempts=2,
                      backoff=0.01)
    courier.send(Parcel(b"{}", "step_failed"))
    assert courier.close(5.0) == []
    [failure] = courier.failures()
    assert failure.error.startswith("no answer within 0.")


def test_sending_never_blocks_and_close_is_bounded_returning_what_is_left(
        silent_port: int) -> None:
    courier = Courier("team", f"http://127.0.0.1:{silent_port}/x", timeout=30.0, size=2)
    started = time.monotonic()
    for n in range(5):
        courier.send(Parcel(b"{}", f"e{n}"))
    assert time.monotonic() - started < 0.5
    left = courier.close(0.3)
    assert time.monotonic() - started < 2.0
    dropped = courier.failures()
    assert {f.error for f in dropped} == {"queue full: dropped"}
    # nothing lost silently: each parcel is left (in flight or queued) or said dropped
    assert sorted([p.event for p in left] + [f.event for f in dropped]) == [
        "e0", "e1", "e2", "e3", "e4"]
    assert left[0].event == "e0" and len(left) <= 3


def test_only_the_scheme_and_host_of_a_url_may_be_shown() -> None:
    assert shown_url("https://hooks.slack.com/services/T0/B0/XyZ") == "https://hooks.slack.com/…"
    assert shown_url("not a url") == "…"
