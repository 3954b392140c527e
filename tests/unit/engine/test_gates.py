"""engine/gates.py: the confirm gate and on_no, the failure decision, and what each
decision makes of the step — one home for command steps, human steps and resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.engine import gates
from runbookctl.engine.context import StepContext
from runbookctl.errors import NoAnswerError
from runbookctl.outcomes import (
    CONTINUE,
    FAIL,
    NEXT,
    RETRY,
    Decision,
    Flow,
    FlowKind,
    Outcome,
    SkipKind,
    StepStatus,
)
from runbookctl.record import events as ev
from tests.unit.engine.run_fakes import Harness, ScriptedPrompter, harness, runbook

GATED = """
title: Gated
steps:
  - id: first
    run: echo first
  - id: kill
    run: kill it
    confirm: Kill it?
{extra}
  - id: after
    run: echo after
"""


def _ctx(tmp_path: Path, prompter: ScriptedPrompter, extra: str = "",
         key: str = "kill") -> tuple[Harness, StepContext]:
    h = harness(tmp_path, runbook(GATED.format(extra=extra)), prompter)
    return h, h.engine.locate(key)


@pytest.mark.parametrize(("extra", "flow", "reason"), [
    ("", Flow(FlowKind.ABORT, reason="'no' at kill"), "answered no: run aborted"),
    ("    on_no: skip", NEXT, "answered no: skipped"),
    ("    on_no: after", Flow(FlowKind.GOTO, "after", "on_no"), "answered no: going to after"),
])
def test_a_no_at_the_gate_follows_on_no(tmp_path: Path, extra: str, flow: Flow,
                                        reason: str) -> None:
    h, ctx = _ctx(tmp_path, ScriptedPrompter({"kill": False}), extra)
    answer, refused = gates.confirm(ctx, "Kill it?")
    assert answer.value is False
    assert refused == Outcome(StepStatus.SKIPPED, flow, reason, SkipKind.ANSWERED_NO)
    answers = [e for e in h.journal() if e.type == ev.ANSWER]
    assert [(e.step, e.data["kind"], e.data["value"]) for e in answers] == [("kill", "confirm", False)]


def test_a_yes_at_the_gate_goes_on(tmp_path: Path) -> None:
    _h, ctx = _ctx(tmp_path, ScriptedPrompter({"kill": True}))
    _answer, refused = gates.confirm(ctx, "Kill it?", recorded="Kill it?\n$ kill it")
    assert refused is None


def test_the_gate_is_the_same_for_a_confirm_step_and_a_command(tmp_path: Path) -> None:
    rb = runbook("title: T\nsteps:\n  - id: ok\n    confirm: Go on?\n    on_no: skip\n"
                 "  - id: cmd\n    run: echo x\n    confirm: Run?\n    on_no: skip\n")
    h = harness(tmp_path, rb, ScriptedPrompter({"ok": False, "cmd": False}))
    h.engine.run()
    ends = [(e.step, e.data["status"], e.data["reason"], e.data.get("skip"))
            for e in h.journal() if e.type == ev.STEP_FINISHED]
    assert ends == [("ok", "skipped", "answered no: skipped", "answered-no"),
                    ("cmd", "skipped", "answered no: skipped", "answered-no")]
    assert h.local.ran == []


@pytest.mark.parametrize(("policy", "decision"), [
    ("continue", CONTINUE), ("abort", FAIL), ("after", Decision.goto("after")),
])
def test_a_policy_decides_without_asking(tmp_path: Path, policy: str, decision: Decision) -> None:
    prompter = ScriptedPrompter()
    _h, ctx = _ctx(tmp_path, prompter, f"    on_failure: {policy}")
    assert gates.decide_failure(ctx, "exit code 1") == decision
    assert prompter.asked == []


def test_ask_offers_every_decision_and_parses_the_answer(tmp_path: Path) -> None:
    prompter = ScriptedPrompter({"kill": "goto:first"})
    h, ctx = _ctx(tmp_path, prompter, "    on_failure: ask")
    assert gates.decide_failure(ctx, "exit code 1", failed_hosts=True) == Decision.goto("first")
    assert prompter.asked == [("kill", "on_failure", ("retry", "retry-failed-hosts", "skip",
                                                      "abort", "goto:first", "goto:after"))]
    answer = [e for e in h.journal() if e.type == ev.ANSWER][-1]
    assert (answer.data["question"], answer.data["value"]) == ("kill failed: exit code 1",
                                                                "goto:first")


def test_retry_failed_hosts_is_offered_only_when_some_hosts_passed(tmp_path: Path) -> None:
    prompter = ScriptedPrompter({"kill": "retry"})
    _h, ctx = _ctx(tmp_path, prompter, "    on_failure: ask")
    assert gates.decide_failure(ctx, "exit code 1") == RETRY
    assert "retry-failed-hosts" not in prompter.asked[0][2]


def test_nobody_to_ask_about_an_interrupted_command_stops_the_run(tmp_path: Path) -> None:
    from runbookctl.errors import InterruptedRun

    _h, ctx = _ctx(tmp_path, ScriptedPrompter(interactive=False))
    with pytest.raises(InterruptedRun):
        gates.decide_interrupt(ctx, "interrupted by Ctrl-C; command stopped (SIGINT)")


def test_no_answer_to_ask_stops_the_run(tmp_path: Path) -> None:
    _h, ctx = _ctx(tmp_path, ScriptedPrompter(), "    on_failure: ask")
    with pytest.raises(NoAnswerError):
        gates.decide_failure(ctx, "exit code 1")


@pytest.mark.parametrize(("decision", "outcome"), [
    (CONTINUE, Outcome(StepStatus.FAILED, NEXT, "boom")),
    (Decision.parse("skip"), Outcome(StepStatus.SKIPPED, NEXT, "skipped after failure: boom",
                                     SkipKind.AFTER_FAILURE)),
    (Decision.parse("abort"), Outcome(StepStatus.FAILED,
                                      Flow(FlowKind.ABORT, reason="aborted at k: boom"), "boom")),
    (Decision.goto("x"), Outcome(StepStatus.FAILED, Flow(FlowKind.GOTO, "x", "after failure: boom"),
                                 "boom")),
    (FAIL, Outcome(StepStatus.FAILED, Flow(FlowKind.FAIL, reason="k failed: boom"), "boom")),
])
def test_after_failure(decision: Decision, outcome: Outcome) -> None:
    assert gates.after_failure(decision, "k", "boom") == outcome


def test_a_failed_step_the_run_went_past_counts_as_failed() -> None:
    assert gates.counts_as_failed(Outcome(StepStatus.FAILED, NEXT, "x"))
    assert not gates.counts_as_failed(Outcome(StepStatus.FAILED, Flow(FlowKind.FAIL), "x"))
    assert not gates.counts_as_failed(Outcome(StepStatus.SKIPPED, NEXT, "x"))


def test_the_retry_loop_reruns_a_failed_command_until_it_passes(tmp_path: Path) -> None:
    from tests.unit.engine.run_fakes import ScriptedLocal

    rb = runbook(GATED.format(extra="    on_failure: ask"))
    local = ScriptedLocal({"kill": [1, 1, 0]})
    h = harness(tmp_path, rb, ScriptedPrompter({"kill": [True, "retry", "retry"]}), local=local)
    status, _ = h.engine.run()
    assert status == "completed"
    assert local.ran == ["first", "kill", "kill", "kill", "after"]
