"""The run's event stream: every event the engine publishes goes to the journal first,
then to each subscriber (the terminal view; later a live web view, a notifier, a
shared store).

Invariants:
- The journal is not a subscriber but the stream's first, synchronous step: an event
  is masked and appended (fsynced before the next action, record/events.py
  DEFERRED_SYNC) before anyone else sees it, so nothing can be shown or sent that the
  record does not hold, and a subscriber can never delay or lose a journal line.
- Subscribers get the Event as journaled (masked), in journal order, on the engine's
  thread. One that needs time (a network notifier) queues the event and returns.
- A subscriber's failure: a `critical` one (the terminal view: the operator must see
  the run) propagates like any failure to show output (a closed pipe stops the run,
  resumable); any other is unsubscribed at its first exception and named once on the
  display, and the run goes on: a broken web view must not break an incident's run.
- Another thread (the store's shipper) never writes the journal: it `post`s an event,
  which the engine's thread journals and publishes right after its next event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runbookctl.durations import format_elapsed
from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.engine.display import Display
    from runbookctl.record.events import Recorder
    from runbookctl.record.journal import Event
    from runbookctl.safety.masking import Redactor

Subscriber = Callable[["Event"], None]


@dataclass(frozen=True)
class _Subscription:
    callback: Subscriber
    name: str
    critical: bool


class EventStream:
    """Publishes run events: the journal (Recorder) first, then the subscribers."""

    def __init__(self, recorder: Recorder, warn: Callable[[str], None] | None = None) -> None:
        self.recorder = recorder
        self._warn = warn
        self._subs: tuple[_Subscription, ...] = ()
        # (type, step, data) posted by other threads; deque append/popleft are atomic
        self._posted: deque[tuple[str, str | None, dict[str, Any]]] = deque()

    @property
    def redactor(self) -> Redactor:
        return self.recorder.redactor

    def subscribe(self, callback: Subscriber, *, name: str | None = None,
                  critical: bool = False) -> Callable[[], None]:
        """Send every later event to `callback`; returns the call that unsubscribes it.

        `critical`: its exceptions propagate (see the module docstring)."""
        sub = _Subscription(callback, name or str(getattr(callback, "__qualname__", callback)),
                            critical)
        self._subs = (*self._subs, sub)
        return lambda: self._drop(sub)

    def publish(self, type_: str, step: str | None = None, actor: str = ev.SYSTEM, *,
                defer_sync: bool = False, guard: Callable[[], None] | None = None,
                **data: Any) -> Event:
        """Journal one event, then hand it to each subscriber; returns it as journaled.
        `guard`: a check under the journal's append lock; if it raises, nothing is written."""
        checked: dict[str, Any] = {} if guard is None else {"guard": guard}
        event = self.recorder.event(type_, step, actor, defer_sync=defer_sync, **checked, **data)
        for sub in self._subs:
            if sub.critical:
                sub.callback(event)
                continue
            try:
                sub.callback(event)
            except Exception as exc:
                self._drop(sub)
                if self._warn is not None:
                    self._warn(f"{sub.name} stopped receiving run events: "
                               f"{type(exc).__name__}: {exc}")
        while self._posted:
            type_, step, posted = self._posted.popleft()
            self.publish(type_, step, **posted)
        return event

    def post(self, type_: str, step: str | None = None, **data: Any) -> None:
        """From any thread: journal and publish this event after the engine's next one
        (the journal has one writer thread; a lower layer's thread only posts)."""
        self._posted.append((type_, step, data))

    def take_posted(self) -> list[dict[str, Any]]:
        """The data of posted events no later event carried into the journal (the run has
        ended: they are shown, not journaled after the ending); they are dropped."""
        taken = []
        while self._posted:
            taken.append(self._posted.popleft()[2])
        return taken

    def _drop(self, sub: _Subscription) -> None:
        self._subs = tuple(s for s in self._subs if s is not sub)


def step_view(display: Display) -> Subscriber:
    """The terminal's subscriber: each step's start, a step skipped by its `when:`
    with why, a jump with the rule that made it, a command's start and end (its
    live elapsed time), and a reminder that fell due. (A step's end is shown by its
    runner: it says more than the record holds, e.g. where an answer came from.)"""

    def show(event: Event) -> None:
        data = event.data
        if event.type == ev.REMINDER:  # between steps: nothing of a step's is on screen
            elapsed = format_elapsed(float(data.get("elapsed", 0)))
            display.warn(f"reminder: {data.get('message', '')} ({elapsed} into the run)")
        elif event.type in (ev.STORE_UNREACHABLE, ev.STORE_REFUSED):
            display.warn(str(data.get("reason", "")))
        if event.type in (ev.STEP_STARTED, ev.STEP_SKIPPED):
            display.step(event.step or "", str(data.get("title", "")), str(data.get("action", "")))
            if event.type == ev.STEP_SKIPPED:
                display.skip(str(data.get("reason", "")))
        elif event.type == ev.JUMP:
            display.jump(str(data.get("to", "")), str(data.get("why", "")))
        elif event.type == ev.COMMAND_STARTED:
            display.running()
        elif event.type == ev.COMMAND_FINISHED:
            display.hold()

    return show
