"""Planning a run: which inputs and secrets it has (with includes), where each value
comes from (--var, --vars-file, the terminal, a default), and the engine it builds."""

from __future__ import annotations

import hashlib
import subprocess
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


WIRED = """\
id: wired
title: Wired
hosts:
  web: [web1]
steps:
  - {id: hello, run: "echo hi {{ who }}", capture: said, readonly: true}
  - {id: say, message: note.md.j2}
  - {id: gate, confirm: "Go on?"}
  - {id: remote, ssh: uptime, hosts: web}
"""


def test_the_built_engine_runs_with_the_sessions_runbooks_templates_hosts_and_executors(
        tmp_path: Path) -> None:
    books, templates = tmp_path / "runbooks", tmp_path / "templates"
    books.mkdir()
    templates.mkdir()
    write(books / "wired.yaml", WIRED)
    write(templates / "note.md.j2", "{{ who }} said {{ said }}")
    session = Session.create([books], write(tmp_path / "runbookctl.yaml", "default_timeout: 45s\n"))
    redactor = Redactor()
    redactor.add("ab", "SHORT")
    display, journal, prompter = FakeDisplay(), MemoryJournal(), FakePrompter()
    req = RunRequest("wired", dry_run=True, hosts=["web=cli-host"])
    from runbookctl.engine.context import RunVars

    engine = build_engine(session.registry.load("wired"), session, req, display, prompter,
                          EventStream(Recorder(journal, redactor)),  # type: ignore[arg-type]
                          tmp_path / "run", RunVars(values={"who": "ops"}), "alice")
    assert display.masker is redactor
    assert display.said("warn") == ["secret SHORT is shorter than 4 characters and cannot be "
                                    "masked reliably"]
    assert (engine.opts.dry_run, engine.opts.from_step, engine.opts.operator,
            engine.opts.default_timeout) == (True, None, "alice", 45.0)
    assert engine.run() == ("completed", "all steps done")
    assert engine.vars.values["said"] == "hi ops"  # a real local command ran (readonly)
    assert [e.data["text"] for e in journal.events if e.type == "message"] == ["ops said hi ops"]
    assert any(line.startswith("dry run: would run on cli-host (") and line.endswith("): uptime")
               for line in display.said("skip"))
    assert prompter.asked == []  # a dry run asks nothing
    assert engine.sv.resolve_runbook("wired").id == "wired"
    engine.close()


def test_at_a_terminal_secret_inputs_are_asked_hidden_and_others_by_their_prompt() -> None:
    specs = [(InputSpec("pin", type="int", secret=True, prompt="Your PIN"), "rb"),
             (InputSpec("code", secret=True), "rb"), (InputSpec("who", prompt="Who?"), "rb"),
             (InputSpec("where"), "rb")]
    prompter = FakePrompter(["alice", "eu"], secret="12")
    got = resolve_inputs(RunRequest("rb"), specs, prompter)
    assert [(v, o) for _s, v, o in got] == [(12, "terminal"), ("12", "terminal"), ("alice", "terminal"),
                                            ("eu", "terminal")]
    assert [(a.kind, a.key, a.text) for a in prompter.asked] == [
        ("secret", "pin", "Your PIN"), ("secret", "code", "code"), ("ask", "input:who", "Who?"),
        ("ask", "input:where", "where")]


def test_the_defaults_offered_at_once_list_each_with_its_help() -> None:
    specs = [(InputSpec("service", default="web", help="the unit"), "rb"),
             (InputSpec("port", type="int", default=80), "rb"),
             (InputSpec("token", default="x", secret=True), "rb")]
    prompter = FakePrompter([True], secret="y")
    resolve_inputs(RunRequest("rb"), specs, prompter)
    confirm = prompter.asked[0]
    assert confirm.text == "Use these defaults?\n  service = 'web'  (the unit)\n  port = 80\n"
    assert (confirm.key, confirm.choices, confirm.dangerous) == ("inputs", ("ask each one in turn",), False)


def test_one_default_or_none_is_not_offered_at_once() -> None:
    prompter = FakePrompter(["db"])
    got = resolve_inputs(RunRequest("rb"), [(InputSpec("service", default="web"), "rb")], prompter)
    assert [a.kind for a in prompter.asked] == ["ask"] and got[0][1] == "db"


def test_a_vars_file_must_be_a_mapping(tmp_path: Path) -> None:
    from runbookctl.errors import ValidationError

    bad = write(tmp_path / "vars.yaml", "- a\n")
    with pytest.raises(ValidationError) as err:
        resolve_inputs(RunRequest("rb", vars_file=bad), SPECS, FakePrompter())
    assert "a vars file must be a mapping (name: value)" in err.value.message


def test_a_vars_file_problem_is_said_at_its_file_line_and_column(tmp_path: Path) -> None:
    """Before, a bad value said no place and a mistyped name was ignored (the default ran)."""
    from runbookctl.errors import ValidationError

    port = [(InputSpec("port", type="int", default=1), "rb")]
    for text, message in [
        ("port: eighty\n", f"{tmp_path / 'vars.yaml'}:1:7: input port: 'eighty' is not an "
                            "integer (from --vars-file)\n    port: eighty\n          ^"),
        ("port: 2\nprot: 8080\n", f"{tmp_path / 'vars.yaml'}:2:1: prot: the runbook has no "
                                   "input 'prot' (inputs: port)\n    prot: 8080\n    ^"),
    ]:
        vars_file = write(tmp_path / "vars.yaml", text)
        with pytest.raises(ValidationError) as err:
            resolve_inputs(RunRequest("rb", vars_file=vars_file), port, FakePrompter())
        assert err.value.message == message


def test_a_var_for_a_runbook_without_inputs_says_it_has_none() -> None:
    with pytest.raises(UsageError) as err:
        resolve_inputs(RunRequest("rb", variables=["x=1"]), [], FakePrompter())
    assert err.value.message.endswith("(inputs: none)")


def test_values_for_steps_run_from_skips_come_like_inputs(session: Session, tmp_path: Path) -> None:
    from runbookctl.engine.planning import carried_of

    rb = session.registry.load("cap")
    carried = carried_of(rb, session, "use")
    got = resolve_inputs(RunRequest("cap", variables=["version=1.0"], from_step="use"), [],
                         FakePrompter(), carried)
    assert [(s.name, v, o) for s, v, o in got] == [("version", "1.0", "--var, for skipped step get")]
    vars_file = write(tmp_path / "v.yaml", "version: '2.0'\n")
    got = resolve_inputs(RunRequest("cap", vars_file=vars_file, from_step="use"), [], FakePrompter(),
                         carried)
    assert got[0][1:] == ("2.0", "--vars-file, for skipped step get")
    asked = FakePrompter(["3.0"])
    got = resolve_inputs(RunRequest("cap", from_step="use"), [], asked, carried)
    assert got[0][1] == "3.0" and "(--from use skips it)" in asked.asked[0].text


def test_secrets_are_asked_with_their_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("A_TOKEN", raising=False)
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    prompter = FakePrompter(secret="typed")
    resolve_secrets([SecretSpec("TOKEN", env="A_TOKEN", prompt="API token"), SecretSpec("DB_PASSWORD")],
                    prompter)
    assert [(a.key, a.text) for a in prompter.asked] == [("TOKEN", "API token"),
                                                         ("DB_PASSWORD", "DB_PASSWORD (hidden)")]


SECRETIVE = """\
id: secretive
title: Secretive
severity: P2
inputs:
  service: {default: web}
  pin: {type: int, secret: true}
secrets:
  TOKEN: {env: API_TOKEN}
steps:
  - {id: a, confirm: "Go {{ service }}?"}
"""


def git_repo(path: Path) -> str:
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "books"], check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()


def test_prepare_run_journals_the_start_inputs_and_secrets_and_locks_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl import __version__
    from runbookctl.engine.planning import prepare_run, signing_setup
    from runbookctl.record import lock
    from runbookctl.record.journal import read_journal

    books = tmp_path / "books"
    books.mkdir()
    path = write(books / "secretive.yaml", SECRETIVE)
    config = write(tmp_path / "runbookctl.yaml", f"state_dir: {tmp_path / 'state'}\n"
                                                 f"reports_dir: {tmp_path / 'reports'}\n")
    commit = git_repo(books)
    session = Session.create([books], config)
    monkeypatch.delenv("RUNBOOKCTL_STATE_DIR", raising=False)
    monkeypatch.setenv("API_TOKEN", "tk")  # too short to be masked reliably: the run says so
    answers = write(tmp_path / "answers.yaml", "a: yes\n")
    req = RunRequest("secretive", variables=["pin=4321"], answers=answers, no_input=True, yes=True,
                     operator="alice", incident="INC-7", commit=True)
    rb = session.registry.load("secretive")
    display = FakeDisplay()
    prepared = prepare_run(req, session, rb, display)
    try:
        assert prepared.run_dir.parent == tmp_path / "state" / "runs"
        assert "-secretive-" in prepared.run_id and prepared.run_dir.name == prepared.run_id
        assert lock.holder(prepared.run_dir).endswith("(runbookctl run)")
        events = read_journal(prepared.run_dir / "journal.jsonl").events
        start = events[0]
        assert (start.type, start.step, start.actor) == ("run_started", None, "alice")
        assert start.data == {
            "run_id": prepared.run_id, "runbook": "secretive", "title": "Secretive", "severity": "P2",
            "path": str(path.resolve()), "sha256": rb.sha256, "git_commit": commit,
            "version": __version__, "incident": "INC-7", "report_dir": str(tmp_path / "reports"),
            "dry_run": False, "from_step": None, "no_input": True, "yes": True, "hosts": None,
            "answers": {"path": str(answers), "sha256": hashlib.sha256(answers.read_bytes()).hexdigest()}}
        assert [(e.type, e.step, e.actor, e.data) for e in events[1:]] == [
            ("input", None, "alice", {"name": "service", "value": "web", "origin": "default"}),
            ("input", None, "alice", {"name": "pin", "value": "***", "origin": "--var"}),
            ("secret", None, "runbookctl", {"name": "TOKEN", "origin": "env API_TOKEN"})]
        engine = prepared.engine
        assert engine.runbook is rb and engine.sv.run_dir == prepared.run_dir
        assert engine.vars.values == {"service": "web", "pin": 4321, "TOKEN": "tk"}
        assert engine.vars.run == {"id": prepared.run_id, "operator": "alice", "runbook": "secretive",
                                   "started_at": prepared.run_id[:16]}
        assert engine.opts.operator == "alice"
        assert prepared.events.recorder.head_hash == events[-1].hash
        assert prepared.redactor.mask("pin 4321, service web") == "pin ***, service web"
        assert display.said("warn") == ["secret TOKEN is shorter than 4 characters and cannot be "
                                        "masked reliably"]
        assert (prepared.commit, prepared.template_dirs) == (True, session.registry.template_dirs)
        assert prepared.signing == signing_setup(session)  # the key that signs the record
        # the run's prompter: the answers file, then --yes for the operator, then refusal
        written = engine.sv.prompter.confirm("a", "Go?", dangerous=True, no_means="abort the run")
        assert (written.value, written.origin) == (True, "answers-file")
        given = engine.sv.prompter.confirm("other", "Go?", dangerous=False, no_means="abort the run")
        assert (given.value, given.origin, given.actor) == (True, "--yes", "alice (--yes)")
        with pytest.raises(NoAnswerError, match="--no-input"):
            engine.sv.prompter.confirm("other", "Go?", dangerous=True, no_means="abort the run")
        from runbookctl.safety.masking import active

        assert active() is prepared.redactor
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


def test_a_note_at_a_question_is_journaled_masked_by_the_operator_where_it_was_made() -> None:
    from runbookctl.engine.planning import take_notes
    from runbookctl.prompts.answers_file import AnswersFile
    from runbookctl.prompts.answers_prompter import AnswersPrompter
    from runbookctl.prompts.terminal import RefusingPrompter, TerminalPrompter

    journal = MemoryJournal()
    events = EventStream(Recorder(journal, Redactor(["hunter2-secret"])))  # type: ignore[arg-type]
    terminal = TerminalPrompter("alice")
    behind_a_file = AnswersPrompter(AnswersFile.from_data({}), False, terminal, operator="alice")
    assert take_notes(behind_a_file, events, "alice") is True
    assert terminal.notes is not None
    terminal.notes("gate", "tried pw hunter2-secret")
    terminal.notes("", "before any step")
    assert [(e.type, e.step, e.actor, e.data) for e in journal.events] == [
        ("note", "gate", "alice", {"text": "tried pw ***", "origin": "prompt"}),
        ("note", None, "alice", {"text": "before any step", "origin": "prompt"}),
    ]
    # --no-input, no terminal: nobody is asked, so nobody can add a note there
    assert take_notes(RefusingPrompter(), events, "alice") is False
