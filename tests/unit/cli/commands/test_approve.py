"""`runbookctl approve` / `reject`: the run found by its id, the approver's name
(`--as`, else the operator name), the decision journaled masked, and what it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runbookctl.cli.commands import approve, history, note
from runbookctl.errors import UsageError
from runbookctl.record import events as ev
from runbookctl.record.journal import Journal, read_journal
from runbookctl.runbook.config import Config
from runbookctl.safety.masking import Redactor


class Said:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def ok(self, text: str) -> None:
        self.lines.append(text)

    def info(self, text: str) -> None:
        self.lines.append(text)


class Session:
    config = Config(operator="bob")


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A run by alice waiting at `drop`; the report is not rewritten here."""
    with Journal.create(tmp_path / "journal.jsonl") as journal:
        journal.append(ev.RUN_STARTED, None, "alice", {"run_id": "r-1", "runbook": "rb"})
        journal.append(ev.STEP_STARTED, "drop", "runbookctl", {"title": "Drop", "action": "run"})
        journal.append(ev.APPROVAL_REQUESTED, "drop", "runbookctl", {"operator": "alice"})
    found: list[str] = []

    def find(_session: Any, run_id: str) -> Path:
        found.append(run_id)
        if run_id != "r-1":
            raise UsageError(f"no run '{run_id}' in /state/runs (runbookctl runs lists them)")
        return tmp_path

    monkeypatch.setattr(history, "find_run", find)
    monkeypatch.setattr(note, "run_redactor", lambda _s, _state: Redactor(["hunter2"]))
    monkeypatch.setattr(note, "rewrite_report", lambda *_a: None)
    return tmp_path


def test_approve_as_the_operator_name_of_this_terminal(run_dir: Path) -> None:
    said = Said()
    assert approve.decide_command(Session(), said, "r-1", "drop", "approve",  # type: ignore[arg-type]
                                  None, None) == 0
    event = read_journal(run_dir / "journal.jsonl").events[-1]
    assert (event.type, event.actor, event.data["via"]) == (ev.APPROVAL_DECIDED, "bob", "cli")
    assert said.lines[0].startswith("approved step drop of r-1 as bob at ")


def test_reject_with_a_reason_masked(run_dir: Path) -> None:
    said = Said()
    approve.decide_command(Session(), said, "r-1", "drop", "reject",  # type: ignore[arg-type]
                           "carol", "the password hunter2 is in the command")
    event = read_journal(run_dir / "journal.jsonl").events[-1]
    assert event.actor == "carol" and "hunter2" not in str(event.data["reason"])
    assert said.lines[0].startswith("rejected step drop of r-1 as carol")


@pytest.mark.parametrize(("run_id", "step", "by", "why"), [
    ("r-9", "drop", "bob", r"no run 'r-9' in /state/runs"),
    ("r-1", "drop", "alice", r"^the approver must not be the run's operator \(alice\)"),
    ("r-1", "other", "bob", r"step other is not waiting for approval \(waiting now: drop\)"),
    ("r-1", "drop", "bob\x1b[2J", r"--as: .* contains a control character"),
])
def test_each_refusal_is_a_usage_error_and_writes_nothing(
        run_dir: Path, run_id: str, step: str, by: str, why: str) -> None:
    with pytest.raises(UsageError, match=why) as raised:
        approve.decide_command(Session(), Said(), run_id, step, "approve",  # type: ignore[arg-type]
                               by, None)
    assert raised.value.exit_code == 2
    assert len(read_journal(run_dir / "journal.jsonl").events) == 3
