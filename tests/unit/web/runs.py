"""Runs written with the real Journal, for the web tests: a state dir's runs folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runbookctl.record.journal import Journal

RUN = "20261201T120000Z-db-0001"
XSS = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>\x1b]8;;javascript:alert(3)\x1b\\x\x1b[2J"


def started(run_id: str = RUN, title: str = "DB overload") -> tuple[str, None, str, dict[str, Any]]:
    return ("run_started", None, "alice", {"run_id": run_id, "runbook": "db", "title": title,
                                           "path": "/rb.yaml", "sha256": "0" * 64})


def step(key: str, title: str = "Check") -> tuple[str, str, str, dict[str, Any]]:
    return ("step_started", key, "runbookctl", {"title": title, "action": "run"})


def command(key: str, run_dir: Path, log: str = "0001-check.log") -> tuple[str, str, str, dict[str, Any]]:
    return ("command_started", key, "runbookctl", {"command": "echo hi", "hosts": [], "attempt": 1,
                                                   "timeout": 60.0, "log": str(run_dir / "logs" / log)})


def finished_command(key: str, run_dir: Path, log: str = "0001-check.log",
                     tail: str = "hi\n") -> tuple[str, str, str, dict[str, Any]]:
    host = {"host": "local", "exit_code": 0, "duration": 0.1, "bytes": 3, "sha256": "0" * 64,
            "tail": tail, "timed_out": False, "interrupted": False, "error": None,
            "log": str(run_dir / "logs" / log), "host_key_accepted": None}
    return ("command_finished", key, "runbookctl", {"attempt": 1, "ok": True, "reason": "ok",
                                                    "hosts": [host]})


def step_done(key: str) -> tuple[str, str, str, dict[str, Any]]:
    return ("step_finished", key, "runbookctl", {"status": "ok", "reason": "ok", "duration": 0.1,
                                                 "flow": {"kind": "next", "target": None, "reason": ""}})


def ended(status: str = "completed") -> tuple[str, None, str, dict[str, Any]]:
    return ("run_finished", None, "runbookctl", {"status": status, "reason": "all steps done"})


def note(text: str, by: str = "bob") -> tuple[str, None, str, dict[str, Any]]:
    return ("note", None, by, {"text": text, "origin": "command"})


def write_run(root: Path, *events: tuple[str, str | None, str, dict[str, Any]],
              run_id: str = RUN) -> Path:
    """A run folder under `root` whose journal holds `events` (run_started first if missing)."""
    run_dir = root / run_id
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    first = [] if events and events[0][0] == "run_started" else [started(run_id)]
    append(run_dir, *first, *events)
    return run_dir


def append(run_dir: Path, *events: tuple[str, str | None, str, dict[str, Any]]) -> None:
    path = run_dir / "journal.jsonl"
    journal = Journal.open_append(path) if path.exists() else Journal.create(path)
    with journal:
        for type_, key, actor, data in events:
            journal.append(type_, key, actor, data)
