"""engine/context.py: what a step runner gets — its step and the run's services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runbookctl.engine.context import Resources, RunVars
from runbookctl.prompts.protocol import Answer
from runbookctl.record import events as ev
from runbookctl.safety.masking import Redactor
from tests.unit.engine.run_fakes import ScriptedPrompter, harness, runbook


@dataclass
class _SudoPrompter(ScriptedPrompter):
    typed: int = 0

    def secret(self, key: str, prompt: str) -> str:
        self.typed += 1
        return "s3cret-sudo-pw"


def _resources(tmp_path: Path, prompter: ScriptedPrompter) -> tuple[Resources, Redactor]:
    h = harness(tmp_path, runbook("title: T\nsteps:\n  - id: a\n    run: x\n"), prompter)
    return h.engine.resources, h.engine.sv.redactor


def test_the_sudo_password_is_asked_once_and_masked(tmp_path: Path) -> None:
    prompter = _SudoPrompter()
    resources, redactor = _resources(tmp_path, prompter)
    assert resources.sudo_password("a") == resources.sudo_password("b") == "s3cret-sudo-pw"
    assert prompter.typed == 1
    assert "s3cret-sudo-pw" not in redactor.mask("pw: s3cret-sudo-pw")


def test_without_a_terminal_sudo_has_no_password(tmp_path: Path) -> None:
    prompter = _SudoPrompter(interactive=False)
    resources, _ = _resources(tmp_path, prompter)
    assert resources.sudo_password("a") is None and prompter.typed == 0


def test_command_logs_are_numbered_in_the_order_commands_ran(tmp_path: Path) -> None:
    resources, _ = _resources(tmp_path, ScriptedPrompter())
    names = [resources.log_path(k).name for k in ("a", "child/b c", "a")]
    assert names == ["0001-a.log", "0002-child_b_c.log", "0003-a.log"]


def test_a_context_records_answers_and_step_views(tmp_path: Path) -> None:
    h = harness(tmp_path, runbook("title: T\nsteps:\n  - id: my-step\n    run: x\n"),
                ScriptedPrompter())
    ctx = h.engine.locate("my-step")
    ctx.record_answer("ask", "why?", Answer("because", "terminal", "ann", None), var="why")
    ctx.record(answer="because")
    answer = next(e for e in h.journal() if e.type == ev.ANSWER)
    assert (answer.step, answer.actor, answer.data["value"], answer.data["var"]) == \
        ("my-step", "ann", "because", "why")
    assert ctx.vars.steps["my_step"]["answer"] == "because" == ctx.vars.steps["my-step"]["answer"]


def test_the_scope_templates_see() -> None:
    variables = RunVars(values={"x": 1}, run={"id": "r"})
    assert variables.scope(result=2) == {"x": 1, "steps": {}, "run": {"id": "r"}, "result": 2}
