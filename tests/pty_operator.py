"""A stand-in for the operator's terminal in unit tests: a real pty whose master
the test types into and reads the screen from (executors/pty_session.py, the shell
from a prompt)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

DEADLINE = 20.0


class Operator:
    """The operator's terminal: a pty whose master the test reads and types into."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.seen = b""
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.seen += data
                self.lock.notify_all()

    def wait_for(self, text: bytes) -> None:
        deadline = time.monotonic() + DEADLINE
        with self.lock:
            while text not in self.seen:
                left = deadline - time.monotonic()
                assert left > 0, f"{text!r} never shown; screen: {self.seen!r}"
                self.lock.wait(left)

    def type_after(self, steps: list[tuple[bytes, bytes]]) -> threading.Thread:
        def run() -> None:
            for prompt, keys in steps:
                self.wait_for(prompt)
                os.write(self.master, keys)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        os.close(self.slave)
        os.close(self.master)


@pytest.fixture
def operator() -> Iterator[Operator]:
    op = Operator()
    yield op
    op.close()
