"""Resume planned from the record, in-process: a real run stops, its journal file is
replayed, and prepare_resume brings back its inputs (secret ones asked again), answers,
captures and step outcomes, journals that it resumed, and walks on. A stop point the
runbook no longer has is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.check.workspace import Session
from runbookctl.engine.planning import prepare_run
from runbookctl.engine.request import RunRequest
from runbookctl.engine.resume import check_stop_point, prepare_resume, resume_point
from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.record import lock
from runbookctl.record.journal import read_journal
from runbookctl.record.replay import replay
from tests.helpers import write
from tests.unit.engine.fakes import FakeDisplay, FakePrompter

BOOK = """\
id: deploy
title: Deploy
inputs:
  service: {default: web}
  pin: {type: int, secret: true}
steps:
  - {id: get, run: "echo 1.2", capture: version}
  - {id: pick, ask: Where?, var: region}
  - {id: bad, run: "exit 3", on_failure: continue}
  - {id: gate, confirm: "Deploy {{ version }} to {{ region }}?"}
  - {id: deploy, run: "echo {{ service }} {{ version }} {{ region }} {{ pin }} {{ steps.bad.exit_code }}"}
"""


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    books = tmp_path / "books"
    books.mkdir()
    write(books / "deploy.yaml", BOOK)
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path / "state"))
    return Session.create([books], write(tmp_path / "runbookctl.yaml", "{}\n"))


def stopped_run(session: Session, killed: bool = False) -> Path:
    """A real run (local commands really run) that stops at the gate: nobody answers.
    As the CLI does, the run's end is journaled as interrupted — unless it was killed."""
    rb = session.registry.load("deploy")
    req = RunRequest("deploy", variables=["pin=4321"], no_input=True, operator="alice")
    prepared = prepare_run(req, session, rb, FakeDisplay())
    prepared.engine.sv.prompter = FakePrompter(["eu"])  # answers `pick`, not the gate
    try:
        with pytest.raises(NoAnswerError):
            prepared.engine.run()
        if not killed:
            prepared.engine.finish("interrupted", "stopped: no answer for gate")
    finally:
        prepared.events.recorder.journal.close()
        lock.release(prepared.run_dir)
    return prepared.run_dir


def test_a_stopped_run_is_planned_again_from_its_record_and_walks_on(session: Session) -> None:
    run_dir = stopped_run(session)
    state = replay(read_journal(run_dir / "journal.jsonl").events)
    rb = session.registry.load("deploy")
    check_stop_point(state, rb, session.registry.load)  # the gate is still there
    prompter = FakePrompter([True], secret="4321")
    display = FakeDisplay()
    req = RunRequest("deploy", operator="bob")
    prepared, how = prepare_resume(state, rb, session, req, display, prompter, run_dir, "bob",
                                   forced=False, torn=None)
    try:
        assert how == "after an interruption"
        engine = prepared.engine
        # (a secret input comes back as typed again: text, where the first run had an int)
        assert {k: str(v) for k, v in engine.vars.values.items()} == {
            "service": "web", "pin": "4321", "region": "eu", "version": "1.2"}
        assert engine.vars.steps["bad"]["exit_code"] == 3 and engine.vars.steps["bad"]["status"] == "failed"
        assert engine.vars.steps["pick"]["answer"] == "eu"
        assert [(a.kind, a.key) for a in prompter.asked] == [("secret", "pin")]
        assert prompter.asked[0].text == "pin (secret input, not stored: enter it again)"
        assert prepared.redactor.mask("pin 4321") == "pin ***"
        point = resume_point(state, engine)
        assert point is not None and (point.key, point.rerun) == ("gate", True)
        assert engine.run(point) == ("completed", "completed; failed steps continued past: bad")
    finally:
        prepared.events.recorder.journal.close()
    events = read_journal(run_dir / "journal.jsonl").events
    resumed = next(e for e in events if e.type == "run_resumed")
    assert (resumed.actor, resumed.data["note"], resumed.data["forced"], resumed.data["torn"]) == (
        "bob", "after an interruption", False, None)
    assert resumed.data["runbook_sha256"] == rb.sha256
    deploy = [e for e in events if e.type == "command_started" and e.step == "deploy"]
    assert [e.data["command"] for e in deploy] == ["echo web 1.2 eu *** 3"]
    assert [e.step for e in events if e.type == "command_started"] == ["get", "bad", "deploy"]


def test_a_secret_input_comes_back_from_var_or_stops_the_resume(session: Session) -> None:
    run_dir = stopped_run(session, killed=True)
    state = replay(read_journal(run_dir / "journal.jsonl").events)
    rb = session.registry.load("deploy")
    with pytest.raises(NoAnswerError) as err:
        prepare_resume(state, rb, session, RunRequest("deploy"), FakeDisplay(),
                       FakePrompter(interactive=False), run_dir, "bob", forced=True, torn="cut")
    assert err.value.message == "input 'pin' is secret and was not stored: resume with --var pin=..."
    prepared, how = prepare_resume(state, rb, session, RunRequest("deploy", variables=["pin=99"]),
                                   FakeDisplay(), FakePrompter(interactive=False), run_dir, "bob",
                                   forced=True, torn="cut")
    prepared.events.recorder.journal.close()
    assert str(prepared.engine.vars.values["pin"]) == "99"
    assert how == "after the run stopped without an end event (killed?)"
    resumed = [e for e in read_journal(run_dir / "journal.jsonl").events if e.type == "run_resumed"]
    assert [(e.data["forced"], e.data["torn"]) for e in resumed] == [(True, "cut")]


def test_a_stop_point_the_runbook_no_longer_has_is_refused(session: Session, tmp_path: Path) -> None:
    run_dir = stopped_run(session)
    state = replay(read_journal(run_dir / "journal.jsonl").events)
    renamed = write(tmp_path / "books" / "deploy.yaml", BOOK.replace("id: gate", "id: approve"))
    rb = Session.create([renamed.parent], tmp_path / "runbookctl.yaml").registry.load("deploy")
    with pytest.raises(UsageError) as err:
        check_stop_point(state, rb, session.registry.load)
    assert err.value.message.startswith(f"cannot resume run {state.run_id}: it stopped at step "
                                        "'gate', which the runbook no longer has")
    assert "steps of deploy now: get, pick, bad, approve, deploy" in err.value.message
    assert "runbookctl run deploy --from STEP" in err.value.message
