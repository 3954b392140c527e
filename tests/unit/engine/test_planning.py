"""Planning a run: which inputs and secrets it has (with includes), where each value
comes from (--var, --vars-file, the terminal, a default), and the engine it builds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from runbookctl.check.workspace import Session
from runbookctl.engine.planning import all_inputs, all_secrets, build_engine, resolve_inputs, resolve_secrets
from runbookctl.engine.request import RunRequest
from runbookctl.engine.stream import EventStream
from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.record.events import Recorder
from runbookctl.runbook.model import InputSpec, SecretSpec
from runbookctl.safety.masking import Redactor
from tests.helpers import write
from tests.unit.engine.fakes import FakeDisplay, FakePrompter, MemoryJournal

PARENT = """\
id: parent
title: Parent
inputs:
  service: {default: web}
  port: {type: int, default: 8080}
secrets:
  TOKEN: {env: API_TOKEN}
steps:
  - {id: a, run: "echo {{ service }} {{ port }}"}
  - {id: sub, include: child}
"""
CHILD = """\
id: child
title: Child
inputs:
  service: {default: other}
  region: {}
secrets:
  TOKEN: {env: API_TOKEN}
  DB_PASSWORD: {}
steps:
  - {id: b, run: "echo {{ region }}"}
"""


CAP = """\
id: cap
title: Captures
steps:
  - {id: get, run: echo v, capture: version}
  - {id: use, run: "echo {{ version }}"}
"""


@pytest.fixture
def session(tmp_path: Path) -> Session:
    write(tmp_path / "parent.yaml", PARENT)
    write(tmp_path / "child.yaml", CHILD)
    write(tmp_path / "cap.yaml", CAP)
    config = write(tmp_path / "runbookctl.yaml", "default_timeout: 45s\n")
    return Session.create([tmp_path], config)


def test_inputs_and_secrets_include_the_included_runbooks_first_declaration_wins(
        session: Session) -> None:
    rb = session.registry.load("parent")
    inputs = all_inputs(rb, session)
    assert [(spec.name, owner) for spec, owner in inputs] == [
        ("service", "parent"), ("port", "parent"), ("region", "child")]
    assert inputs[0][0].default == "web"
    assert [s.name for s in all_secrets(rb, session)] == ["TOKEN", "DB_PASSWORD"]


SPECS = [(InputSpec("service", default="web"), "rb"), (InputSpec("port", type="int", default=80), "rb"),
         (InputSpec("region"), "rb")]


def test_values_come_from_var_then_vars_file_then_the_terminal(tmp_path: Path) -> None:
    vars_file = write(tmp_path / "vars.yaml", "port: 443\nregion: eu\n")
    req = RunRequest("rb", variables=["service=api", "port=8443"], vars_file=vars_file)
    got = resolve_inputs(req, SPECS, FakePrompter())
    assert [(s.name, v, origin) for s, v, origin in got] == [
        ("service", "api", "--var"), ("port", 8443, "--var"), ("region", "eu", "--vars-file")]


def test_without_a_terminal_defaults_are_used_and_a_required_input_stops_the_run() -> None:
    nobody = FakePrompter(interactive=False)
    with pytest.raises(NoAnswerError) as err:
        resolve_inputs(RunRequest("rb"), SPECS, nobody)
    assert "input 'region' needs a value" in err.value.message
    got = resolve_inputs(RunRequest("rb", variables=["region=us"]), SPECS, nobody)
    assert [(v, origin) for _s, v, origin in got] == [("web", "default"), (80, "default"),
                                                       ("us", "--var")]


def test_at_a_terminal_defaults_are_offered_at_once() -> None:
    prompter = FakePrompter([True, "eu"])
    got = resolve_inputs(RunRequest("rb"), SPECS, prompter)
    assert [(v, origin) for _s, v, origin in got] == [
        ("web", "default (accepted at start)"), (80, "default (accepted at start)"),
        ("eu", "terminal")]
    confirm, ask = prompter.asked
    assert confirm.kind == "confirm" and "service = 'web'" in confirm.text and "port = 80" in confirm.text
    assert (ask.kind, ask.key) == ("ask", "input:region")


def test_declining_the_defaults_asks_each_one() -> None:
    prompter = FakePrompter([False, "db", "81", "eu"])
    got = resolve_inputs(RunRequest("rb"), SPECS, prompter)
    assert [v for _s, v, _o in got] == ["db", 81, "eu"]
    assert [a.key for a in prompter.asked] == ["inputs", "input:service", "input:port", "input:region"]


def test_an_unknown_or_badly_typed_var_is_refused() -> None:
    with pytest.raises(UsageError) as err:
        resolve_inputs(RunRequest("rb", variables=["nope=1"]), SPECS, FakePrompter())
    assert "--var nope: the runbook has no input 'nope' (inputs: port, region, service)" in err.value.message
    with pytest.raises(UsageError) as err:
        resolve_inputs(RunRequest("rb", variables=["port=eighty", "region=x"]), SPECS,
                       FakePrompter(interactive=False))
    assert "(from --var)" in err.value.message


def test_a_secret_input_that_does_not_fit_is_not_shown() -> None:
    specs = [(InputSpec("pin", type="int", secret=True), "rb")]
    with pytest.raises(UsageError) as err:
        resolve_inputs(RunRequest("rb", variables=["pin=hunter2"]), specs, FakePrompter())
    assert "hunter2" not in err.value.message and "secret: not shown" in err.value.message


def test_secrets_come_from_the_environment_else_are_asked_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", "tok-from-env")
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    specs = [SecretSpec("TOKEN", env="API_TOKEN"), SecretSpec("DB_PASSWORD")]
    prompter = FakePrompter(secret="typed")
    assert resolve_secrets(specs, prompter) == [("TOKEN", "tok-from-env", "env API_TOKEN"),
                                                ("DB_PASSWORD", "typed", "terminal")]
    with pytest.raises(NoAnswerError) as err:
        resolve_secrets(specs, FakePrompter(interactive=False))
    assert "export DB_PASSWORD=" in err.value.message


def test_build_engine_wires_the_session_and_request_into_the_engine(session: Session,
                                                                    tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.add("ab", "SHORT")
    display = FakeDisplay()
    rb = session.registry.load("parent")
    req = RunRequest("parent", dry_run=True, from_step="sub")
    engine = build_engine(rb, session, req, display, FakePrompter(),
                          EventStream(Recorder(MemoryJournal(), redactor)),  # type: ignore[arg-type]
                          tmp_path, None, "ops")
    assert (engine.opts.dry_run, engine.opts.from_step, engine.opts.operator) == (True, "sub", "ops")
    assert engine.opts.default_timeout == 45.0
    assert engine.sv.resolve_runbook("child").id == "child"
    assert display.masker is redactor
    assert display.said("warn") == ["secret SHORT is shorter than 4 characters and cannot be "
                                    "masked reliably"]


def test_prepare_run_journals_the_start_inputs_and_secrets_and_locks_the_run(
        session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl.engine.planning import prepare_run
    from runbookctl.record import lock
    from runbookctl.record.journal import read_journal

    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("API_TOKEN", "tok-abcdef123")
    monkeypatch.setenv("DB_PASSWORD", "pw-abcdef123")
    answers = write(tmp_path / "answers.yaml", "a: yes\n")
    req = RunRequest("parent", variables=["region=eu", "port=81"], answers=answers, no_input=True,
                     operator="alice", incident="INC-7", report_dir=tmp_path / "reports",
                     from_step="a")
    rb = session.registry.load("parent")
    display = FakeDisplay()
    prepared = prepare_run(req, session, rb, display)
    try:
        assert prepared.run_dir.parent == tmp_path / "state" / "runs"
        assert prepared.run_id.endswith(prepared.run_dir.name.split("-")[-1])
        assert lock.holder(prepared.run_dir).endswith("(runbookctl run)")
        events = read_journal(prepared.run_dir / "journal.jsonl").events
        start = events[0]
        assert (start.type, start.actor) == ("run_started", "alice")
        assert {k: start.data[k] for k in ("runbook", "title", "incident", "from_step", "no_input",
                                           "dry_run", "yes")} == {
            "runbook": "parent", "title": "Parent", "incident": "INC-7", "from_step": "a",
            "no_input": True, "dry_run": False, "yes": False}
        assert start.data["answers"] == {"path": str(answers), "sha256": hashlib.sha256(
            answers.read_bytes()).hexdigest()}
        assert start.data["report_dir"] == str((tmp_path / "reports").resolve())
        assert [(e.type, e.data["name"], e.data.get("value"), e.data["origin"]) for e in events[1:]] == [
            ("input", "service", "web", "default"), ("input", "port", "81", "--var"),
            ("input", "region", "eu", "--var"),
            ("secret", "TOKEN", None, "env API_TOKEN"), ("secret", "DB_PASSWORD", None, "env DB_PASSWORD")]
        engine = prepared.engine
        assert engine.vars.values == {"service": "web", "port": 81, "region": "eu",
                                      "TOKEN": "tok-abcdef123", "DB_PASSWORD": "pw-abcdef123"}
        assert engine.vars.run == {"id": prepared.run_id, "operator": "alice", "runbook": "parent",
                                   "started_at": prepared.run_id[:16]}
        assert prepared.redactor.mask("tok-abcdef123 pw-abcdef123").count("abcdef123") == 0
        assert prepared.events.recorder.head_hash == events[-1].hash
    finally:
        lock.release(prepared.run_dir)


def test_prepare_run_refuses_an_unknown_from_step_and_a_missing_answers_file(
        session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl.engine.planning import prepare_run

    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("API_TOKEN", "tok-abcdef123")
    monkeypatch.setenv("DB_PASSWORD", "pw-abcdef123")
    rb = session.registry.load("parent")
    with pytest.raises(UsageError) as err:
        prepare_run(RunRequest("parent", from_step="nope", no_input=True), session, rb, FakeDisplay())
    assert err.value.message == "--from nope: no such step in parent (steps: a, sub)"
    assert not (tmp_path / "state").exists()  # refused before a run folder was made


def test_run_from_a_later_step_carries_the_names_earlier_steps_would_have_set(
        session: Session) -> None:
    from runbookctl.engine.planning import carried_of

    rb = session.registry.load("cap")
    assert [(c.name, c.key) for c in carried_of(rb, session, "use")] == [("version", "get")]
    assert carried_of(rb, session, None) == []
