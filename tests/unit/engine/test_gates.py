"""engine/gates.py: the confirm gate and on_no, the failure decision, and what each
decision makes of the step — one home for command steps, human steps and resume."""

from __future__ import annotations

import pytest

from runbookctl.engine import gates
from runbookctl.engine.context import StepContext
from runbookctl.errors import InterruptedRun, NoAnswerError
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
from tests.unit.engine.fakes import FakeExecutor, FakePrompter, Run, make_engine

GATED = """\
id: g
title: Gated
steps:
  - {{id: first, run: echo first}}
  - {{id: kill, run: kill it, confirm: "Kill it?"{extra}}}
  - {{id: after, run: echo after}}
"""


def gate(answers: list[object], extra: str = "", interactive: bool = True
         ) -> tuple[Run, StepContext]:
    run = make_engine(GATED.format(extra=extra),
                      prompter=FakePrompter(answers, interactive=interactive))
    return run, run.engine.locate("kill")


@pytest.mark.parametrize(("extra", "flow", "reason"), [
    ("", Flow(FlowKind.ABORT, reason="'no' at kill"), "answered no: run aborted"),
    (", on_no: skip", NEXT, "answered no: skipped"),
    (", on_no: after", Flow(FlowKind.GOTO, "after", "on_no"), "answered no: going to after"),
])
def test_a_no_at_the_gate_follows_on_no(extra: str, flow: Flow, reason: str) -> None:
    run, ctx = gate([False], extra)
    answer, refused = gates.confirm(ctx, "Kill it?")
    assert answer.value is False
    assert refused == Outcome(StepStatus.SKIPPED, flow, reason, SkipKind.ANSWERED_NO)
    assert [(e.step, e.data["kind"], e.data["value"]) for e in run.events(ev.ANSWER)] == [
        ("kill", "confirm", False)]
    assert run.prompter.asked[0].choices == (gates.no_means(ctx.step),)


def test_a_yes_at_the_gate_goes_on_and_is_journaled_as_recorded() -> None:
    run, ctx = gate([True])
    _answer, refused = gates.confirm(ctx, "Kill it?", recorded="Kill it?\n$ kill it")
    assert refused is None
    assert run.events(ev.ANSWER)[0].data["question"] == "Kill it?\n$ kill it"


def test_the_gate_is_the_same_for_a_confirm_step_and_a_command() -> None:
    run = make_engine("id: t\ntitle: T\nsteps:\n"
                      "  - {id: ok, confirm: Go on?, on_no: skip}\n"
                      "  - {id: cmd, run: echo x, confirm: Run?, on_no: skip}\n",
                      prompter=FakePrompter([False, False]))
    run.run()
    assert [(e.step, e.data["status"], e.data["reason"], e.data.get("skip"))
            for e in run.events(ev.STEP_FINISHED)] == [
        ("ok", "skipped", "answered no: skipped", "answered-no"),
        ("cmd", "skipped", "answered no: skipped", "answered-no")]
    assert run.executor.commands == []


@pytest.mark.parametrize(("policy", "decision"), [
    ("continue", CONTINUE), ("abort", FAIL), ("after", Decision.goto("after")),
])
def test_a_policy_decides_without_asking(policy: str, decision: Decision) -> None:
    run, ctx = gate([], f", on_failure: {policy}")
    assert gates.decide_failure(ctx, "exit code 1") == decision
    assert run.prompter.asked == []


def test_ask_offers_every_decision_and_parses_the_answer() -> None:
    run, ctx = gate(["goto:first"], ", on_failure: ask")
    assert gates.decide_failure(ctx, "exit code 1", failed_hosts=True) == Decision.goto("first")
    assert run.prompter.asked[0].choices == ("retry", "retry-failed-hosts", "skip", "abort",
                                             "goto:first", "goto:after")
    answer = run.events(ev.ANSWER)[-1]
    assert (answer.data["question"], answer.data["value"]) == ("kill failed: exit code 1",
                                                                "goto:first")


def test_retry_failed_hosts_is_offered_only_when_some_hosts_passed() -> None:
    run, ctx = gate(["retry"], ", on_failure: ask")
    assert gates.decide_failure(ctx, "exit code 1") == RETRY
    assert "retry-failed-hosts" not in run.prompter.asked[0].choices


def test_nobody_to_ask_about_an_interrupted_command_stops_the_run() -> None:
    _run, ctx = gate([], interactive=False)
    with pytest.raises(InterruptedRun):
        gates.decide_interrupt(ctx, "interrupted by Ctrl-C; command stopped (SIGINT)")


def test_no_answer_to_ask_stops_the_run() -> None:
    _run, ctx = gate([], ", on_failure: ask")
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
    assert not gates.counts_as_failed(Outcome(StepStatus.SKIPPED, NEXT, "x", SkipKind.ANSWERED_NO))


def test_a_failed_step_a_person_skipped_counts_as_failed() -> None:
    skipped = gates.after_failure(Decision.parse("skip"), "k", "exit code 1")
    assert gates.counts_as_failed(skipped)


def test_a_rendering_error_follows_the_step_policy_without_a_retry() -> None:
    step = make_engine(GATED.format(extra=", on_failure: after")).engine.locate("kill").step
    assert gates.policy_flow(step, "bad") == Flow(FlowKind.GOTO, "after", "on_failure after: bad")


def test_retry_decisions_rerun_a_failed_command_until_it_passes() -> None:
    run = make_engine(GATED.format(extra=", on_failure: ask"),
                      executor=FakeExecutor({"kill it": [1, 1, 0]}),
                      prompter=FakePrompter([True, "retry", "retry"]))
    assert run.run()[0] == "completed"
    assert run.executor.commands == ["echo first", "kill it", "kill it", "kill it", "echo after"]
