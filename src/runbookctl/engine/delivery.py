"""Webhook delivery in the background: one worker thread and one bounded queue per
webhook, POSTs with a per-attempt timeout, retries with exponential backoff.

Why threads and stdlib urllib: a notification must never stop or slow a run, so the
engine only queues (never blocks: a full queue drops, and says so); a dead receiver
(a closed port, or one that accepts and never answers) costs its own worker's time,
never the run's, nor another webhook's. Nothing here touches the journal or the
terminal (neither is thread-safe): failures are handed back through `failures()`,
which the engine's thread collects (engine/notify.py). At the run's end `close`
waits a short bounded time for what is queued, and returns what was not delivered.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

# Per attempt, seconds; attempts per notification; first backoff (doubled each retry).
TIMEOUT = 5.0
ATTEMPTS = 4
BACKOFF = 0.5
QUEUE_SIZE = 100


def shown_url(url: str) -> str:
    """What may be shown of a webhook URL: its scheme and host, never its path (the secret)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…" if parts.scheme else "…"


@dataclass(frozen=True)
class Parcel:
    """One notification for one webhook: its body (masked JSON) and what it is about."""

    body: bytes
    event: str  # run_started, step_failed, …, post


@dataclass(frozen=True)
class Failure:
    webhook: str
    event: str
    error: str
    attempts: int


class Courier:
    """Delivers parcels to one URL, in order, on its own daemon thread."""

    def __init__(self, name: str, url: str, *, timeout: float = TIMEOUT,
                 attempts: int = ATTEMPTS, backoff: float = BACKOFF,
                 size: int = QUEUE_SIZE) -> None:
        self.name, self._url = name, url
        self.shown = shown_url(url)  # all of the URL that may be shown: it is a secret
        self._timeout, self._attempts, self._backoff = timeout, attempts, backoff
        self._queue: queue.Queue[Parcel | None] = queue.Queue(maxsize=size)
        self._failures: queue.SimpleQueue[Failure] = queue.SimpleQueue()
        self._closing = threading.Event()
        self._busy: Parcel | None = None
        self.delivered = 0
        self._thread = threading.Thread(target=self._work, name=f"notify {name}", daemon=True)
        self._thread.start()

    def send(self, parcel: Parcel) -> None:
        """Queue it; never blocks (a full queue: the parcel is dropped, a failure said)."""
        try:
            self._queue.put_nowait(parcel)
        except queue.Full:
            self._failures.put(Failure(self.name, parcel.event, "queue full: dropped", 0))

    def failures(self) -> list[Failure]:
        out = []
        while True:
            try:
                out.append(self._failures.get_nowait())
            except queue.Empty:
                return out

    def close(self, wait: float) -> list[Parcel]:
        """Let the queue drain for at most `wait` seconds; the parcels left undelivered
        (queued, or being sent) — the worker is a daemon, abandoned if still stuck."""
        deadline = time.monotonic() + wait
        with contextlib.suppress(queue.Full):  # after what is queued: the worker's end
            self._queue.put(None, timeout=wait)
        self._thread.join(max(deadline - time.monotonic(), 0.0))
        self._closing.set()  # cut any backoff short: nothing more is retried
        left = [self._busy] if self._thread.is_alive() and self._busy is not None else []
        while True:
            try:
                parcel = self._queue.get_nowait()
            except queue.Empty:
                return left
            if parcel is not None:
                left.append(parcel)

    def _work(self) -> None:
        while True:
            parcel = self._queue.get()
            if parcel is None or self._closing.is_set():
                return
            self._busy = parcel
            self._deliver(parcel)
            self._busy = None

    def _deliver(self, parcel: Parcel) -> None:
        error = ""
        for attempt in range(1, self._attempts + 1):
            error = self._post(parcel.body)
            if not error:
                self.delivered += 1
                return
            if attempt == self._attempts or self._closing.wait(self._backoff * 2 ** (attempt - 1)):
                break
        self._failures.put(Failure(self.name, parcel.event, error, attempt))

    def _post(self, body: bytes) -> str:
        """'' delivered; else why not (never the URL: it is a secret)."""
        request = urllib.request.Request(self._url, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": "runbookctl"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read(65536)
            return ""
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code} {exc.reason}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                return f"no answer within {time.monotonic() - started:.1f}s"
            return str(getattr(reason, "strerror", None) or reason)
