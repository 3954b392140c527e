"""The two-person rule's keys: `approval: required`, `approval_timeout` (step, or the
runbook's default), `on_approval_timeout`; config `approvals:` and `url:`; how
validate and the step graph read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import ValidationError
from runbookctl.runbook.config import DEFAULT_URL, Config, load_config
from runbookctl.runbook.graph import edges
from runbookctl.runbook.loader import load_runbook_text
from tests.unit.check.test_validate import check_text

HEAD = "id: t\ntitle: T\n"


def test_a_step_requires_approval_with_a_timeout_and_an_escalation() -> None:
    rb = load_runbook_text(HEAD + "approval_timeout: 30m\nsteps:\n"
                           "  - {id: drop, run: x, approval: required, approval_timeout: 5m,"
                           " on_approval_timeout: page, on_no: skip}\n"
                           "  - {id: page, run: page}\n", "t.yaml")
    drop = rb.steps[0]
    assert (drop.approval, drop.approval_timeout, drop.on_approval_timeout, drop.on_no) == (
        True, 300.0, "page", "skip")
    assert rb.approval_timeout == 1800.0
    assert (rb.steps[1].approval, rb.steps[1].on_approval_timeout) == (False, "abort")


@pytest.mark.parametrize(("step", "message"), [
    ("{id: a, run: x, approval: always}", "expected one of required, got 'always'"),
    ("{id: a, run: x, approval_timeout: 5m}", "`approval_timeout` needs an approval: add "
     "`approval: required`"),
    ("{id: a, run: x, on_approval_timeout: skip}", "`on_approval_timeout` needs an approval"),
    ("{id: a, ask: Why?, approval: required}", "approval"),
    ("{id: a, run: x, approval: required, approval_timeout: 0}", "approval_timeout"),
])
def test_bad_approval_keys_are_refused_at_their_place(step: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_runbook_text(HEAD + f"steps:\n  - {step}\n", "t.yaml")
    first = caught.value.problems[0]
    assert message in first.message and first.pos.line == 4


def test_a_dangerous_step_may_set_its_timeout_for_approvals_dangerous() -> None:
    rb = load_runbook_text(HEAD + "steps:\n  - {id: a, run: x, dangerous: true,"
                           " approval_timeout: 1m}\n", "t.yaml")
    assert rb.steps[0].approval_timeout == 60.0


def test_validate_names_an_escalation_to_no_step(tmp_path: Path) -> None:
    problems = check_text(HEAD + "steps:\n  - {id: drop, run: x, approval: required,"
                          " on_approval_timeout: page-oncal}\n  - {id: page-oncall, run: p}\n",
                          tmp_path)
    line = "  - {id: drop, run: x, approval: required, on_approval_timeout: page-oncal}"
    assert problems == [f"{tmp_path / 'rb.yaml'}:4:{line.index('page-oncal') + 1}: "
                        "on_approval_timeout: no step 'page-oncal' in this runbook (did you mean "
                        "'page-oncall'?) (steps[0].on_approval_timeout)"]


def test_the_step_graph_has_the_rejection_and_the_timeout() -> None:
    rb = load_runbook_text(HEAD + "steps:\n  - {id: drop, run: x, approval: required,"
                           " on_no: skip, on_approval_timeout: page}\n  - {id: page, run: p}\n",
                           "t.yaml")
    found = {(e.src, e.dst, e.label) for e in edges(rb) if e.kind == "no"}
    assert found == {("drop", "page", "rejected"), ("drop", "page", "approval timed out")}


def test_config_approvals_and_url(tmp_path: Path) -> None:
    path = tmp_path / "runbookctl.yaml"
    path.write_text("approvals: dangerous\nurl: https://warroom.example:8765/\n")
    config = load_config(path)
    assert config.approvals == "dangerous"
    assert config.run_url("r-1") == "https://warroom.example:8765/runs/r-1"
    assert Config().run_url("r-1") == f"{DEFAULT_URL}/runs/r-1" == "http://127.0.0.1:8765/runs/r-1"
    path.write_text("approvals: everything\n")
    with pytest.raises(ValidationError, match="approvals: must be one of marked, dangerous"):
        load_config(path)
