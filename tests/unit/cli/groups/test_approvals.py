"""approve and reject (cli/groups/approvals.py) reach their body with every option."""

from __future__ import annotations

from runbookctl.cli.commands import approve
from tests.unit.cli.groups.conftest import SESSION, UI, Bodies


def test_approve_and_reject_pass_the_run_the_step_the_approver_and_the_reason(
        bodies: Bodies) -> None:
    bodies.replace(approve, "decide_command")
    bodies.invoke("approve", "r-1", "drop")
    bodies.invoke("approve", "r-1", "drop", "--as", "bob", "--reason", "checked the backup")
    bodies.invoke("reject", "r-1", "drop", "--as", "bob", "--reason", "peak traffic")
    assert bodies.calls == [
        ("decide_command", (SESSION, UI, "r-1", "drop", "approve", None, None), {}),
        ("decide_command", (SESSION, UI, "r-1", "drop", "approve", "bob", "checked the backup"),
         {}),
        ("decide_command", (SESSION, UI, "r-1", "drop", "reject", "bob", "peak traffic"), {}),
    ]


def test_reject_without_a_reason_is_refused_before_anything_runs(bodies: Bodies) -> None:
    bodies.replace(approve, "decide_command")
    result = bodies.invoke("reject", "r-1", "drop", "--as", "bob")
    assert result.exit_code == 2
    assert "Missing option '--reason'" in result.output
    assert bodies.calls == []
