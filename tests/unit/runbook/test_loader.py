"""The loader: YAML -> frozen model, every structural problem with file:line:col."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from runbookctl.errors import UsageError, ValidationError
from runbookctl.runbook.loader import (
    SIMPLE_KEYS,
    SPECIAL_KEYS,
    load_runbook,
    load_runbook_text,
    parse_duration,
)
from runbookctl.runbook.model import Branch, Runbook
from runbookctl.runbook.schema import STEP_KEYS
from tests.helpers import FIXTURES

GOOD = FIXTURES / "good"


def problems(text: str, path: str = "rb.yaml") -> list[str]:
    """The formatted first lines of every problem of `text` (none if it loads)."""
    try:
        load_runbook_text(text, path)
    except ValidationError as exc:
        return [p.format().splitlines()[0] for p in exc.problems]
    return []


# --- durations ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "seconds"), [
    ("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("1h30m", 5400.0), ("500ms", 0.5),
    ("1m30s", 90.0), ("1.5h", 5400.0), (45, 45.0), ("90", 90.0), (0.25, 0.25), (" 10s ", 10.0),
])
def test_parse_duration_accepts_units_and_bare_seconds(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["10x", "-5s", "", "5 m", "s", "1h-30m", True, False, None, [1],
                                   -1, {"s": 1}])
def test_parse_duration_rejects_malformed(value: object) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(value)


def test_bad_duration_is_a_problem_at_its_value() -> None:
    text = "title: t\nsteps:\n  - id: a\n    run: sleep 1\n    within: 5\n    until: 'true'\n" \
           "    every: 1 hour\n"
    assert problems(text) == ["rb.yaml:7:12: every: bad duration '1 hour': write it like 30s, 5m, "
                              "1h30m or 500ms (steps[0].every)"]


# --- the model built from a good runbook ---------------------------------------


@pytest.fixture(scope="module")
def everything() -> Runbook:
    return load_runbook(GOOD / "everything.yaml")


def test_good_runbook_header(everything: Runbook) -> None:
    rb = everything
    assert (rb.id, rb.title, rb.severity) == ("everything", "Every action and modifier", "P2")
    assert rb.tags == ("drill", "test") and rb.owners == ("sre-team",)
    assert rb.hosts == {"web": ("deploy@web1.internal:2222", "web2")}
    assert rb.sha256 == hashlib.sha256((GOOD / "everything.yaml").read_bytes()).hexdigest()
    assert [s.action for s in rb.steps] == [
        "message", "run", "run", "confirm", "ask", "ssh", "run", "ssh", "include", "manual", "ask",
        "message"]


def test_good_runbook_inputs_and_secrets(everything: Runbook) -> None:
    inputs = {spec.name: spec for spec in everything.inputs}
    assert inputs["port"].type == "int" and inputs["port"].default == 8080
    assert inputs["ratio"].default == 0.5 and inputs["ratio"].required is False
    assert inputs["verbose"].default is False
    assert inputs["mode"].type == "choice" and inputs["mode"].choices == ("fast", "safe")
    assert inputs["region"].default == "eu-west-1"  # scalar shorthand = default
    assert inputs["service"].prompt == "Service name" and inputs["service"].help == "the systemd unit"
    secrets = {s.name: s for s in everything.secrets}
    assert secrets["API_TOKEN"].env == "API_TOKEN" and secrets["DB_PASSWORD"].env is None


def test_good_runbook_command_modifiers(everything: Runbook) -> None:
    health = everything.step("health")
    assert health.text == "test -n {{ service }}\necho {{ port }}\n"
    assert (health.timeout, health.retries, health.retry_delay) == (10.0, 2, 0.5)
    assert health.readonly and health.capture == "health_out" and health.on_failure == "diagnose"
    assert dict(health.env) == {"SERVICE": "{{ service }}", "TOKEN": "{{ API_TOKEN }}", "PORT": "8080"}
    assert (health.cwd, health.shell) == ("/tmp", "bash")
    assert (health.at("timeout").line, health.at("timeout").col) == (31, 5)
    assert (health.value_pos["env.PORT"].line, health.value_pos["env.PORT"].col) == (36, 69)
    wait = everything.step("wait-ready")
    assert (wait.every, wait.within, wait.on_failure) == (1.0, 60.0, "continue")
    assert [(b.goto, b.cond) for b in wait.next] == [
        ("diagnose", "result.exit_code != 0"), ("restart", "mode == 'fast'")]
    diagnose = everything.step("diagnose")
    assert (diagnose.hosts, diagnose.sudo, diagnose.parallel) == (("web",), True, 2)
    assert diagnose.next == (Branch("restart", None, diagnose.value_pos["next"]),)


def test_good_runbook_human_steps(everything: Runbook) -> None:
    restart = everything.step("restart")
    assert restart.confirm == "" and restart.dangerous and restart.on_no == "wrap-up"
    gate = everything.step("go-on")
    assert gate.dangerous and gate.on_no == "skip" and gate.when == "not verbose"
    choose = everything.step("choose")
    assert choose.var == "path" and choose.answer is not None
    assert (choose.answer.type, choose.answer.choices, choose.answer.default) == (
        "choice", ("restart", "report"), "report")
    assert choose.answer.prompt == "Which path?"
    root = everything.step("root-cause")
    assert root.var == "root_cause" and root.answer is not None and root.answer.pattern == ".{3,}"
    wrap_up = everything.step("wrap-up")
    assert wrap_up.next == (Branch("end", None, wrap_up.value_pos["next"]),)


def test_id_defaults_to_the_file_stem() -> None:
    assert load_runbook(GOOD / "common-checks.yaml").id == "common-checks"


def test_dangerous_command_implies_a_confirmation() -> None:
    rb = load_runbook_text("title: t\nsteps:\n  - id: a\n    run: rm -rf /tmp/x\n    dangerous: true\n"
                           "  - id: b\n    run: echo\n    confirm: false\n", "rb.yaml")
    assert rb.steps[0].confirm == "" and rb.steps[1].confirm is None


def test_loader_reads_every_step_key_of_the_schema() -> None:
    assert set(SIMPLE_KEYS) | SPECIAL_KEYS == set(STEP_KEYS)


# --- problems ----------------------------------------------------------------


def test_a_file_with_three_problems_reports_all_three() -> None:
    text = ("title: Three problems\n"
            "owner: me\n"
            "steps:\n"
            "  - id: a\n"
            "    run: sleep 1\n"
            "    timeout: soon\n"
            "  - id: b\n"
            "    title: nothing to do\n")
    assert problems(text) == [
        "rb.yaml:2:1: unknown key 'owner' (did you mean 'owners'?) (owner)",
        "rb.yaml:6:14: timeout: bad duration 'soon': write it like 30s, 5m, 1h30m or 500ms "
        "(steps[0].timeout)",
        "rb.yaml:7:5: step has no action (one of: run, ssh, confirm, ask, manual, message, include) "
        "(steps[1])",
    ]


def test_problem_shows_the_line_and_a_caret() -> None:
    with pytest.raises(ValidationError) as info:
        load_runbook_text("title: t\nsteps:\n  - id: a\n    run: x\n    retries: many\n", "rb.yaml")
    assert info.value.problems[0].format() == (
        "rb.yaml:5:14: retries: expected a whole number, got 'many' (steps[0].retries)\n"
        "        retries: many\n"
        "                 ^")


@pytest.mark.parametrize(("body", "expected"), [
    ("    confirm: true\n", "confirm step needs a question"),
    ("    run: x\n    confirm: Sure?\n    ask: Why?\n", "step has 2 actions: run and ask"),
    ("    manual: x\n    dangerous: true\n", "`dangerous` does not apply to a manual step"),
    ("    run: x\n    until: ok\n    within: 0s\n", "within: expected a duration above zero"),
    ("    run: x\n    parallel: 3\n", "`parallel` does not apply to a run step"),
    ("    ssh: x\n    hosts: web\n    parallel: 0\n", "expected a number of at least 1, got 0"),
    ("    run: x\n    retries: -1\n", "expected a number of at least 0, got -1"),
    ("    run: x\n    capture: 2fast\n", "'2fast' is not a variable name"),
    ("    run: x\n    capture: steps\n", "'steps' is a reserved name"),
    ("    run: x\n    env: {1BAD: x}\n", "'1BAD' is not an environment variable name"),
    ("    run: x\n    env: {DEBUG: true}\n", "expected text, got true (a boolean)"),
    ("    run: x\n    next: [{if: x, goto: a, els: b}]\n", "unknown key 'els'"),
    ("    run: x\n    next: [{if: x}]\n", "missing `goto`"),
    ("    run: x\n    next: 3\n", "next: expected a step id"),
    ("    ssh: x\n    hosts: []\n", "expected a host group name or a non-empty list"),
    ("    ask: Colour?\n    type: choice\n", "type choice needs `choices:`"),
    ("    ask: Port?\n    type: int\n    choices: [1, 2]\n", "choices: only for type choice"),
    ("    ask: Ok?\n    type: bool\n    default: maybe\n", "'maybe' is not a yes/no value"),
    ("    ask: Name?\n    pattern: '[a-z]+'\n    default: ABC\n", "does not match the pattern"),
    ("    run: x\n    var: y\n", "`var` does not apply to a run step (only to: ask)"),
])
def test_step_problems(body: str, expected: str) -> None:
    found = problems(f"title: t\nsteps:\n  - id: a\n{body}")
    assert len(found) == 1, found
    assert expected in found[0]


def test_ask_step_whose_id_makes_no_variable_needs_var() -> None:
    found = problems("title: t\nsteps:\n  - id: 2nd-try\n    ask: Again?\n")
    assert found == ["rb.yaml:3:9: the answer would be stored in '2nd_try' is not a variable name: "
                     "use letters, digits and _ (not starting with a digit); add `var: NAME` "
                     "(steps[0].id)"]


@pytest.mark.parametrize(("text", "expected"), [
    ("- a\n- b\n", "1:1: a runbook is a map of keys (title, steps, ...), got a list"),
    ("42\n", "1:1: a runbook is a map of keys (title, steps, ...), got 42 (a number)"),
    ("title: t\nsteps: {a: 1}\n", "2:8: steps: expected a list of steps, got a map"),
    ("title: t\nsteps:\n  - null\n", "3:5: a step is a map"),
    ("title: t\nsteps:\n  - [run, x]\n", "3:5: a step is a map"),
    ("title: [a]\nsteps:\n  - {id: a, run: x}\n", "1:8: title: expected text, got a list"),
    ("title:\nsteps:\n  - {id: a, run: x}\n", "1:7: title: no value given"),
    ("title: t\nsteps:\n", "2:7: steps: no value given"),
    ("title: t\nsteps:\n  - {id: a, run: null}\n", "3:18: run: expected text, got nothing (null)"),
    ("title: t\nsteps:\n  - {id: a, run: ''}\n", "run: must not be empty"),
    ("title: t\nsteps:\n  - {id: null, run: x}\n", "id: expected text, got nothing (null)"),
    ("title: t\ninputs: [a, b]\nsteps:\n  - {id: a, run: x}\n", "2:9: inputs: expected a map"),
    ("title: t\ninputs: {a: [1, 2]}\nsteps:\n  - {id: a, run: x}\n", "2:13: a: expected a map of settings"),
    ("title: t\ninputs: {2x: 1}\nsteps:\n  - {id: a, run: x}\n", "'2x' is not a variable name"),
    ("title: t\nsecrets: [A]\nsteps:\n  - {id: a, run: x}\n", "secrets: expected a map"),
    ("title: t\nhosts: {web: {a: 1}}\nsteps:\n  - {id: a, run: x}\n", "web: expected a host group"),
    ("title: t\ntags: 5\nsteps:\n  - {id: a, run: x}\n", "tags: expected a list of text"),
    ("title: t\nid: Big Id\nsteps:\n  - {id: a, run: x}\n", "id: 'Big Id' is not a valid id"),
    ("a: &x [*x]\n", "1:1:"),
    ("title: t\n!weird key: 1\nsteps: []\n", "YAML error"),
    ("title: t\n<<: 5\nsteps: []\n", "YAML error"),
    ("title: t\ninputs: {a: {type: int}}\nsecrets: {a: }\nsteps:\n  - {id: a, run: x}\n",
     "'a' is both an input and a secret"),
])
def test_odd_shapes_are_problems_not_tracebacks(text: str, expected: str) -> None:
    found = problems(text)
    assert found, "expected a problem"
    assert any(expected in line for line in found), found
    assert all(re.match(r"rb\.yaml:\d+:\d+: ", line) for line in found)


def test_numbers_as_ids_are_text() -> None:
    rb = load_runbook_text("title: 404\nsteps:\n  - {id: 5, run: 42}\n", "rb.yaml")
    assert (rb.title, rb.steps[0].id, rb.steps[0].text) == ("404", "5", "42")


def test_non_utf8_file_points_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"title: t\nsteps:\n  - {id: a, run: echo caf\xe9}\n")
    with pytest.raises(ValidationError) as info:
        load_runbook(path)
    assert info.value.problems[0].format() == f"{path}:3:26: not UTF-8 text (byte 0xe9)"


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_runbook(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("where", "text"), [
    ("steps[0].run", 'steps:\n  - {id: a, run: "echo \\0 x"}\n'),
    ("steps[0].env.X", 'steps:\n  - {id: a, run: "true", env: {X: "a\\0"}}\n'),
    ("title", 'title: "T\\0"\nsteps:\n  - {id: a, run: "true"}\n'),
])
def test_a_nul_character_is_refused_at_its_place(where: str, text: str) -> None:
    """exec cannot take a NUL: said by validate at file:line:col, never a crash at run time."""
    body = text if text.startswith("title") else "title: T\n" + text
    found = problems("id: nul\n" + body)
    assert len(found) == 1 and "contains a NUL character" in found[0], found
    assert found[0].startswith("rb.yaml:") and f"({where})" in found[0]
