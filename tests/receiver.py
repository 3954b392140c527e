"""Local HTTP receivers for webhook tests (#17.4): one that records every request and
answers 200, and one that accepts connections and never answers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.services import _QuietHandler, _Server
from tests.waiting import wait_for


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records each POST (path, headers, body); `url(path)` is where to send."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait(self, path: str, count: int, deadline: float = 30.0) -> list[Received]:
        return wait_for(f"{count} requests to {path}",
                        lambda: (lambda got: got if len(got) >= count else None)(self.at(path)),
                        deadline)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(_QuietHandler):
        def do_POST(self) -> None:
            got = Received(self.path, dict(self.headers.items()), self.read_body())
            with receiver.lock:
                receiver.requests.append(got)
            self.send_text(200, "ok", "text/plain")

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    server = _Server(_handler(rec))
    rec.port = server.port
    try:
        yield rec
    finally:
        server.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (nor closes them)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
