"""Waiting for the thing itself (a file, a journal event, a process), always with a deadline."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], deadline: float = 30.0,
             alive: Callable[[], bool] | None = None) -> T:
    """Poll `probe` until it returns something truthy; fail after `deadline` seconds,
    or as soon as `alive` says the process we wait on has ended."""
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if alive is not None and not alive():
            value = probe()
            if value:
                return value
            raise AssertionError(f"the process ended before {what}")
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {deadline:g}s")
        time.sleep(0.01)


def read_until(stream: IO[bytes], needle: bytes, deadline: float = 30.0) -> bytes:
    """Read a pipe until `needle` shows up; fail after `deadline` seconds or at end of
    file (the writer died) instead of spinning or blocking forever."""
    import os
    import select

    end = time.monotonic() + deadline
    seen = b""
    while needle not in seen:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"gave up waiting for {needle!r} after {deadline:g}s")
        if select.select([stream], [], [], left)[0]:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"the output ended before {needle!r}")
            seen = seen[-len(needle):] + chunk
    return seen


def events_of(run_dir: Path) -> list[dict[str, Any]]:
    """The complete journal lines so far (a line being written is left out)."""
    try:
        raw = (run_dir / "journal.jsonl").read_text()
    except OSError:
        return []
    out = []
    for line in raw.split("\n")[:-1]:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def wait_event(state: Path, type_: str, step: str | None = None, deadline: float = 30.0,
               alive: Callable[[], bool] | None = None, nth: int = 1) -> dict[str, Any]:
    """The `nth` event of `type_` (for `step`) in the only run under `state`."""

    def probe() -> dict[str, Any] | None:
        runs = sorted((state / "runs").glob("*")) if (state / "runs").is_dir() else []
        hits = [e for r in runs for e in events_of(r)
                if e["type"] == type_ and (step is None or e["step"] == step)]
        return hits[nth - 1] if len(hits) >= nth else None

    return wait_for(f"a {type_} event" + (f" of {step}" if step else ""), probe, deadline, alive)


def group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is in the process group."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in "ZX":
                return True
    return False
