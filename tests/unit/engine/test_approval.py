"""engine/approval.py: a step that needs a second person's approval waits for the
decision — journaled by `decide` from another process, or reported by a decision
source — and then goes on, follows on_no, or times out (abort, skip, escalate).

In process, with the fake prompter and executor and a real journal file (the
decision arrives through it); the engine's clock is faked, so a wait costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runbookctl.engine import approval
from runbookctl.outcomes import RunStatus
from runbookctl.record import events as ev
from runbookctl.record.approvals import Decided, decide
from runbookctl.record.journal import Event, Journal, read_journal
from tests.unit.engine.conftest import FakeClock
from tests.unit.engine.fakes import OPERATOR, FakeExecutor, FakePrompter, Run, make_engine

RUNBOOK = """\
id: t
title: T
steps:
  - {{id: drop, run: drop it, approval: required{extra}}}
  - {{id: after, run: echo after}}
  - {{id: page-oncall, run: page}}
"""


class FileJournal:
    """The run's real journal file (the decision reaches the engine through it), keeping
    what this engine wrote, as MemoryJournal does, for Run's readers."""

    def __init__(self, path: Path) -> None:
        self.file = Journal.create(path)
        self.events: list[Event] = []

    @property
    def head_hash(self) -> str:
        return self.file.head_hash

    def append(self, type: str, step: str | None, actor: str, data: Any = None, *,
               sync: bool = True, guard: Callable[[], None] | None = None) -> Event:
        event = self.file.append(type, step, actor, data, sync=sync, guard=guard)
        self.events.append(event)
        return event


class Approver:
    """A second person, polled as a decision source: at its first look it decides (through
    `decide`, into the journal, as `runbookctl approve` does), or reports a decision
    made elsewhere (`journaled=False`: the engine writes it)."""

    def __init__(self, run_dir: Path, decision: str = "approve", by: str = "bob",
                 reason: str | None = None, elsewhere: bool = False) -> None:
        self.run_dir, self.decision, self.by, self.reason = run_dir, decision, by, reason
        self.elsewhere = elsewhere
        self.polls = 0

    def poll(self, run_id: str, step_id: str) -> Decided | None:
        self.polls += 1
        if self.elsewhere:
            return Decided(self.decision, self.by, self.reason, "store",  # type: ignore[arg-type]
                           journaled=False)
        if self.polls == 1:
            decide(self.run_dir, step_id, self.decision, self.by,  # type: ignore[arg-type]
                   self.reason, "cli")
        return None


@pytest.fixture(autouse=True)
def wall_clock(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock.now = time.time()  # timeouts count from the journal's (real) timestamps
    monkeypatch.setattr(approval, "time", clock)
    return clock


def waiting_run(tmp_path: Path, extra: str = "", *sources: object,
                **options: Any) -> Run:
    run = make_engine(RUNBOOK.format(extra=extra), executor=FakeExecutor(),
                      prompter=FakePrompter(interactive=False),
                      journal=FileJournal(tmp_path / "journal.jsonl"),  # type: ignore[arg-type]
                      run_dir=tmp_path, dry_run=options.pop("dry_run", False))
    run.engine.publish(ev.RUN_STARTED, None, actor=OPERATOR, run_id="run-1", runbook="t")
    run.engine.sv.decision_sources = tuple(sources)  # type: ignore[assignment]
    for name, value in options.items():
        setattr(run.engine.opts, name, value)
    return run


def journal(tmp_path: Path) -> list[Event]:
    return read_journal(tmp_path / "journal.jsonl").events


def test_an_approved_step_waits_then_runs_and_the_terminal_says_who_may_approve_and_how(
        tmp_path: Path) -> None:
    run = waiting_run(tmp_path, "", Approver(tmp_path), run_url="http://wr:8765/runs/run-1")
    assert run.run() == (RunStatus.COMPLETED, "all steps done")
    types = [(e.type, e.step) for e in journal(tmp_path) if e.step == "drop"]
    assert types[:3] == [(ev.STEP_STARTED, "drop"), (ev.APPROVAL_REQUESTED, "drop"),
                         (ev.APPROVAL_DECIDED, "drop")]
    assert run.executor.commands == ["drop it", "echo after", "page"]
    assert run.display.said("warn")[0] == (f"waiting for approval of drop: anyone but {OPERATOR} "
                                           "may approve it")
    info = run.display.said("info")
    assert "  on the web: http://wr:8765/runs/run-1" in info
    assert "  or from a terminal: runbookctl approve run-1 drop --as NAME" in info
    assert any("runbookctl reject run-1 drop --as NAME --reason TEXT" in line for line in info)
    assert run.display.said("ok")[0].startswith("approved by bob (cli) after ")
    request = run.events(ev.APPROVAL_REQUESTED)[0]
    assert request.data == {"operator": OPERATOR, "reason": "approval: required", "timeout": None,
                            "on_timeout": "abort", "url": "http://wr:8765/runs/run-1"}


def test_the_steps_own_confirmation_still_applies_after_the_approval(tmp_path: Path) -> None:
    run = waiting_run(tmp_path, ", confirm: Sure?, on_no: skip", Approver(tmp_path))
    run.prompter = FakePrompter([False])
    run.engine.sv.prompter = run.prompter
    run.run()
    assert run.statuses["drop"] == "skipped"
    assert run.executor.commands == ["echo after", "page"]


@pytest.mark.parametrize(("extra", "status", "walked", "reason"), [
    ("", RunStatus.ABORTED, ["drop"], "rejected by bob: peak traffic: run aborted"),
    (", on_no: skip", RunStatus.COMPLETED, ["drop", "after", "page-oncall"],
     "rejected by bob: peak traffic: skipped"),
    (", on_no: page-oncall", RunStatus.COMPLETED, ["drop", "page-oncall"],
     "rejected by bob: peak traffic: going to page-oncall"),
])
def test_a_rejection_follows_on_no_with_the_reason(tmp_path: Path, extra: str, status: str,
                                                   walked: list[str], reason: str) -> None:
    run = waiting_run(tmp_path, extra, Approver(tmp_path, "reject", reason="peak traffic"))
    result = run.run()
    assert result[0] == status
    assert run.walked == walked
    finished = run.events(ev.STEP_FINISHED, "drop")[0].data
    assert (finished["status"], finished["reason"], finished.get("skip")) == (
        "skipped", reason, "answered-no")
    assert "drop it" not in run.executor.commands
    if status == RunStatus.ABORTED:
        assert result[1] == "drop rejected by bob: peak traffic"


@pytest.mark.parametrize(("extra", "status", "walked"), [
    (", approval_timeout: 30m", RunStatus.ABORTED, ["drop"]),
    (", approval_timeout: 30m, on_approval_timeout: skip", RunStatus.COMPLETED,
     ["drop", "after", "page-oncall"]),
    (", approval_timeout: 30m, on_approval_timeout: page-oncall", RunStatus.COMPLETED,
     ["drop", "page-oncall"]),
])
def test_no_decision_in_time_times_out_then_aborts_skips_or_escalates(
        tmp_path: Path, wall_clock: FakeClock, extra: str, status: str, walked: list[str]) -> None:
    run = waiting_run(tmp_path, extra)
    assert run.run()[0] == status
    assert run.walked == walked
    timed_out = run.events(ev.APPROVAL_TIMED_OUT)
    assert [e.data["timeout"] for e in timed_out] == [1800.0]
    assert 1800 <= sum(wall_clock.sleeps) < 1800 + 2 * approval.POLL
    assert max(wall_clock.sleeps) <= approval.POLL  # looks again and again: never one long sleep
    assert "drop it" not in run.executor.commands


def test_the_runbooks_approval_timeout_is_the_steps_default(tmp_path: Path) -> None:
    run = make_engine("id: t\ntitle: T\napproval_timeout: 90s\nsteps:\n"
                      "  - {id: drop, run: drop it, approval: required}\n",
                      journal=FileJournal(tmp_path / "journal.jsonl"),  # type: ignore[arg-type]
                      run_dir=tmp_path)
    assert run.run()[0] == RunStatus.ABORTED
    assert run.events(ev.APPROVAL_TIMED_OUT)[0].data == {"timeout": 90.0, "then": "abort"}


def test_a_dry_run_says_the_step_would_wait_and_does_not(tmp_path: Path) -> None:
    run = waiting_run(tmp_path, "", dry_run=True)
    run.run()
    assert run.events(ev.APPROVAL_REQUESTED) == []
    assert "dry run: drop would wait here for a second person's approval (anyone but tester)" \
        in run.display.said("info")


def test_approvals_dangerous_makes_a_dangerous_step_wait_too(tmp_path: Path) -> None:
    text = ("id: t\ntitle: T\nsteps:\n  - {id: drop, run: drop it, dangerous: true}\n")
    for approvals, requested in (("marked", 0), ("dangerous", 1)):
        folder = tmp_path / approvals
        run = make_engine(text, prompter=FakePrompter([True]),
                          journal=FileJournal(folder / "journal.jsonl"),  # type: ignore[arg-type]
                          run_dir=folder)
        run.engine.opts.approvals = approvals
        run.engine.sv.decision_sources = (Approver(folder),)
        run.run()
        assert len(run.events(ev.APPROVAL_REQUESTED)) == requested
        assert run.executor.commands == ["drop it"]


def test_a_decision_from_another_machine_is_journaled_by_the_engine(tmp_path: Path) -> None:
    run = waiting_run(tmp_path, "", Approver(tmp_path, elsewhere=True))
    run.run()
    decided = run.events(ev.APPROVAL_DECIDED)
    assert [(e.actor, e.data["via"], e.data["decision"]) for e in decided] == [
        ("bob", "store", "approve")]


def test_the_operators_own_decision_from_elsewhere_is_ignored_and_said(tmp_path: Path) -> None:
    run = waiting_run(tmp_path, ", approval_timeout: 1s",
                      Approver(tmp_path, by=OPERATOR, elsewhere=True))
    assert run.run()[0] == RunStatus.ABORTED  # nobody else decided: it timed out
    assert run.events(ev.APPROVAL_DECIDED) == []
    assert any("the approver must not be the run's operator (tester)" in w
               for w in run.display.said("warn"))


def test_a_decision_taken_while_the_run_was_down_counts_without_asking_again(
        tmp_path: Path) -> None:
    first = waiting_run(tmp_path)

    class CtrlC:
        def poll(self, run_id: str, step_id: str) -> None:
            raise KeyboardInterrupt

    first.engine.sv.decision_sources = (CtrlC(),)
    with pytest.raises(KeyboardInterrupt):
        first.run()
    assert [e.type for e in journal(tmp_path)][-2:] == [ev.APPROVAL_REQUESTED,
                                                       ev.STEP_INTERRUPTED]
    first.journal.file.close()  # type: ignore[attr-defined]
    decide(tmp_path, "drop", "approve", "bob", None, "cli")  # while the run is down
    second = make_engine(RUNBOOK.format(extra=""), prompter=FakePrompter(interactive=False),
                         journal=_reopened(tmp_path), run_dir=tmp_path)  # type: ignore[arg-type]
    assert second.run()[0] == RunStatus.COMPLETED
    assert [e.type for e in journal(tmp_path)].count(ev.APPROVAL_REQUESTED) == 1
    assert second.executor.commands == ["drop it", "echo after", "page"]


def _reopened(tmp_path: Path) -> FileJournal:
    reopened = FileJournal.__new__(FileJournal)
    reopened.file = Journal.open_append(tmp_path / "journal.jsonl")
    reopened.events = []
    return reopened


def test_a_loop_back_to_an_approved_step_needs_a_new_approval(tmp_path: Path) -> None:
    approver = Approver(tmp_path)
    run = waiting_run(tmp_path, "", approver)
    request, _ = approval.current_request(journal(tmp_path), "drop")
    assert request is None
    run.run()
    approver.polls = 0  # the same person approves the next visit too
    run.engine.walk(run.runbook, "", "drop")
    assert [e.type for e in journal(tmp_path)].count(ev.APPROVAL_REQUESTED) == 2


def test_reminders_fall_due_while_a_step_waits_for_approval(tmp_path: Path,
                                                            wall_clock: FakeClock) -> None:
    """A long wait for a second person is when "post a status update" matters: the
    reminders due during it are journaled (and shown) then, not after the decision."""
    from runbookctl.engine import reminders

    book = RUNBOOK.format(extra=", approval_timeout: 25m").replace(
        "steps:\n", "remind:\n  - {every: 10m, message: Post a status update}\nsteps:\n")
    run = make_engine(book, executor=FakeExecutor(), prompter=FakePrompter(interactive=False),
                      journal=FileJournal(tmp_path / "journal.jsonl"),  # type: ignore[arg-type]
                      run_dir=tmp_path)
    run.engine.reminders = reminders.Reminders(run.engine.runbook.reminders, wall_clock.now)
    run.engine.publish(ev.RUN_STARTED, None, actor=OPERATOR, run_id="run-1", runbook="t")
    assert run.run()[0] == RunStatus.ABORTED
    order = [(e.type, e.data.get("slot")) for e in journal(tmp_path)
             if e.type in (ev.APPROVAL_REQUESTED, ev.REMINDER, ev.APPROVAL_TIMED_OUT)]
    assert order == [(ev.APPROVAL_REQUESTED, None), (ev.REMINDER, 1), (ev.REMINDER, 2),
                     (ev.APPROVAL_TIMED_OUT, None)]
    assert [w for w in run.display.said("warn") if w.startswith("reminder")] == [
        "reminder: Post a status update (10m00s into the run)",
        "reminder: Post a status update (20m00s into the run)"]
