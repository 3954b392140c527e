"""engine/resume.py: a stopped run goes on through the engine — the journal replayed,
the decision about the step it stopped in (written, or asked), then the walk."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from runbookctl.engine.context import ResumePoint
from runbookctl.engine.resume import check_stop_point, resume_point
from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.executors import procs
from runbookctl.outcomes import NEXT, Flow, FlowKind, RunStatus
from runbookctl.prompts.protocol import ORIGIN_ANSWERS, Answer
from runbookctl.record import events as ev
from runbookctl.record.events import Recorder
from runbookctl.record.replay import RunState, replay
from runbookctl.runbook.loader import load_runbook_text
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


def test_a_skip_on_resume_is_journaled_with_its_reason() -> None:
    run, state = resumed(stopped_in_b(), Written({"b": "skip"}))
    run.run(resume_point(state, run.engine))
    assert ("b", "skipped", "marked skip on resume") in ends(run)


UNKNOWN = "b was running when the run stopped; whether its command finished is unknown. What now?"
ADD = ' Add "b: {resume: rerun | done | failed | skip}" to an answers file (--answers FILE)'
FAILED_HOST = {"host": "local", "exit_code": 1, "interrupted": False}


@pytest.mark.parametrize(("ending", "question"), [
    pytest.param((), UNKNOWN, id="killed while its command ran"),
    pytest.param(((ev.STEP_INTERRUPTED, {"reason": "interrupted by SIGHUP",
                                         "command_stopped": False}),),
                 UNKNOWN, id="interrupted, its command not stopped"),
    pytest.param(((ev.STEP_INTERRUPTED, {"reason": "interrupted by SIGTERM; command stopped with "
                                                   "SIGTERM", "command_stopped": True}),),
                 "b was interrupted by SIGTERM; command stopped with SIGTERM. What now?",
                 id="interrupted, its command stopped"),
    pytest.param(((ev.COMMAND_FINISHED, {"ok": False, "reason": "exit code 1", "again": True,
                                         "hosts": [FAILED_HOST]}),
                  (ev.STEP_INTERRUPTED, {"reason": "interrupted by SIGINT (Ctrl-C)",
                                         "command_stopped": False})),
                 "b was interrupted by SIGINT (Ctrl-C). What now?",
                 id="interrupted while a retry waited"),
    pytest.param(((ev.COMMAND_FINISHED, {"ok": True, "reason": None, "hosts": []}),),
                 "b: its command ended (ok) but the step did not. What now?",
                 id="killed after its command passed"),
    pytest.param(((ev.COMMAND_FINISHED, {"ok": False, "reason": "exit code 1", "again": True,
                                         "hosts": [FAILED_HOST]}),),
                 "b: its command ended (exit code 1) but the step did not. What now?",
                 id="killed while a retry waited"),
    pytest.param(((ev.COMMAND_FINISHED, {"ok": False, "reason": None, "again": True,
                                         "hosts": []}),),
                 "b: its command ended (failed) but the step did not. What now?",
                 id="killed while a retry waited, no reason journaled"),
])
def test_the_operator_is_told_what_is_known_about_the_step_it_stopped_in(
        ending: tuple[tuple[str, dict[str, Any]], ...], question: str) -> None:
    prompter = FakePrompter(["rerun"])
    run, state = resumed(stopped_in_b(*ending), prompter)
    assert resume_point(state, run.engine) == ResumePoint("b", rerun=True)
    assert [(a.kind, a.key, a.text) for a in prompter.asked] == [("on_failure", "b", question)]
    assert run.display.said("warn") == [question]
    answer = run.events(ev.ANSWER)[-1]
    assert (answer.step, answer.actor, answer.data["kind"], answer.data["question"],
            answer.data["value"], answer.data["origin"]) == (
        "b", "tester", "resume", question, "rerun", "terminal")
    # with nobody to ask, the stop says the same and names the answer to write
    run, state = resumed(stopped_in_b(*ending), Written({}, interactive=False))
    with pytest.raises(NoAnswerError) as err:
        resume_point(state, run.engine)
    assert err.value.message == question.removesuffix(" What now?") + ADD


def test_a_written_decision_is_journaled_with_the_question_it_answers() -> None:
    run, state = resumed(stopped_in_b(), Written({"b": "rerun"}, interactive=False))
    resume_point(state, run.engine)
    (written,) = run.events(ev.ANSWER)
    assert (written.step, written.data["question"], written.data["value"]) == (
        "b", UNKNOWN, "rerun")
    assert run.display.said("warn") == [UNKNOWN]


def test_a_failure_journaled_without_a_reason_is_asked_about_as_failed() -> None:
    journal = stopped_in_b((ev.COMMAND_FINISHED, {"ok": False, "reason": None,
                                                  "hosts": [FAILED_HOST]}))
    prompter = FakePrompter(["skip"])
    run, state = resumed(journal, prompter)
    resume_point(state, run.engine)
    assert prompter.asked[0].text == "b failed: failed"
    assert ("b", "skipped", "skipped after failure: failed") in ends(run)


def test_a_step_marked_failed_where_on_failure_aborts_fails_the_run() -> None:
    run, state = resumed(stopped_in_b(), Written({"b": "failed"}, interactive=False),
                         policy="abort")
    point = resume_point(state, run.engine)
    assert run.run(point) == (RunStatus.FAILED, "b failed: marked failed on resume")
    assert run.executor.commands == []  # c never runs
    assert ends(run) == [("a", "ok", "ok"), ("b", "failed", "marked failed on resume")]


def test_a_step_marked_failed_then_aborted_by_the_operator_aborts_the_run() -> None:
    prompter = FakePrompter(["failed", "abort"])
    run, state = resumed(stopped_in_b(), prompter)
    point = resume_point(state, run.engine)
    assert prompter.asked[1].text == "b failed: marked failed on resume"
    assert run.run(point) == (RunStatus.ABORTED, "aborted at b: marked failed on resume")
    assert run.executor.commands == []


# --- a command the stopped run left running (runbookctl was killed, its command was not)

@pytest.fixture
def left_running() -> Iterator[subprocess.Popen[bytes]]:
    """A real command in its own process group, as the executor starts one."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def killed_in_b(proc: subprocess.Popen[bytes], start: str | None = None,
                *after: tuple[str, dict[str, Any]]) -> MemoryJournal:
    """A run killed while b's command (`proc`, journaled with its start time) ran."""
    process = {"pgid": proc.pid, "start": start or procs.start_time(proc.pid)}
    return stopped_in_b((ev.COMMAND_PROCESS, process), *after)


def still_running(pgid: int) -> str:
    return (f"b: its command is still running (process group {pgid}), left by the run that "
            "stopped. Wait for it to end, or stop it?")


def ended(why: str) -> str:
    return f"b: its command ended ({why}) but the step did not. What now?"


def settled(run: Run) -> dict[str, Any]:
    """The end resume journaled for the command it found running."""
    (finished,) = run.events(ev.COMMAND_FINISHED, "b")
    return finished.data


def host(error: str, interrupted: bool) -> dict[str, Any]:
    return {"host": "local", "exit_code": None, "duration": 0.0, "bytes": 0, "sha256": "",
            "tail": "", "timed_out": False, "interrupted": interrupted, "error": error,
            "log": "", "host_key_accepted": None}


def test_a_written_decision_stops_the_command_left_running_before_the_rerun(
        left_running: subprocess.Popen[bytes]) -> None:
    pgid = left_running.pid
    run, state = resumed(killed_in_b(left_running), Written({"b": "rerun"}, interactive=False))
    assert resume_point(state, run.engine) == ResumePoint("b", rerun=True)
    assert left_running.wait(timeout=5) == -signal.SIGTERM  # stopped, not waited for
    reason = "stopped on resume: command stopped with SIGTERM"
    assert run.display.said("info") == [f"b: its command {reason}"]
    assert run.display.said("warn") == [still_running(pgid), ended(reason)]
    assert settled(run) == {"ok": False, "reason": reason, "stopped": True,
                            "hosts": [host(reason, interrupted=True)]}
    assert [(a.step, a.actor, a.data["question"], a.data["value"], a.data["origin"])
            for a in run.events(ev.ANSWER)] == [
        ("b", "answers.yaml", still_running(pgid), "stop", "answers-file"),
        ("b", "answers.yaml", ended(reason), "rerun", "answers-file")]
    assert run.run(ResumePoint("b", rerun=True))[0] == RunStatus.COMPLETED
    assert run.executor.commands == ["echo b", "echo c"]


def test_with_nobody_to_ask_a_command_left_running_is_neither_stopped_nor_doubled(
        left_running: subprocess.Popen[bytes]) -> None:
    pgid = left_running.pid
    journal = killed_in_b(left_running)
    before = len(journal.events)
    run, state = resumed(journal, Written({}, interactive=False))
    with pytest.raises(NoAnswerError) as err:
        resume_point(state, run.engine)
    assert err.value.message == (
        f"b: its command is still running (process group {pgid}), left by the run that "
        'stopped: add "b: {resume: rerun | done | failed | skip}" to an answers file '
        "(--answers FILE; the command is stopped first), or resume in a terminal to wait for it")
    assert left_running.poll() is None and procs.group_alive(pgid)
    assert len(journal.events) == before and run.executor.commands == []


class EndsWhileWaited:
    """procs' clock: the command left running ends during the first wait between polls."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.waits = 0
        self.monotonic = time.monotonic

    def sleep(self, seconds: float) -> None:
        self.waits += 1
        self.proc.terminate()
        self.proc.wait()


def test_the_operator_may_wait_for_the_command_left_running(
        left_running: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    pgid = left_running.pid
    clock = EndsWhileWaited(left_running)
    monkeypatch.setattr(procs, "time", clock)
    prompter = FakePrompter(["wait", "done"])
    run, state = resumed(killed_in_b(left_running), prompter)
    assert resume_point(state, run.engine) == ResumePoint("b", rerun=False, leave=NEXT)
    assert clock.waits == 1 and left_running.returncode == -signal.SIGTERM  # waited for its end
    reason = "ended while resume waited for it (exit code unknown)"
    assert [(a.key, a.text, a.choices) for a in prompter.asked] == [
        ("b", still_running(pgid), ("wait", "stop")),
        ("b", ended(reason), ("rerun", "done", "failed", "skip"))]
    assert run.display.said("info") == [
        f"waiting for process group {pgid} to end (Ctrl-C stops waiting)",
        f"b: its command {reason}"]
    assert settled(run) == {"ok": False, "reason": reason, "stopped": False,
                            "hosts": [host(reason, interrupted=False)]}
    assert [(a.data["kind"], a.data["question"], a.data["value"], a.data["origin"])
            for a in run.events(ev.ANSWER)] == [
        ("resume", still_running(pgid), "wait", "terminal"),
        ("resume", ended(reason), "done", "terminal")]
    assert run.run(ResumePoint("b", rerun=False, leave=NEXT))[0] == RunStatus.COMPLETED
    assert ends(run)[1:] == [("b", "ok", "marked done on resume"), ("c", "ok", "ok")]


def test_the_operator_may_stop_the_command_left_running(
        left_running: subprocess.Popen[bytes]) -> None:
    prompter = FakePrompter(["stop", "skip"])
    run, state = resumed(killed_in_b(left_running), prompter)
    resume_point(state, run.engine)
    assert left_running.wait(timeout=5) == -signal.SIGTERM
    reason = "stopped on resume: command stopped with SIGTERM"
    assert prompter.asked[1].text == ended(reason)
    assert [a.data["value"] for a in run.events(ev.ANSWER)] == ["stop", "skip"]
    assert settled(run)["stopped"] is True


def test_a_command_left_running_that_ignores_sigterm_is_killed_after_2s() -> None:
    stubborn = subprocess.Popen(["sleep", "60"], start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
    try:
        run, state = resumed(killed_in_b(stubborn), Written({"b": "rerun"}, interactive=False))
        resume_point(state, run.engine)
        assert stubborn.wait(timeout=5) == -signal.SIGKILL
    finally:
        stubborn.kill()
        stubborn.wait()
    assert settled(run)["reason"] == (
        "stopped on resume: command stopped with SIGKILL (2s after SIGTERM)")


@pytest.mark.parametrize("how", ["pid reused", "group ended", "command ended"])
def test_a_process_that_is_not_the_command_left_running_is_left_alone(
        left_running: subprocess.Popen[bytes], how: str) -> None:
    start, after, question = None, (), UNKNOWN
    if how == "pid reused":  # a new process got the command's pid: its start time differs
        start = "another-boot:1"
    elif how == "group ended":
        left_running.kill()
        left_running.wait()
    else:  # the journal says the command ended: whatever has its pid now is not it
        after = ((ev.COMMAND_FINISHED, {"ok": True, "reason": None, "hosts": []}),)
        question = ended("ok")
    prompter = FakePrompter(["rerun"])
    run, state = resumed(killed_in_b(left_running, start, *after), prompter)
    assert resume_point(state, run.engine) == ResumePoint("b", rerun=True)
    assert [a.text for a in prompter.asked] == [question]
    assert run.display.said("info") == []  # nothing waited for, nothing stopped
    if how != "group ended":
        assert left_running.poll() is None


# --- a stop point the runbook no longer has (renamed or removed since the run began)

RUN_ID = "20260101T000000Z-abcd"
PARENT = """\
id: t
title: T
steps:
  - {id: a, run: echo a}
  - {id: sub, include: child}
  - {id: c, run: echo c}
"""
CHILD = "id: child\ntitle: C\nsteps:\n  - {id: x, run: echo x}\n  - {id: y, run: echo y}\n"


def record(*events: tuple[str, str | None, dict[str, Any]], from_step: str | None = None
           ) -> RunState:
    """The replayed record of a run of `t` that began (--from `from_step`) and did `events`."""
    journal = MemoryJournal()
    rec = Recorder(journal, Redactor())  # type: ignore[arg-type]
    rec.event(ev.RUN_STARTED, None, run_id=RUN_ID, runbook="t", title="T", from_step=from_step)
    for type_, step, data in events:
        rec.event(type_, step, **data)
    return replay(journal.events)


def left(step: str, flow: Flow) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Step `step` run, and left with `flow` (after its failure)."""
    return [(ev.STEP_STARTED, step, {"title": step, "action": "run"}),
            (ev.STEP_FINISHED, step, {"status": "failed", "reason": "x", "duration": 0.0,
                                      "flow": flow.record()})]


def check(state: RunState, parent: str = PARENT, child: str = CHILD) -> str | None:
    """None when the run can resume in these runbooks, else why not (the whole message)."""
    books = {"child": load_runbook_text(child, "child.yaml")}
    try:
        check_stop_point(state, load_runbook_text(parent, "t.yaml"), books.__getitem__)
    except UsageError as exc:
        return exc.message
    return None


def moved(where: str, steps: str, book: str = "t") -> str:
    return (f"cannot resume run {RUN_ID}: {where}, which the runbook no longer has (it was "
            f"renamed or removed; steps of {book} now: {steps}).\n"
            "  - put the step back (or restore the runbook as it was) and resume again, or\n"
            "  - start a new run where it should go on: runbookctl run t --from STEP")


def test_a_run_that_stopped_before_its_first_step_resumes_where_it_began() -> None:
    assert check(record()) is None
    assert check(record(from_step="c")) is None


def test_a_run_started_from_a_step_the_runbook_no_longer_has_is_refused() -> None:
    assert check(record(from_step="gone")) == moved("it was started --from step 'gone'",
                                                    "a, sub, c")


def test_a_run_stopped_inside_an_include_resumes_while_the_child_has_the_step() -> None:
    started = (ev.STEP_STARTED, "child/y", {"title": "y", "action": "run"})
    assert check(record(started)) is None
    assert check(record(started), child=CHILD.replace("id: y", "id: z")) == moved(
        "it stopped at step 'child/y'", "a, sub, c")


def test_a_jump_to_a_step_the_runbook_no_longer_has_is_refused() -> None:
    assert check(record(*left("a", Flow(FlowKind.GOTO, "c", "on_failure")))) is None
    assert check(record(*left("a", Flow(FlowKind.GOTO, "gone", "on_failure")))) == moved(
        "after step 'a' it goes to step 'gone'", "a, sub, c")
    assert check(record(*left("child/x", Flow(FlowKind.GOTO, "a", "r")))) == moved(
        "after step 'child/x' it goes to step 'a'", "x, y", book="child")


def test_a_step_still_running_has_no_jump_to_check() -> None:
    started = (ev.STEP_STARTED, "a", {"title": "a", "action": "run"})
    assert check(record(*left("a", Flow(FlowKind.GOTO, "gone", "r")), started)) is None
