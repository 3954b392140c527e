"""The two-person rule's record: which step waits, and `decide` journaling a second
person's decision from another process, refused when it must be (docs/record.md)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.record import events as ev
from runbookctl.record.approvals import (
    check_decision,
    current_request,
    decide,
    open_request,
    open_requests,
    operators,
)
from runbookctl.record.chain import verify_journal
from runbookctl.record.journal import Journal, read_journal
from runbookctl.record.replay import replay
from runbookctl.safety.masking import Redactor


def _run(tmp_path: Path, *later: tuple[str, str | None, str]) -> Path:
    """A run by alice whose step `drop` waits for approval, then `later` events."""
    with Journal.create(tmp_path / "journal.jsonl") as journal:
        journal.append(ev.RUN_STARTED, None, "alice", {"run_id": "r1", "runbook": "rb"})
        journal.append(ev.STEP_STARTED, "drop", "runbookctl", {"title": "Drop", "action": "run"})
        journal.append(ev.APPROVAL_REQUESTED, "drop", "runbookctl", {"operator": "alice"})
        for type_, step, actor in later:
            journal.append(type_, step, actor, {})
    return tmp_path


def _types(run_dir: Path) -> list[str]:
    return [e.type for e in read_journal(run_dir / "journal.jsonl").events]


def test_an_approval_is_journaled_with_who_how_and_chains_onto_the_runs_journal(
        tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    event = decide(run_dir, "drop", "approve", "bob", None, "cli")
    assert (event.type, event.step, event.actor, event.seq) == (ev.APPROVAL_DECIDED, "drop", "bob", 4)
    assert event.data == {"decision": "approve", "by": "bob", "reason": None, "via": "cli"}
    assert verify_journal(run_dir / "journal.jsonl") == []
    row = replay(read_journal(run_dir / "journal.jsonl").events).approvals[0]
    assert (row["step"], row["decision"], row["by"], row["via"]) == ("drop", "approved", "bob", "cli")


def test_the_runs_operator_cannot_approve_their_own_step(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    with pytest.raises(UsageError, match=r"^the approver must not be the run's operator \(alice\)"):
        decide(run_dir, "drop", "approve", "alice", None, "web")
    assert _types(run_dir)[-1] == ev.APPROVAL_REQUESTED  # nothing written


def test_whoever_resumed_the_run_cannot_approve_it_either(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, (ev.RUN_RESUMED, None, "carol"))
    with pytest.raises(UsageError, match=r"operator \(carol\)"):
        decide(run_dir, "drop", "approve", "carol", None, "cli")


def test_a_second_decision_is_refused_naming_the_first(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    decide(run_dir, "drop", "reject", "bob", "not during peak", "api")
    with pytest.raises(UsageError, match=r"step drop was already decided: rejected by bob at "):
        decide(run_dir, "drop", "approve", "dave", None, "cli")
    assert _types(run_dir).count(ev.APPROVAL_DECIDED) == 1


def test_a_step_not_waiting_is_refused_naming_the_steps_that_are(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    with pytest.raises(UsageError, match=r"step restart is not waiting for approval \(waiting now: drop\)"):
        decide(run_dir, "restart", "approve", "bob", None, "cli")


def test_a_timed_out_request_can_no_longer_be_decided(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, (ev.APPROVAL_TIMED_OUT, "drop", "runbookctl"))
    with pytest.raises(UsageError, match=r"the approval of step drop timed out at .*no longer waiting"):
        decide(run_dir, "drop", "approve", "bob", None, "cli")


def test_a_request_closes_when_the_run_ends_but_not_when_it_is_killed(tmp_path: Path) -> None:
    killed = _run(tmp_path / "a", (ev.STEP_INTERRUPTED, "drop", "runbookctl"),
                  (ev.RUN_INTERRUPTED, None, "runbookctl"))
    ended = _run(tmp_path / "b", (ev.RUN_FINISHED, None, "runbookctl"))
    assert open_request(read_journal(killed / "journal.jsonl").events, "drop") is not None
    assert open_requests(read_journal(ended / "journal.jsonl").events) == {}


def test_a_rejection_needs_a_reason_and_names_stay_one_line(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    with pytest.raises(UsageError, match="a rejection needs a reason"):
        decide(run_dir, "drop", "reject", "bob", "  ", "cli")
    with pytest.raises(UsageError, match="the approver's name contains a control character"):
        decide(run_dir, "drop", "approve", "bob\nforged: line", None, "cli")
    with pytest.raises(UsageError, match="via must be one of cli, web, api, store"):
        decide(run_dir, "drop", "approve", "bob", None, "email")  # type: ignore[arg-type]


def test_an_unknown_run_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no run at"):
        decide(tmp_path / "nope", "drop", "approve", "bob", None, "cli")


def test_the_reason_is_masked_with_the_runs_secrets(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    event = decide(run_dir, "drop", "reject", "bob", "password hunter2 leaked", "cli",
                   redactor=Redactor(["hunter2"]))
    assert "hunter2" not in (run_dir / "journal.jsonl").read_text()
    assert "hunter2" not in str(event.data["reason"])


def test_current_request_sees_a_decision_made_while_the_run_was_down(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, (ev.STEP_INTERRUPTED, "drop", "runbookctl"))
    decide(run_dir, "drop", "approve", "bob", None, "cli")
    request, resolution = current_request(read_journal(run_dir / "journal.jsonl").events, "drop")
    assert request is not None and resolution is not None
    assert resolution.data["by"] == "bob"


def test_a_finished_step_has_no_current_request(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, (ev.STEP_FINISHED, "drop", "runbookctl"))
    assert current_request(read_journal(run_dir / "journal.jsonl").events, "drop") == (None, None)


def _approve(run_dir: Path, by: str) -> str:
    try:
        decide(run_dir, "drop", "approve", by, None, "cli")
    except UsageError as exc:
        return exc.message
    return "ok"


def test_two_approvers_racing_from_two_processes_land_exactly_one_decision(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_approve, [(run_dir, f"p{i}") for i in range(8)])
    assert results.count("ok") == 1
    assert all("already decided" in r for r in results if r != "ok")
    assert _types(run_dir).count(ev.APPROVAL_DECIDED) == 1
    assert verify_journal(run_dir / "journal.jsonl") == []


def test_operators_are_who_started_and_resumed(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, (ev.RUN_RESUMED, None, "carol"), (ev.RUN_RESUMED, None, "alice"))
    events = read_journal(run_dir / "journal.jsonl").events
    assert operators(events) == ["alice", "carol"]
    assert check_decision(events, "drop", "bob").type == ev.APPROVAL_REQUESTED
