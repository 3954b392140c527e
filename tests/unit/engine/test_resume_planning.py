"""Resume planned from the record, in-process: a real run stops, its journal file is
replayed, and prepare_resume brings back its inputs (secret ones asked again), answers,
captures and step outcomes, journals that it resumed, and walks on. A stop point the
runbook no longer has is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.check.workspace import Session
from runbookctl.engine.planning import PreparedRun, prepare_run, signing_setup
from runbookctl.engine.request import RunRequest
from runbookctl.engine.resume import check_stop_point, prepare_resume, restore_vars, resume_point
from runbookctl.errors import CorruptJournal, NoAnswerError, UsageError
from runbookctl.record import events as ev
from runbookctl.record import lock
from runbookctl.record.events import Recorder
from runbookctl.record.journal import read_journal
from runbookctl.record.replay import replay
from runbookctl.safety import masking
from runbookctl.safety.masking import Redactor
from tests.helpers import write
from tests.unit.engine.fakes import FakeDisplay, FakePrompter, MemoryJournal

BOOK = """\
id: deploy
title: Deploy
inputs:
  service: {default: web}
  pin: {type: int, secret: true}
secrets:
  token: {env: DEPLOY_TOKEN}
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
    monkeypatch.setenv("DEPLOY_TOKEN", "tok-1234")
    return Session.create([books], write(tmp_path / "runbookctl.yaml", "{}\n"))


def stopped_run(session: Session, killed: bool = False, req: RunRequest | None = None,
                answers: tuple[str, ...] = ("eu",)) -> Path:
    """A real run (local commands really run) that stops at the gate: nobody answers.
    As the CLI does, the run's end is journaled as interrupted — unless it was killed."""
    rb = session.registry.load("deploy")
    req = req or RunRequest("deploy", variables=["pin=4321"], no_input=True, operator="alice")
    prepared = prepare_run(req, session, rb, FakeDisplay())
    prepared.engine.sv.prompter = FakePrompter(answers)  # answers `pick`, not the gate
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
            "service": "web", "pin": "4321", "region": "eu", "version": "1.2",
            "token": "tok-1234"}
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


def resume(session: Session, run_dir: Path, req: RunRequest | None = None,
           prompter: FakePrompter | None = None) -> tuple[PreparedRun, FakeDisplay]:
    """prepare_resume as `runbookctl resume` calls it (by bob); the journal left open."""
    state = replay(read_journal(run_dir / "journal.jsonl").events)
    display = FakeDisplay()
    prepared, _how = prepare_resume(state, session.registry.load("deploy"), session,
                                    req or RunRequest("deploy", variables=["pin=5678"]), display,
                                    prompter or FakePrompter(), run_dir, "bob", forced=False,
                                    torn=None)
    return prepared, display


def test_the_resumed_run_is_the_same_run_its_templates_see_the_same_run(
        session: Session) -> None:
    run_dir = stopped_run(session)
    req = RunRequest("deploy", variables=["pin=5678"], commit=True)
    prepared, _display = resume(session, run_dir, req)
    try:
        run_id = run_dir.name
        assert (prepared.run_id, prepared.run_dir, prepared.commit) == (run_id, run_dir, True)
        assert prepared.template_dirs == session.registry.template_dirs
        assert prepared.signing == signing_setup(session)
        # {{ run.* }} as the run that stopped had it: started by alice, at the run id's time
        assert prepared.engine.vars.run == {"id": run_id, "operator": "alice",
                                            "runbook": "deploy", "started_at": run_id[:16]}
        # the resumed part of the record is signed in the name of who resumed it
        prepared.engine.signed({"events": 1, "head": "h", "signature": "s", "fingerprint": "f"})
    finally:
        prepared.events.recorder.journal.close()
    signed = [e for e in read_journal(run_dir / "journal.jsonl").events if e.type == "record_signed"]
    assert [e.actor for e in signed] == ["bob"]


def test_the_secrets_of_a_resumed_run_are_masked_everywhere(session: Session,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    run_dir = stopped_run(session)
    monkeypatch.setenv("DEPLOY_TOKEN", "tok-5678")  # rotated since: read again, not journaled
    prepared, _display = resume(session, run_dir)
    prepared.events.recorder.journal.close()
    assert prepared.engine.vars.values["token"] == "tok-5678"
    assert prepared.redactor.mask("tok-5678 and 5678") == "*** and ***"
    assert masking.mask_active("error: tok-5678") == "error: ***"  # error messages too


def test_a_secret_too_short_to_mask_is_named_in_a_warning(session: Session,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = stopped_run(session)
    monkeypatch.setenv("DEPLOY_TOKEN", "ab")
    prepared, display = resume(session, run_dir, RunRequest("deploy", variables=["pin=12"]))
    prepared.events.recorder.journal.close()
    assert display.said("warn") == [
        f"secret {name} is shorter than 4 characters and cannot be masked reliably"
        for name in ("token", "pin")]


def test_a_runbook_secret_is_asked_again_when_not_in_the_environment(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = stopped_run(session)
    monkeypatch.delenv("DEPLOY_TOKEN")
    prompter = FakePrompter(secret="typed-9876")
    prepared, _display = resume(session, run_dir, prompter=prompter)
    prepared.events.recorder.journal.close()
    assert [(a.kind, a.key) for a in prompter.asked] == [("secret", "token")]
    assert prepared.engine.vars.values["token"] == "typed-9876"


def test_the_values_given_for_the_steps_run_from_skipped_come_back(session: Session) -> None:
    req = RunRequest("deploy", variables=["pin=4321", "version=2.0", "region=us"],
                     no_input=True, operator="alice", from_step="gate")
    run_dir = stopped_run(session, req=req, answers=())
    prepared, _display = resume(session, run_dir)
    prepared.events.recorder.journal.close()
    values = prepared.engine.vars.values
    assert (values["version"], values["region"]) == ("2.0", "us")


def test_a_journaled_input_the_runbook_no_longer_accepts_is_bad_data_named(
        session: Session, tmp_path: Path) -> None:
    run_dir = stopped_run(session)
    state = replay(read_journal(run_dir / "journal.jsonl").events)
    write(tmp_path / "books" / "deploy.yaml", BOOK.replace("service: {default: web}",
                                                           "service: {type: int, default: 1}"))
    changed = Session.create([tmp_path / "books"], tmp_path / "runbookctl.yaml")
    with pytest.raises(CorruptJournal) as err:
        restore_vars(state, changed.registry.load("deploy"), changed, FakePrompter(),
                     ["pin=1234"], Redactor())
    assert err.value.message.startswith(f"run {state.run_id}: the journaled input ")
    assert "service" in err.value.message
    assert err.value.message.endswith(
        "(the runbook or the journal changed since the run began)")


def test_later_steps_see_steps_id_as_the_stopped_run_left_them(tmp_path: Path) -> None:
    books = tmp_path / "nested"
    books.mkdir()
    write(books / "outer.yaml", "id: outer\ntitle: O\nsteps:\n"
                                "  - {id: check-web, ssh: uptime, hosts: [web1, web2]}\n"
                                "  - {id: m, include: mid}\n  - {id: old, run: 'true'}\n")
    write(books / "mid.yaml", "id: mid\ntitle: M\nsteps:\n  - {id: i, include: inner}\n")
    write(books / "inner.yaml", "id: inner\ntitle: I\nsteps:\n  - {id: read-it, run: cat v}\n")
    session = Session.create([books], write(tmp_path / "runbookctl.yaml", "{}\n"))
    web = [{"host": h, "exit_code": 0, "tail": "up"} for h in ("web1", "web2")]
    journal = MemoryJournal()
    rec = Recorder(journal, Redactor())  # type: ignore[arg-type]
    rec.event(ev.RUN_STARTED, None, run_id="20260101T000000Z-abcd", runbook="outer", title="O")
    for key, hosts in (("check-web", web),
                       ("mid/inner/read-it", [{"host": "local", "exit_code": 0, "tail": "v2"}]),
                       ("old", [{"host": "local", "exit_code": 0}])):  # journaled without a tail
        rec.event(ev.STEP_STARTED, key, title=key, action="run")
        rec.event(ev.COMMAND_STARTED, key, command="c")
        rec.event(ev.COMMAND_FINISHED, key, ok=True, reason=None, hosts=hosts)
        rec.event(ev.STEP_FINISHED, key, status="ok", reason="ok", duration=0.1, flow={})
    variables = restore_vars(replay(journal.events), session.registry.load("outer"), session,
                             FakePrompter(), [], Redactor())
    steps = variables.steps
    # several hosts: no one stdout, each host's result under its name
    assert steps["check-web"] == {"status": "ok", "exit_code": 0, "stdout": "", "stderr": "",
                                  "answer": None, "hosts": {"web1": web[0], "web2": web[1]}}
    assert steps["check_web"] is steps["check-web"]
    # one host: its output's tail; inside includes by its key, its id and its id with _
    assert steps["mid/inner/read-it"] == {"status": "ok", "exit_code": 0, "stdout": "v2",
                                          "stderr": "", "answer": None,
                                          "hosts": {"local": {"host": "local", "exit_code": 0,
                                                              "tail": "v2"}}}
    assert steps["read-it"] is steps["mid/inner/read-it"] is steps["read_it"]
    assert steps["old"]["stdout"] == ""
