"""A real `runbookctl serve` in a subprocess, and a real run beside it, for the war-room
tests: every wait is for the thing itself (a line printed, an event), with a deadline."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import cli_env, write

SERVING = re.compile(rb"at (http://[^/\s]+)/ \(")
TOKEN = re.compile(rb"token \(shown once; approvals need it\): (\S+)")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    token: str | None
    printed: bytes = b""

    def stop(self) -> int:
        """Ctrl-C, as a person would; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
            raise AssertionError("serve did not stop within 15 s of Ctrl-C") from None


def start_server(state: Path, cwd: Path, *args: str, **env: str) -> Server:
    proc = subprocess.Popen([sys.executable, "-m", "runbookctl", "serve", "--port", "0", *args],
                            cwd=cwd, env=cli_env(state, **env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    last = b"/ (" if "--token" in args else b"open: http"
    try:
        seen = read_all_until(proc.stdout, last)
    except AssertionError:
        proc.kill()
        raise
    url = SERVING.search(seen)
    token = TOKEN.search(seen)
    assert url is not None, seen
    return Server(proc, url.group(1).decode(), token.group(1).decode() if token else None, seen)


def read_all_until(stream: Any, needle: bytes, deadline: float = 30.0) -> bytes:
    """Everything a pipe gave up to the line holding `needle`; fails after `deadline`."""
    import os
    import select

    end = time.monotonic() + deadline
    seen = b""
    while needle not in seen or not seen.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"gave up waiting for {needle!r} after {deadline:g}s: {seen!r}")
        if select.select([stream], [], [], left)[0]:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"the output ended before {needle!r}: {seen!r}")
            seen += chunk
    return seen


@dataclass
class SSE:
    """Server-sent events read off a streaming httpx response, each with when it came."""

    lines: Iterator[str]
    messages: list[dict[str, Any]] = field(default_factory=list)

    def next(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for line in self.lines:
            if line == "":
                if "data" in fields:
                    fields["at"] = time.time()
                    if "event" not in fields or fields["event"] in ("output", "end"):
                        fields["json"] = json.loads(fields["data"])
                    self.messages.append(fields)
                    return fields
                continue
            if line.startswith(":"):
                continue  # a keep-alive comment
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        raise AssertionError("the event stream ended")

    def until(self, predicate: Any, limit: int = 500) -> dict[str, Any]:
        for _ in range(limit):
            message = self.next()
            if predicate(message):
                return message
        raise AssertionError("no such message in the stream")


GATED = """\
id: gated
title: Gated steps
steps:
  - id: one
    title: Step one
    run: echo "one says hi"
  - id: two
    title: Step two
    run: |
      echo "two is waiting"
      i=0; while [ ! -e {gate}/go-two ] && [ $i -lt 6000 ]; do sleep 0.05; i=$((i+1)); done
      echo "two was let go"
  - id: three
    title: Step three
    run: |
      i=0; while [ ! -e {gate}/go-three ] && [ $i -lt 6000 ]; do sleep 0.05; i=$((i+1)); done
      echo "three done"
"""
# (The loops give up after 5 minutes: a test that fails before opening its gates
# leaves no command waiting for ever once its runbookctl is killed.)


def gated_runbook(folder: Path) -> Path:
    """A runbook whose steps two and three wait for files the test creates."""
    gate = folder / "gates"
    gate.mkdir(exist_ok=True)
    return write(folder / "gated.yaml", GATED.replace("{gate}", str(gate)))


def release_gates(folder: Path) -> None:
    """Let every gated step go: a test's commands end with it, even when it failed."""
    for name in ("go-two", "go-three"):
        (folder / "gates" / name).touch()


def start_run(state: Path, cwd: Path, runbook: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "runbookctl", "run", str(runbook), "--yes", *args],
                            cwd=cwd, env=cli_env(state, **env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
