"""engine/resume.py: a stopped run goes on through the engine — the journal replayed,
the decision about the step it stopped in (written, or asked), then the walk."""

from __future__ import annotations

from typing import Any

import pytest

from runbookctl.engine.context import ResumePoint
from runbookctl.engine.resume import resume_point
from runbookctl.errors import NoAnswerError
from runbookctl.outcomes import NEXT, Flow, FlowKind, RunStatus
from runbookctl.prompts.protocol import ORIGIN_ANSWERS, Answer
from runbookctl.record import events as ev
from runbookctl.record.events import Recorder
from runbookctl.record.replay import RunState, replay
from runbookctl.safety.masking import Redactor
from tests.unit.engine.fakes import FakePrompter, MemoryJournal, Run, make_engine

BOOK = """\
id: t
title: T
steps:
  - {{id: a, run: echo a}}
  - {{id: b, run: echo b, on_failure: {policy}}}
  - {{id: c, run: echo c}}
"""


class Written(FakePrompter):
    """An answers file's `resume:` entries in front of a person (FakePrompter)."""

    def __init__(self, resume: dict[str, str], answers: list[object] | None = None,
                 interactive: bool = True) -> None:
        super().__init__(answers or [], interactive=interactive)
        self.resume = resume

    def resume_answer(self, key: str) -> Answer | None:
        written = self.resume.get(key)
        return None if written is None else Answer(written, ORIGIN_ANSWERS, "answers.yaml")


def stopped_in_b(*ending: tuple[str, dict[str, Any]]) -> MemoryJournal:
    """A journal whose run did a, started b's command, then `ending` (or nothing: killed)."""
    journal = MemoryJournal()
    rec = Recorder(journal, Redactor())  # type: ignore[arg-type]
    rec.event(ev.STEP_STARTED, "a", title="a", action="run")
    rec.event(ev.STEP_FINISHED, "a", status="ok", reason="ok", duration=0.1, flow=NEXT.record())
    rec.event(ev.STEP_STARTED, "b", title="b", action="run")
    rec.event(ev.COMMAND_STARTED, "b", command="echo b", hosts=[], attempt=1)
    for type_, data in ending:
        rec.event(type_, "b", **data)
    return journal


def resumed(journal: MemoryJournal, prompter: FakePrompter, policy: str = "ask"
            ) -> tuple[Run, RunState]:
    run = make_engine(BOOK.format(policy=policy), prompter=prompter, journal=journal)
    return run, replay(journal.events)


def ends(run: Run) -> list[tuple[str | None, str, str]]:
    return [(e.step, e.data["status"], e.data["reason"]) for e in run.events(ev.STEP_FINISHED)]


def test_a_step_marked_done_is_not_run_again() -> None:
    run, state = resumed(stopped_in_b(), Written({"b": "done"}, interactive=False))
    point = resume_point(state, run.engine)
    assert point == ResumePoint("b", rerun=False, leave=NEXT)
    assert run.run(point)[0] == RunStatus.COMPLETED
    assert run.executor.commands == ["echo c"]
    assert ends(run) == [("a", "ok", "ok"), ("b", "ok", "marked done on resume"), ("c", "ok", "ok")]
    written = run.events(ev.ANSWER)[0]
    assert (written.actor, written.data["kind"], written.data["value"], written.data["origin"]) \
        == ("answers.yaml", "resume", "done", "answers-file")
    assert "note" not in written.data  # journaled as it always was


def test_a_step_marked_rerun_runs_again() -> None:
    run, state = resumed(stopped_in_b(), Written({"b": "rerun"}))
    run.run(resume_point(state, run.engine))
    assert run.executor.commands == ["echo b", "echo c"]


def test_a_step_marked_skip_says_so_in_the_record() -> None:
    run, state = resumed(stopped_in_b(), Written({"b": "skip"}))
    run.run(resume_point(state, run.engine))
    skipped = run.events(ev.STEP_FINISHED, "b")[0]
    assert (skipped.data["status"], skipped.data["skip"]) == ("skipped", "on-resume")
    assert run.executor.commands == ["echo c"]


def test_a_person_marks_it_failed_and_on_failure_decides() -> None:
    prompter = FakePrompter(["failed"])
    run, state = resumed(stopped_in_b(), prompter, policy="continue")
    status, reason = run.run(resume_point(state, run.engine))
    assert (status, reason) == (RunStatus.COMPLETED, "completed; failed steps continued past: b")
    assert prompter.asked[0].choices == ("rerun", "done", "failed", "skip")
    assert ("b", "failed", "marked failed on resume") in ends(run)
    assert run.executor.commands == ["echo c"]


def test_with_nobody_to_ask_the_resume_stops_naming_the_answer_to_write() -> None:
    run, state = resumed(stopped_in_b(), Written({}, interactive=False))
    with pytest.raises(NoAnswerError, match=r'"b: \{resume: rerun \| done \| failed \| skip\}"'):
        resume_point(state, run.engine)
    assert run.executor.commands == []


def test_a_written_decision_is_not_taken_for_another_step() -> None:
    run, state = resumed(stopped_in_b(), Written({"a": "done"}, ["rerun"]))
    assert resume_point(state, run.engine) == ResumePoint("b", rerun=True)
    assert [a.kind for a in run.prompter.asked] == ["on_failure"]  # a menu, as at a terminal


def test_a_command_that_failed_on_its_own_asks_the_failure_decision_again() -> None:
    host = {"host": "local", "exit_code": 1, "interrupted": False}
    journal = stopped_in_b((ev.COMMAND_FINISHED, {"attempt": 1, "ok": False,
                                                  "reason": "exit code 1", "hosts": [host]}))
    prompter = Written({}, ["skip"])
    run, state = resumed(journal, prompter)
    assert resume_point(state, run.engine) == ResumePoint("b", rerun=False, leave=NEXT)
    assert prompter.asked[0].text == "b failed: exit code 1"
    finished = run.events(ev.STEP_FINISHED, "b")[0]
    assert (finished.data["status"], finished.data["skip"]) == ("skipped", "after-failure")


def test_after_a_finished_step_the_walk_leaves_it_as_journaled() -> None:
    journal = stopped_in_b((ev.STEP_FINISHED, {"status": "failed", "reason": "x", "duration": 0.0,
                                               "flow": Flow(FlowKind.GOTO, "a", "r").record()}))
    run, state = resumed(journal, FakePrompter())
    assert resume_point(state, run.engine) == ResumePoint(
        "b", rerun=False, leave=Flow(FlowKind.GOTO, "a", "r"))


def test_a_resumed_run_counts_the_failed_steps_it_went_past() -> None:
    run, _state = resumed(stopped_in_b(), FakePrompter())
    run.engine.resumed(["a"], actor="ops", note="after an interruption")
    assert run.run(ResumePoint("b", rerun=True))[1] == "completed; failed steps continued past: a"
    resumed_event = run.events(ev.RUN_RESUMED)[0]
    assert (resumed_event.actor, resumed_event.data["note"]) == ("ops", "after an interruption")


def test_a_step_that_had_not_started_its_command_runs_again() -> None:
    journal = MemoryJournal()
    Recorder(journal, Redactor()).event(ev.STEP_STARTED, "a", title="a",  # type: ignore[arg-type]
                                        action="run")
    run, state = resumed(journal, FakePrompter())
    assert resume_point(state, run.engine) == ResumePoint("a", rerun=True)
    assert run.display.said("info") == ["a had not started a command: it runs again"]
