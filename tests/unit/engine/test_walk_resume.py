"""Resume, in-process: a run stops (no answer, an interrupted command), its journal is
replayed, and a second engine continues it — without running finished steps again."""

from __future__ import annotations

import pytest

from runbookctl.errors import InterruptedRun, NoAnswerError
from tests.unit.engine.fakes import (
    FakeExecutor,
    FakePrompter,
    MemoryJournal,
    Out,
    Run,
    make_engine,
    resume_engine,
)

BOOK = """\
id: t
title: T
steps:
  - {id: get, run: echo version, capture: version}
  - {id: gate, confirm: "Deploy {{ version }}?"}
  - {id: deploy, run: "deploy {{ version }}", on_failure: ask}
  - {id: done, run: echo done}
"""


def stopped_at_gate() -> Run:
    first = make_engine(BOOK, executor=FakeExecutor({"echo version": Out(0, "1.2")}))
    with pytest.raises(NoAnswerError):
        first.run()
    return first


def test_a_run_stopped_at_a_question_asks_it_again_and_goes_on() -> None:
    first = stopped_at_gate()
    assert first.executor.commands == ["echo version"]
    second, point = resume_engine(first, BOOK, prompter=FakePrompter([True]))
    assert point is not None and (point.key, point.rerun) == ("gate", True)
    assert second.run(point) == ("completed", "all steps done")
    assert second.executor.commands == ["deploy 1.2", "echo done"]  # the capture came back
    assert second.prompter.asked[0].text == "Deploy 1.2?"
    state = second.state()
    assert [k for k, status in state.path] == ["get", "gate", "gate", "deploy", "done"]
    assert {k: r.status for k, r in state.steps.items()} == {
        "get": "ok", "gate": "ok", "deploy": "ok", "done": "ok"}


def test_a_run_stopped_at_a_failure_prompt_asks_the_decision_again() -> None:
    first = make_engine(BOOK, executor=FakeExecutor({"deploy": 1}), prompter=FakePrompter([True]))
    with pytest.raises(NoAnswerError):
        first.run()
    assert first.prompter.asked[-1].kind == "on_failure"
    second, point = resume_engine(first, BOOK, prompter=FakePrompter(["skip"]))
    assert point is not None and (point.key, point.rerun) == ("deploy", False)
    assert second.run(point) == ("completed", "completed; failed steps continued past: deploy")
    assert second.executor.commands == ["echo done"]  # the failed command is not run again
    assert second.state().steps["deploy"].status == "skipped"


def test_a_failure_decided_retry_on_resume_runs_the_step_again() -> None:
    first = make_engine(BOOK, executor=FakeExecutor({"echo version": Out(0, "1.2"), "deploy": 1}),
                        prompter=FakePrompter([True]))
    with pytest.raises(NoAnswerError):
        first.run()
    second, point = resume_engine(first, BOOK, prompter=FakePrompter(["retry"]))
    assert point is not None and (point.key, point.rerun) == ("deploy", True)
    assert second.run(point) == ("completed", "all steps done")
    assert second.executor.commands == ["deploy 1.2", "echo done"]


@pytest.mark.parametrize(("choice", "commands", "status"), [
    ("rerun", ["deploy 1.2", "echo done"], "ok"),
    ("done", ["echo done"], "ok"),
    ("skip", ["echo done"], "skipped"),
])
def test_a_step_whose_command_was_interrupted_is_settled_by_the_operator(
        choice: str, commands: list[str], status: str) -> None:
    first = make_engine(BOOK, executor=FakeExecutor({"echo version": Out(0, "1.2"),
                                                     "deploy": Out(None, interrupted=True)}),
                        prompter=FakePrompter([True], interactive=False))  # nobody at the interrupt
    with pytest.raises(InterruptedRun):
        first.run()
    second, point = resume_engine(first, BOOK, prompter=FakePrompter([choice]))
    (asked,) = second.prompter.asked
    assert asked.key == "deploy" and asked.choices[:1] == ("rerun",)
    assert point is not None
    assert second.run(point) == ("completed", "all steps done")
    assert second.executor.commands == commands
    assert second.state().steps["deploy"].status == status


def test_a_finished_run_resumes_after_its_last_step() -> None:
    first = stopped_at_gate()
    second, point = resume_engine(first, BOOK, prompter=FakePrompter([True]))
    second.run(point)
    third, point = resume_engine(second, BOOK)
    assert point is not None and (point.key, point.rerun) == ("done", False)
    assert third.run(point) == ("completed", "all steps done")
    assert third.executor.commands == [] and third.prompter.asked == []


def test_resume_inside_an_include_finishes_the_child_then_the_parent() -> None:
    parent = """\
id: t
title: T
steps:
  - {id: before, run: echo before}
  - {id: other, include: other}
  - {id: sub, include: child}
  - {id: after, run: echo after}
"""
    other = "id: other\ntitle: O\nsteps:\n  - {id: x, run: echo x}\n"
    child = "id: child\ntitle: C\nsteps:\n  - {id: one, run: echo one}\n  - {id: gate, confirm: Ok?}\n" \
            "  - {id: two, run: echo two}\n"
    books = {"child": child, "other": other}
    first = make_engine(parent, includes=books)
    with pytest.raises(NoAnswerError):
        first.run()
    before = len(first.walked)
    second, point = resume_engine(first, parent, includes=books, prompter=FakePrompter([True]))
    assert point is not None and point.key == "child/gate"
    assert second.run(point) == ("completed", "all steps done")
    assert second.walked[before:] == ["child/gate", "child/two", "after"]
    assert [a.key for a in second.prompter.asked] == ["child/gate"]
    assert second.executor.commands == ["echo two", "echo after"]
    assert second.state().steps["sub"].status == "ok"
    assert second.events("step_finished", "sub")[-1].data["duration"] == 0.0


def test_a_run_killed_between_steps_leaves_the_last_one_as_it_had_decided() -> None:
    book = """\
id: t
title: T
steps:
  - {id: a, run: echo a}
  - {id: b, run: echo b, on_failure: d}
  - {id: c, run: echo c}
  - {id: d, run: echo d}
"""
    whole = make_engine(book, executor=FakeExecutor({"echo b": 1}))
    whole.run()
    finished_b = next(i for i, e in enumerate(whole.journal.events)
                      if e.type == "step_finished" and e.step == "b")
    killed = make_engine(book, journal=MemoryJournal(whole.journal.events[:finished_b + 1]))
    second, point = resume_engine(killed, book)
    assert point is not None and (point.key, point.rerun, point.leave.kind) == ("b", False, "goto")
    assert second.run(point) == ("completed", "completed; failed steps continued past: b")
    assert second.executor.commands == ["echo d"]
    jump = second.events("jump")[-1]
    assert (jump.step, jump.data["to"], jump.data["why"]) == ("b", "d", "after failure: exit code 1")
