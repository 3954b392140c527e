"""outcomes.py: the typed vocabulary of a run's outcomes, and the one place a
decision's text becomes a Decision."""

from __future__ import annotations

import json

import pytest

from runbookctl.outcomes import (
    NEXT,
    Decision,
    DecisionKind,
    Flow,
    FlowKind,
    RunStatus,
    SkipKind,
    StepStatus,
    is_failure,
)


@pytest.mark.parametrize("text", ["retry", "retry-failed-hosts", "skip", "abort", "continue",
                                  "fail", "goto:db-down", "goto:a/b"])
def test_a_decision_reads_back_from_its_own_text(text: str) -> None:
    decision = Decision.parse(text)
    assert str(decision) == text
    assert Decision.parse(str(decision)) == decision


def test_a_goto_decision_names_its_step() -> None:
    decision = Decision.parse("goto:db-down")
    assert decision.kind is DecisionKind.GOTO and decision.target == "db-down"
    assert decision == Decision.goto("db-down")
    assert decision.label == "go to step db-down"


@pytest.mark.parametrize("text", ["goto", "goto:", "rerun", "", "Retry", "wait"])
def test_text_that_names_no_decision_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Decision.parse(text)


def test_labels_of_choices() -> None:
    assert Decision.parse("retry-failed-hosts").label == "retry the failed hosts only"
    assert Decision.parse("abort").label == "abort"


def test_statuses_are_journaled_as_the_same_strings() -> None:
    """StrEnums: a journal written with them is byte-identical to one written with strings."""
    data = {"status": StepStatus.DRY_RUN, "run": RunStatus.COMPLETED, "skip": SkipKind.WHEN,
            "flow": Flow(FlowKind.GOTO, "x", "why").record()}
    assert json.dumps(data, sort_keys=True) == json.dumps(
        {"status": "dry-run", "run": "completed", "skip": "when",
         "flow": {"kind": "goto", "target": "x", "reason": "why"}}, sort_keys=True)
    assert StepStatus("failed") == "failed" and StepStatus.OK == "ok"


def test_a_journaled_flow_reads_back() -> None:
    flow = Flow(FlowKind.ABORT, None, "'no' at kill")
    assert Flow.from_record(flow.record()) == flow
    assert flow.stops and Flow(FlowKind.FAIL).stops
    assert not any(Flow(k).stops for k in (FlowKind.NEXT, FlowKind.GOTO, FlowKind.END))


@pytest.mark.parametrize("data", [None, "next", [], {"kind": "sideways"}, {}])
def test_an_unreadable_flow_is_next(data: object) -> None:
    assert Flow.from_record(data).kind is FlowKind.NEXT
    assert Flow.from_record(None) == NEXT


def test_skips_by_condition_are_when_and_dry_run_only() -> None:
    assert {k for k in SkipKind if k.by_condition} == {SkipKind.WHEN, SkipKind.DRY_RUN}


@pytest.mark.parametrize(("status", "skip", "reason", "failed"), [
    ("failed", None, "exit code 1", True),
    ("skipped", "after-failure", "skipped after failure: exit code 1", True),
    ("skipped", None, "skipped after failure: exit code 1", True),  # a journal from before `skip`
    ("skipped", "answered-no", "answered no: skipped", False),
    ("skipped", "by-person", "skipped: not today", False),
    ("skipped", "when", "when: false", False),
    ("skipped", None, "when: false", False),
    ("ok", None, "", False),
])
def test_a_step_skipped_after_it_failed_is_a_failure(status: str, skip: str | None, reason: str,
                                                     failed: bool) -> None:
    assert is_failure(status, skip, reason) is failed
