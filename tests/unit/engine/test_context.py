"""engine/context.py: what a step runner gets — its step and the run's services."""

from __future__ import annotations

from pathlib import Path

from runbookctl.engine.context import RunVars, last_log_number
from runbookctl.prompts.protocol import Answer
from runbookctl.record import events as ev
from tests.unit.engine.fakes import FakePrompter, make_engine

BOOK = "id: t\ntitle: T\nsteps:\n  - {id: my-step, run: x}\n"


def test_the_sudo_password_is_asked_once_and_masked() -> None:
    run = make_engine(BOOK, prompter=FakePrompter(secret="s3cret-sudo-pw"))
    resources = run.engine.resources
    assert resources.sudo_password("a") == resources.sudo_password("b") == "s3cret-sudo-pw"
    assert [a.kind for a in run.prompter.asked] == ["secret"]
    assert "s3cret-sudo-pw" not in run.engine.sv.redactor.mask("pw: s3cret-sudo-pw")


def test_without_a_terminal_sudo_has_no_password() -> None:
    run = make_engine(BOOK, prompter=FakePrompter(interactive=False, secret="x"))
    assert run.engine.resources.sudo_password("a") is None
    assert run.prompter.asked == []


def test_command_logs_are_numbered_in_the_order_commands_ran() -> None:
    resources = make_engine(BOOK).engine.resources
    names = [resources.log_path(k).name for k in ("a", "child/b c", "a")]
    assert names == ["0001-a.log", "0002-child_b_c.log", "0003-a.log"]


def test_a_context_records_answers_and_step_views() -> None:
    run = make_engine(BOOK)
    ctx = run.engine.locate("my-step")
    ctx.record_answer("ask", "why?", Answer("because", "terminal", "ann", None), var="why")
    ctx.record(answer="because")
    answer = run.events(ev.ANSWER)[0]
    assert (answer.step, answer.actor, answer.data["value"], answer.data["var"]) == \
        ("my-step", "ann", "because", "why")
    assert ctx.vars.steps["my_step"]["answer"] == "because" == ctx.vars.steps["my-step"]["answer"]


def test_the_scope_templates_see() -> None:
    variables = RunVars(values={"x": 1}, run={"id": "r"})
    assert variables.scope(result=2) == {"x": 1, "steps": {}, "run": {"id": "r"}, "result": 2}


def test_a_resumed_run_numbers_its_logs_after_those_already_there(tmp_path: Path) -> None:
    """A second session of a run must never reuse a log name: the journal's sha256 of
    the first session's log speaks for that file."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("0001-a.log", "0002-b.web-1.log", "0003-b.web-2.log", "notes.txt"):
        (logs / name).write_text("x")
    assert last_log_number(logs) == 3
    assert last_log_number(tmp_path / "none") == 0
    run = make_engine(BOOK, run_dir=tmp_path)
    assert run.engine.resources.log_path("a").name == "0004-a.log"


def test_numbers_of_quiet_commands_named_by_the_journal_are_not_reused(tmp_path: Path) -> None:
    """A command that printed nothing left no file, but the journal names its log."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "0001-a.log").write_text("x")
    (tmp_path / "journal.jsonl").write_text(
        '{"data":{"log":"/state/runs/r/logs/0002-quiet.log"},"seq":1}\n'
        '{"data":{"log":"/state/runs/r/logs/0007-b.web-1.log"},"seq":2}\n')
    assert last_log_number(tmp_path / "logs") == 7
    (tmp_path / "logs" / "0001-a.log").unlink()
    (tmp_path / "logs").rmdir()
    assert last_log_number(tmp_path / "logs") == 7
