"""`milestone:` on a step (#14.1/#14.3): read from the one schema, checked with its place,
journaled through the engine's event stream when the step ends ok, and nowhere else."""

from __future__ import annotations

import pytest

from runbookctl.errors import ValidationError
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.schema import runbook_schema


def test_a_step_marks_a_milestone() -> None:
    rb = load_runbook_text("id: x\ntitle: X\nsteps:\n  - id: fix\n    run: 'true'\n"
                           "    milestone: mitigated\n", "x.yaml")
    assert rb.steps[0].milestone == "mitigated"
    step_schema = runbook_schema()["$defs"]["step"]["properties"]["milestone"]
    assert step_schema["enum"] == ["acknowledged", "mitigated", "resolved"]


def test_an_unknown_milestone_is_refused_at_its_place() -> None:
    with pytest.raises(ValidationError) as caught:
        load_runbook_text("id: x\ntitle: X\nsteps:\n  - id: fix\n    run: 'true'\n"
                          "    milestone: fixed\n", "x.yaml")
    text = str(caught.value)
    assert "x.yaml:6:16" in text and "expected one of acknowledged, mitigated, resolved" in text
