"""The walk, in-process: which steps run in which order (next, goto via `next:`
conditions, `when` skips, end), on_no, includes, and the run's status and reason."""

from __future__ import annotations

import pytest

from runbookctl.errors import NoAnswerError, UnaskableStep
from runbookctl.prompts.protocol import ORIGIN_ANSWERS, Answer
from runbookctl.runbook.model import InputSpec
from tests.unit.engine.fakes import FakeExecutor, FakePrompter, make_engine


def book(steps: str, extra: str = "") -> str:
    return f"id: t\ntitle: T\n{extra}steps:\n{steps}"


THREE = book("""\
  - {id: a, run: echo a}
  - {id: b, run: echo b}
  - {id: c, run: echo c}
""")


def test_steps_run_in_order_and_the_run_completes() -> None:
    run = make_engine(THREE)
    assert run.run() == ("completed", "all steps done")
    assert run.walked == ["a", "b", "c"]
    assert run.statuses == {"a": "ok", "b": "ok", "c": "ok"}
    assert run.executor.commands == ["echo a", "echo b", "echo c"]


def test_from_step_starts_there() -> None:
    run = make_engine(THREE, from_step="b")
    run.run()
    assert run.walked == ["b", "c"]


def test_next_goes_to_a_step_and_journals_the_jump() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, next: c}
  - {id: b, run: echo b}
  - {id: c, run: echo c}
"""))
    run.run()
    assert run.walked == ["a", "c"]
    (jump,) = run.events("jump")
    assert (jump.step, jump.data["to"], jump.data["why"]) == ("a", "c", "next")


def test_next_end_stops_the_walk_as_completed() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, next: end}
  - {id: b, run: echo b}
"""))
    assert run.run() == ("completed", "all steps done")
    assert run.walked == ["a"]
    assert run.events("step_finished")[0].data["flow"]["kind"] == "next"


FORK = book("""\
  - id: check
    run: echo check
    on_failure: continue
    next:
      - {if: "result.exit_code == 3", goto: three}
      - {if: "result.exit_code == 4", goto: end}
      - {if: "steps.check.status == 'failed'", goto: other}
  - {id: plain, run: echo plain}
  - {id: three, run: echo three, next: end}
  - {id: other, run: echo other}
""")


@pytest.mark.parametrize(("exit_code", "walked"), [
    (0, ["check", "plain", "three"]),  # no condition holds: the next step in order
    (3, ["check", "three"]),
    (4, ["check"]),
    (1, ["check", "other"]),
])
def test_next_conditions_pick_the_first_that_holds(exit_code: int, walked: list[str]) -> None:
    run = make_engine(FORK, executor=FakeExecutor({"echo check": exit_code}))
    run.run()
    assert run.walked == walked
    whys = {3: ["next: if result.exit_code == 3"], 1: ["next: if steps.check.status == 'failed'"]}
    assert [e.data["why"] for e in run.events("jump", "check")] == whys.get(exit_code, [])


def test_a_next_condition_that_cannot_be_evaluated_is_passed_over_with_a_warning() -> None:
    run = make_engine(book("""\
  - id: a
    run: echo a
    next:
      - {if: "nothing_here.field > 1", goto: c}
  - {id: b, run: echo b}
  - {id: c, run: echo c}
"""))
    run.run()
    assert run.walked == ["a", "b", "c"]
    assert any(w.startswith("next condition failed") for w in run.display.said("warn"))


def test_a_false_when_skips_the_step_and_says_why() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, when: "mode == 'fast'"}
  - {id: b, run: echo b, when: "mode == 'safe'"}
"""), values={"mode": "safe"})
    assert run.run() == ("completed", "all steps done")
    assert run.statuses == {"a": "skipped", "b": "ok"}
    assert run.executor.commands == ["echo b"]
    (skipped,) = run.events("step_skipped")
    assert skipped.data["reason"] == "when: mode == 'fast' is false"
    assert run.engine.vars.steps["a"]["status"] == "skipped"


def test_a_when_that_cannot_be_evaluated_fails_the_step_instead_of_skipping_it() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, when: "missing.field", on_failure: continue}
  - {id: b, run: echo b}
"""))
    status, reason = run.run()
    assert status == "completed" and "failed steps continued past: a" in reason
    assert run.statuses == {"a": "failed", "b": "ok"}
    assert run.executor.commands == ["echo b"]
    reason = run.events("step_finished", "a")[0].data["reason"]
    assert reason.startswith("when: missing.field could not be evaluated: ")
    assert run.events("step_started", "a")[0].data == {"title": "a", "action": "run"}
    assert run.display.said("fail") == [reason]
    assert 0 <= run.events("step_finished", "a")[0].data["duration"] < 60


def test_a_when_that_cannot_be_evaluated_under_abort_fails_the_run() -> None:
    run = make_engine(book("  - {id: a, run: echo a, when: \"missing.field\"}\n"))
    status, reason = run.run()
    assert status == "failed" and reason.startswith("step a failed: when:")


def test_a_step_that_fails_and_continues_is_named_in_the_completed_reason() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, on_failure: continue}
  - {id: b, run: echo b, on_failure: continue}
"""), executor=FakeExecutor({"echo": 1}))
    assert run.run() == ("completed", "completed; failed steps continued past: a, b")
    assert run.state().failed_keys == ["a", "b"]


def test_a_failed_step_under_abort_fails_the_run_and_nothing_after_runs() -> None:
    run = make_engine(THREE.replace("echo b}", "echo b, on_failure: abort}"),
                      executor=FakeExecutor({"echo b": 1}))
    status, reason = run.run()
    assert (status, reason) == ("failed", "b failed: exit code 1")
    assert run.walked == ["a", "b"]
    assert run.statuses == {"a": "ok", "b": "failed"}
    assert run.events("step_finished", "b")[0].data["flow"]["kind"] == "fail"


# --- on_no ----------------------------------------------------------------------------

ON_NO = """\
  - {{id: gate, confirm: "Go on?", on_no: {on_no}}}
  - {{id: b, run: echo b}}
  - {{id: c, run: echo c}}
"""


@pytest.mark.parametrize(("on_no", "result", "walked", "why"), [
    ("abort", ("aborted", "'no' at gate"), ["gate"], "answered no: run aborted"),
    ("skip", ("completed", "all steps done"), ["gate", "b", "c"], "answered no: skipped"),
    ("c", ("completed", "all steps done"), ["gate", "c"], "answered no: going to c"),
])
def test_a_no_at_a_confirm_step_does_what_on_no_says(on_no: str, result: tuple[str, str],
                                                     walked: list[str], why: str) -> None:
    run = make_engine(book(ON_NO.format(on_no=on_no)), prompter=FakePrompter([False]))
    assert run.run() == result
    assert run.walked == walked
    assert run.statuses["gate"] == "skipped"
    assert run.events("step_finished", "gate")[0].data["reason"] == why
    assert run.display.said("skip") == ["no (terminal)"]
    assert [e.data["why"] for e in run.events("jump")] == (["on_no"] if on_no == "c" else [])
    assert run.engine.vars.steps["gate"]["answer"] is False
    (asked,) = run.prompter.asked
    assert asked.choices == ({"abort": "abort the run", "skip": "skip this step",
                              "c": "go to c"}[on_no],)


def test_a_yes_at_a_confirm_step_goes_on_and_is_journaled_with_its_origin() -> None:
    run = make_engine(book(ON_NO.format(on_no="abort").replace("Go on?", "Go {{ n }}?")),
                      prompter=FakePrompter([True]), values={"n": 2})
    assert run.run() == ("completed", "all steps done")
    assert run.answers() == [("gate", "confirm", "Go 2?", True)]
    assert run.display.said("ok")[0] == "yes (terminal)"
    assert run.events("step_finished", "gate")[0].data["reason"] == "answered yes"
    (answer,) = run.events("answer")
    assert (answer.step, answer.actor, answer.data["kind"], answer.data["value"],
            answer.data["origin"]) == ("gate", "tester", "confirm", True, "terminal")
    assert run.engine.vars.steps["gate"]["answer"] is True


# --- include --------------------------------------------------------------------------

CHILD = """\
id: child
title: Child
steps:
  - {id: one, run: echo child-one}
  - {id: two, run: echo child-two}
"""
PARENT = book("""\
  - {id: first, run: echo first}
  - {id: sub, include: child}
  - {id: last, run: echo last}
""")


def test_an_include_walks_the_child_runbook_under_its_id() -> None:
    run = make_engine(PARENT, includes={"child": CHILD})
    assert run.run() == ("completed", "all steps done")
    assert run.walked == ["first", "sub", "child/one", "child/two", "last"]
    assert run.statuses["sub"] == "ok"
    assert run.events("step_finished", "sub")[0].data["reason"] == "runbook child done"
    assert run.executor.commands == ["echo first", "echo child-one", "echo child-two", "echo last"]


def test_a_failure_inside_an_include_fails_the_include_and_the_run() -> None:
    child = CHILD.replace("run: echo child-one}", "run: echo child-one, on_failure: abort}")
    run = make_engine(PARENT, includes={"child": child}, executor=FakeExecutor({"child-one": 1}))
    status, reason = run.run()
    assert (status, reason) == ("failed", "child/one failed: exit code 1")
    assert run.statuses == {"first": "ok", "child/one": "failed", "sub": "failed"}
    assert "echo last" not in run.executor.commands


def test_a_failure_continued_inside_an_include_lets_the_parent_go_on() -> None:
    child = CHILD.replace("run: echo child-one}", "run: echo child-one, on_failure: continue}")
    run = make_engine(PARENT, includes={"child": child}, executor=FakeExecutor({"child-one": 1}))
    assert run.run() == ("completed", "completed; failed steps continued past: child/one")
    assert run.statuses["sub"] == "ok" and run.statuses["last"] == "ok"


def test_a_goto_inside_an_include_stays_inside_it() -> None:
    child = CHILD.replace("run: echo child-one}", "run: echo child-one, next: two}")
    run = make_engine(PARENT, includes={"child": child})
    run.run()
    (jump,) = run.events("jump")
    assert (jump.step, jump.data["to"]) == ("child/one", "child/two")


def test_nested_includes_prefix_each_level() -> None:
    grandchild = "id: leaf\ntitle: Leaf\nsteps:\n  - {id: x, run: echo leaf}\n"
    child = CHILD + "  - {id: deeper, include: leaf}\n"
    run = make_engine(PARENT, includes={"child": child, "leaf": grandchild})
    run.run()
    assert "child/leaf/x" in run.walked
    assert run.statuses["child/deeper"] == "ok"


def test_an_abort_inside_an_include_aborts_the_run() -> None:
    child = "id: child\ntitle: C\nsteps:\n  - {id: gate, confirm: Sure?}\n"
    run = make_engine(PARENT, includes={"child": child}, prompter=FakePrompter([False]))
    assert run.run() == ("aborted", "'no' at child/gate")
    assert "echo last" not in run.executor.commands


# --- interruption and flows -----------------------------------------------------------

def test_no_answer_stops_the_run_and_journals_where() -> None:
    run = make_engine(book("  - {id: gate, confirm: Go?}\n  - {id: b, run: echo b}\n"))
    with pytest.raises(NoAnswerError):
        run.run()
    (stop,) = run.events("step_interrupted")
    assert stop.step == "gate" and stop.data["reason"].startswith("stopped: no answer for gate")
    assert run.state().steps["gate"].status == "interrupted"
    assert run.executor.commands == []


def test_the_ssh_executor_is_made_once_and_closed_at_the_end() -> None:
    run = make_engine(book("""\
  - {id: a, ssh: uptime, hosts: [web1]}
  - {id: b, ssh: uptime, hosts: [web2]}
  - {id: c, run: echo local}
"""))
    run.run()
    run.engine.close()
    assert run.executor.ssh_made == 1 and run.executor.closed
    assert [list(s.hosts) for s in run.executor.specs] == [["web1"], ["web2"], []]


def test_a_run_without_ssh_steps_makes_no_ssh_executor() -> None:
    run = make_engine(THREE)
    run.run()
    run.engine.close()
    assert run.executor.ssh_made == 0 and not run.executor.closed


def test_a_stop_inside_an_include_is_journaled_once_by_the_step_that_ran() -> None:
    child = "id: child\ntitle: C\nsteps:\n  - {id: gate, confirm: Sure?}\n"
    run = make_engine(PARENT, includes={"child": child})
    with pytest.raises(NoAnswerError):
        run.run()
    assert [e.step for e in run.events("step_interrupted")] == ["child/gate"]


def test_a_step_record_is_reachable_by_key_by_id_and_by_python_name() -> None:
    run = make_engine(book("  - {id: check-it, run: echo x, on_failure: continue}\n"),
                      executor=FakeExecutor({"echo x": 3}))
    run.run()
    steps = run.engine.vars.steps
    assert steps["check-it"] is steps["check_it"]
    assert (steps["check_it"]["status"], steps["check_it"]["exit_code"]) == ("failed", 3)


def test_a_dangerous_confirm_step_says_so_and_its_answer_is_kept_under_its_key() -> None:
    child = "id: child\ntitle: C\nsteps:\n  - {id: gate, confirm: Sure?, dangerous: true}\n"
    run = make_engine(book("""\
  - {id: sub, include: child}
  - {id: after, run: "echo {{ steps['child/gate'].answer }}"}
"""), includes={"child": child}, prompter=FakePrompter([True]))
    run.run()
    assert run.prompter.asked[0].dangerous is True
    assert run.executor.commands == ["echo true"]


@pytest.mark.parametrize(("step", "col"), [
    ("{id: gate, confirm: \"Go {{ nope }}?\"}", 25),
    ("{id: gate, ask: \"Why {{ nope }}?\"}", 21),
])
def test_a_question_that_cannot_be_rendered_stops_the_run_naming_it(step: str, col: int) -> None:
    """`on_failure` does not apply to a confirm or ask step (validate says so): nothing is
    asked about the failure — never a skip past a confirmation nobody saw."""
    run = make_engine(book(f"  - {{id: a, run: echo a}}\n  - {step}\n  - {{id: b, run: echo b}}\n"),
                      prompter=FakePrompter(["skip"]))
    with pytest.raises(UnaskableStep) as stopped:
        run.run()
    action = "confirm" if "confirm" in step else "ask"
    assert stopped.value.message.startswith(f"step 'gate' ({action}, test.yaml:5:{col}) cannot be "
                                            "asked: cannot render question ")
    assert stopped.value.message.endswith("'nope' is undefined; fix the runbook or the value, "
                                          "then resume")
    assert run.prompter.asked == [] and run.executor.commands == ["echo a"]
    (interrupted,) = run.events("step_interrupted")
    assert (interrupted.step, interrupted.data["reason"]) == ("gate",
                                                              f"stopped: {stopped.value.message}")


def test_a_milestone_is_journaled_when_its_step_ends_ok_and_only_then() -> None:
    run = make_engine(book("""\
  - {id: ack, run: echo a, milestone: acknowledged}
  - {id: fix, run: echo b, milestone: mitigated, when: "1 == 2"}
  - {id: done, run: echo c, milestone: resolved}
"""))
    run.run()
    assert [(e.step, e.data["name"]) for e in run.events("milestone")] == [
        ("ack", "acknowledged"), ("done", "resolved")]
    finished = [e.type for e in run.events(step="done")]
    assert finished[-2:] == ["step_finished", "milestone"]


def test_a_question_outside_the_steps_is_asked_and_journaled_with_its_provenance() -> None:
    """weekly's carry-over: asked through the engine, journaled as the caller names it."""
    given = Answer("resolved", ORIGIN_ANSWERS, "answers.yaml (sha256 ab12)", note="fixed on Tue")
    run = make_engine(THREE, prompter=FakePrompter([given]))
    spec = InputSpec("status", choices=("resolved", "still open"))
    answer = run.engine.ask("carry-over/b", "carry-over", "Last run: b failed. Where is it now?",
                            spec, previous_run="run-0")
    assert answer == given
    assert [(a.kind, a.key, a.text) for a in run.prompter.asked] == [
        ("ask", "carry-over/b", "Last run: b failed. Where is it now?")]
    (event,) = run.events("answer")
    assert (event.step, event.actor) == ("carry-over/b", "answers.yaml (sha256 ab12)")
    assert event.data == {"kind": "carry-over", "question": "Last run: b failed. Where is it now?",
                          "value": "resolved", "origin": "answers-file", "note": "fixed on Tue",
                          "previous_run": "run-0"}


@pytest.mark.parametrize(("status", "event", "data"), [
    ("interrupted", "run_interrupted", {"reason": "stopped: no answer for b"}),
    ("failed", "run_finished", {"status": "failed", "reason": "stopped: no answer for b"}),
])
def test_how_the_run_ended_is_journaled_last(status: str, event: str,
                                             data: dict[str, str]) -> None:
    run = make_engine(THREE)
    run.engine.finish(status, "stopped: no answer for b")
    assert [(e.type, e.step, e.actor, e.data) for e in run.events()] == [
        (event, None, "runbookctl", data)]


def test_a_signed_record_is_journaled_in_the_operators_name() -> None:
    run = make_engine(THREE)
    signature = {"events": 3, "head": "h", "signature": "sig", "fingerprint": "SHA256:x"}
    run.engine.signed(signature)
    assert [(e.type, e.actor, e.data) for e in run.events()] == [
        ("record_signed", "tester", signature)]
