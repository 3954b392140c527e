"""engine/resume.py: a stopped run goes on through the engine — replay, the decision
about the step it stopped in, then the walk from there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runbookctl.engine.context import ResumePoint
from runbookctl.engine.resume import resume_point
from runbookctl.errors import NoAnswerError
from runbookctl.outcomes import NEXT, Flow, FlowKind, RunStatus
from runbookctl.record import events as ev
from runbookctl.record.events import Recorder
from runbookctl.record.journal import Journal, read_journal
from runbookctl.record.replay import RunState, replay
from runbookctl.safety.masking import Redactor
from tests.unit.engine.run_fakes import Harness, ScriptedPrompter, harness, runbook

RB = """
title: Three
steps:
  - id: a
    run: echo a
  - id: b
    run: echo b
    on_failure: {policy}
  - id: c
    run: echo c
"""


def _stopped_run(tmp_path: Path, *ending: tuple[str, dict[str, Any]]) -> None:
    """A journal whose run did a, started b's command, then `ending` (or nothing: killed)."""
    rec = Recorder(Journal.create(tmp_path / "journal.jsonl"), Redactor())
    rec.event(ev.RUN_STARTED, None, run_id="r1", runbook="three", title="Three", path="rb.yaml",
              sha256="x")
    rec.event(ev.STEP_STARTED, "a", title="a", action="run")
    rec.event(ev.STEP_FINISHED, "a", status="ok", reason="ok", duration=0.1, flow=NEXT.record())
    rec.event(ev.STEP_STARTED, "b", title="b", action="run")
    rec.event(ev.COMMAND_STARTED, "b", command="echo b", hosts=[], attempt=1)
    for type_, data in ending:
        rec.event(type_, "b", **data)
    rec.journal.close()


def _resume(tmp_path: Path, prompter: ScriptedPrompter, policy: str = "ask"
            ) -> tuple[Harness, RunState]:
    state = replay(read_journal(tmp_path / "journal.jsonl").events)
    h = harness(tmp_path, runbook(RB.format(policy=policy)), prompter,
                journal=Journal.open_append(tmp_path / "journal.jsonl"))
    return h, state


def _ends(h: Harness) -> list[tuple[str | None, str, str]]:
    return [(e.step, e.data["status"], e.data["reason"]) for e in h.journal()
            if e.type == ev.STEP_FINISHED]


def test_a_step_marked_done_is_not_run_again(tmp_path: Path) -> None:
    _stopped_run(tmp_path)
    h, state = _resume(tmp_path, ScriptedPrompter(resume={"b": "done"}, interactive=False))
    point = resume_point(state, h.engine)
    assert point == ResumePoint("b", rerun=False, leave=NEXT)
    assert h.engine.run(point)[0] == RunStatus.COMPLETED
    assert h.local.ran == ["c"]
    assert _ends(h) == [("a", "ok", "ok"), ("b", "ok", "marked done on resume"), ("c", "ok", "ok")]
    written = next(e for e in h.journal() if e.type == ev.ANSWER)
    assert (written.actor, written.data["kind"], written.data["value"], written.data["origin"]) \
        == ("answers.yaml", "resume", "done", "answers-file")
    assert "note" not in written.data  # journaled as it always was


def test_a_step_marked_rerun_runs_again(tmp_path: Path) -> None:
    _stopped_run(tmp_path)
    h, state = _resume(tmp_path, ScriptedPrompter(resume={"b": "rerun"}))
    h.engine.run(resume_point(state, h.engine))
    assert h.local.ran == ["b", "c"]


def test_a_step_marked_skip_says_so_in_the_record(tmp_path: Path) -> None:
    _stopped_run(tmp_path)
    h, state = _resume(tmp_path, ScriptedPrompter(resume={"b": "skip"}))
    h.engine.run(resume_point(state, h.engine))
    skipped = next(e for e in h.journal() if e.type == ev.STEP_FINISHED and e.step == "b")
    assert (skipped.data["status"], skipped.data["skip"]) == ("skipped", "on-resume")
    assert h.local.ran == ["c"]


def test_a_person_marks_it_failed_and_on_failure_decides(tmp_path: Path) -> None:
    _stopped_run(tmp_path)
    prompter = ScriptedPrompter({"b": "failed"})
    h, state = _resume(tmp_path, prompter, policy="continue")
    status, reason = h.engine.run(resume_point(state, h.engine))
    assert (status, reason) == (RunStatus.COMPLETED,
                                "completed; failed steps continued past: b")
    assert prompter.asked[0] == ("b", "resume", ("rerun", "done", "failed", "skip"))
    assert ("b", "failed", "marked failed on resume") in _ends(h)
    assert h.local.ran == ["c"]


def test_with_nobody_to_ask_the_resume_stops_naming_the_answer_to_write(tmp_path: Path) -> None:
    _stopped_run(tmp_path)
    h, state = _resume(tmp_path, ScriptedPrompter(interactive=False))
    with pytest.raises(NoAnswerError, match=r'"b: \{resume: rerun \| done \| failed \| skip\}"'):
        resume_point(state, h.engine)
    assert h.local.ran == []


def test_a_command_that_failed_on_its_own_asks_the_failure_decision_again(tmp_path: Path) -> None:
    host = {"host": "local", "exit_code": 1, "interrupted": False}
    _stopped_run(tmp_path, (ev.COMMAND_FINISHED, {"attempt": 1, "ok": False,
                                                  "reason": "exit code 1", "hosts": [host]}))
    prompter = ScriptedPrompter({"b": "skip"})
    h, state = _resume(tmp_path, prompter)
    point = resume_point(state, h.engine)
    assert point == ResumePoint("b", rerun=False, leave=NEXT)
    assert prompter.asked[0][:2] == ("b", "on_failure")
    finished = next(e for e in h.journal() if e.type == ev.STEP_FINISHED and e.step == "b")
    assert (finished.data["status"], finished.data["skip"]) == ("skipped", "after-failure")


def test_after_a_finished_step_the_walk_leaves_it_as_journaled(tmp_path: Path) -> None:
    _stopped_run(tmp_path, (ev.STEP_FINISHED, {"status": "failed", "reason": "x", "duration": 0.0,
                                               "flow": Flow(FlowKind.GOTO, "a", "r").record()}))
    h, state = _resume(tmp_path, ScriptedPrompter())
    assert resume_point(state, h.engine) == ResumePoint(
        "b", rerun=False, leave=Flow(FlowKind.GOTO, "a", "r"))


def test_a_resumed_run_counts_the_failed_steps_it_went_past(tmp_path: Path) -> None:
    _stopped_run(tmp_path)
    h, _state = _resume(tmp_path, ScriptedPrompter())
    h.engine.resumed(["a"], actor="ops", note="after an interruption")
    assert h.engine.run(ResumePoint("b", rerun=True))[1] == \
        "completed; failed steps continued past: a"
    resumed = next(e for e in h.journal() if e.type == ev.RUN_RESUMED)
    assert (resumed.actor, resumed.data["note"]) == ("ops", "after an interruption")


def test_a_step_that_had_not_started_its_command_runs_again(tmp_path: Path) -> None:
    rec = Recorder(Journal.create(tmp_path / "journal.jsonl"), Redactor())
    rec.event(ev.STEP_STARTED, "a", title="a", action="run")
    rec.journal.close()
    h, state = _resume(tmp_path, ScriptedPrompter())
    assert resume_point(state, h.engine) == ResumePoint("a", rerun=True)
    assert ("info", "a had not started a command: it runs again") in h.display.shown

