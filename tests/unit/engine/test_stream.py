"""engine/stream.py: every event goes to the journal first, then to subscribers; a
failing subscriber never breaks the run nor the journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.engine.stream import EventStream
from runbookctl.outcomes import RunStatus
from runbookctl.record import events as ev
from runbookctl.record.events import Recorder
from runbookctl.record.journal import Event, Journal, read_journal
from runbookctl.safety.masking import Redactor
from tests.unit.engine.fakes import FakeExecutor, make_engine

THREE = """\
id: three
title: Three
steps:
  - {id: a, run: echo a}
  - {id: b, run: echo b}
  - {id: c, message: done}
"""


def _stream(tmp_path: Path, redactor: Redactor | None = None) -> tuple[EventStream, list[str]]:
    warned: list[str] = []
    recorder = Recorder(Journal.create(tmp_path / "journal.jsonl"), redactor or Redactor())
    return EventStream(recorder, warn=warned.append), warned


def test_a_subscriber_sees_an_event_only_once_it_is_in_the_journal(tmp_path: Path) -> None:
    stream, _ = _stream(tmp_path)
    on_disk: list[list[str]] = []
    stream.subscribe(lambda e: on_disk.append(
        [x.type for x in read_journal(tmp_path / "journal.jsonl").events]))
    stream.publish(ev.STEP_STARTED, "a", title="A", action="run")
    stream.publish(ev.STEP_FINISHED, "a", status="ok", reason="ok")
    assert on_disk == [[ev.STEP_STARTED], [ev.STEP_STARTED, ev.STEP_FINISHED]]


def test_subscribers_get_the_event_as_journaled_masked(tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.add("hunter2-secret", "pw")
    stream, _ = _stream(tmp_path, redactor)
    seen: list[Event] = []
    stream.subscribe(seen.append)
    returned = stream.publish(ev.MESSAGE, "a", text="the password is hunter2-secret")
    assert seen == [returned]
    assert "hunter2-secret" not in seen[0].data["text"]
    assert seen[0].hash == read_journal(tmp_path / "journal.jsonl").events[-1].hash


def test_a_failing_subscriber_is_dropped_named_and_the_others_go_on(tmp_path: Path) -> None:
    stream, warned = _stream(tmp_path)
    calls: list[str] = []

    def broken(event: Event) -> None:
        calls.append(event.type)
        raise ConnectionError("web view gone")

    seen: list[str] = []
    stream.subscribe(broken, name="the live view")
    stream.subscribe(lambda e: seen.append(e.type))
    for step in ("a", "b"):
        stream.publish(ev.STEP_STARTED, step, title=step, action="run")
    assert calls == [ev.STEP_STARTED]  # unsubscribed at its first failure
    assert seen == [ev.STEP_STARTED, ev.STEP_STARTED]
    assert warned == ["the live view stopped receiving run events: "
                      "ConnectionError: web view gone"]
    assert len(read_journal(tmp_path / "journal.jsonl").events) == 2


def test_a_critical_subscriber_failure_propagates_after_the_journal(tmp_path: Path) -> None:
    stream, _ = _stream(tmp_path)

    def terminal(event: Event) -> None:
        raise BrokenPipeError

    stream.subscribe(terminal, critical=True)
    with pytest.raises(BrokenPipeError):
        stream.publish(ev.STEP_STARTED, "a", title="a", action="run")
    assert [e.type for e in read_journal(tmp_path / "journal.jsonl").events] == [ev.STEP_STARTED]


def test_unsubscribe(tmp_path: Path) -> None:
    stream, _ = _stream(tmp_path)
    seen: list[str] = []
    stop = stream.subscribe(lambda e: seen.append(e.step or ""))
    stream.publish(ev.STEP_STARTED, "a", title="a", action="run")
    stop()
    stream.publish(ev.STEP_STARTED, "b", title="b", action="run")
    assert seen == ["a"]


def test_a_run_publishes_every_journal_event_to_subscribers() -> None:
    run = make_engine(THREE)
    seen: list[Event] = []
    run.engine.sv.events.subscribe(seen.append)
    status, reason = run.run()
    run.engine.finish(status, reason)
    assert status == RunStatus.COMPLETED
    assert seen == run.journal.events
    assert seen[-1].type == ev.RUN_FINISHED


def test_a_run_goes_on_when_a_subscriber_breaks() -> None:
    run = make_engine(THREE)

    def notifier(event: Event) -> None:
        if event.type == ev.COMMAND_STARTED:
            raise RuntimeError("webhook 500")

    run.engine.sv.events.subscribe(notifier, name="the notifier")
    assert run.run()[0] == RunStatus.COMPLETED
    assert run.executor.commands == ["echo a", "echo b"]
    assert run.statuses == {"a": "ok", "b": "ok", "c": "ok"}
    assert run.display.said("warn") == [
        "the notifier stopped receiving run events: RuntimeError: webhook 500"]


def test_the_terminal_shows_each_step_start_and_a_when_skip() -> None:
    run = make_engine(THREE.replace("{id: b, run: echo b}", "{id: b, run: echo b, when: 'false'}"))
    run.run()
    assert [(kind, text) for kind, text in run.display.lines if kind in ("step", "skip")] == [
        ("step", "a"), ("step", "b"), ("skip", "when: false is false"), ("step", "c")]


def test_a_closed_terminal_stops_the_run_after_the_step_is_journaled() -> None:
    run = make_engine(THREE, executor=FakeExecutor())

    def closed(key: str, title: str, action: str) -> None:
        raise BrokenPipeError

    run.display.step = closed  # type: ignore[method-assign]
    with pytest.raises(BrokenPipeError):
        run.run()
    assert [e.type for e in run.journal.events] == [ev.STEP_STARTED]
    assert run.executor.commands == []


def test_an_event_posted_from_another_thread_is_journaled_after_the_next_one(tmp_path: Path) -> None:
    import threading

    stream, _ = _stream(tmp_path)
    seen: list[str] = []
    stream.subscribe(lambda e: seen.append(e.type))
    poster = threading.Thread(target=lambda: stream.post(ev.STORE_UNREACHABLE, store="s",
                                                         reason="down"))
    poster.start()
    poster.join()
    assert read_journal(tmp_path / "journal.jsonl").events == []  # that thread wrote nothing
    stream.publish(ev.STEP_STARTED, "a", title="A", action="run")
    assert seen == [ev.STEP_STARTED, ev.STORE_UNREACHABLE]
    events = read_journal(tmp_path / "journal.jsonl").events
    assert [(e.seq, e.type) for e in events] == [(1, ev.STEP_STARTED), (2, ev.STORE_UNREACHABLE)]
    stream.post(ev.STORE_REFUSED, store="s", reason="late")
    assert stream.take_posted() == [{"store": "s", "reason": "late"}]
    assert stream.take_posted() == []
