"""The engine's clock, faked: retries and polls wait on it without sleeping, and
reminders fall due by it."""

from __future__ import annotations

import pytest

from runbookctl.engine import command_step, reminders, waits


class FakeClock:
    """time.monotonic and time.sleep for the engine: sleeping moves the clock at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:  # the wall clock reminders count on: the same fake time
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(command_step, "time", fake)
    monkeypatch.setattr(reminders, "time", fake)
    monkeypatch.setattr(waits, "time", fake)
    return fake
