"""`remind:` through the real CLI: a due reminder is shown between steps, journaled
as a `reminder` event, and in the report's timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import journal_events, only_report, only_run_dir, run_cli, write

pytestmark = pytest.mark.integration

# The first step lasts at least `every` (sleep never returns early), so a reminder is
# due when it ends, however fast or slow the machine: even one already shown before it
# (a slow start) has its next multiple passed by then. No timing race, only a floor.
RUNBOOK = """\
id: remind
title: Remind
remind:
  - {every: 20ms, message: Post a status update to the incident channel}
steps:
  - {id: first, run: sleep 0.02}
  - {id: second, run: echo second-ran}
"""


def test_a_due_reminder_is_shown_journaled_and_in_the_timeline(work: Path) -> None:
    (work / "runbooks").mkdir()
    write(work / "runbooks" / "remind.yaml", RUNBOOK)
    result = run_cli(["--runbooks", str(work / "runbooks"), "run", "remind", "--no-input",
                      "--report-dir", str(work / "reports")], cwd=work, state=work / "state")
    assert result.code == 0, result.output
    out = result.output
    assert "reminder: Post a status update to the incident channel" in out
    # shown between the steps: after the first one, before the second one starts
    assert out.index("second-ran") > out.rindex("reminder: Post")
    events = journal_events(only_run_dir(work / "state"))
    types = [e["type"] for e in events]
    between = types[types.index("step_finished"):types.index("step_started", types.index("step_finished"))]
    assert between.count("reminder") == 1  # once, however many multiples went by
    reminder = [e for e in events if e["type"] == "reminder"][-1]["data"]
    assert reminder["message"] == "Post a status update to the incident channel"
    assert reminder["every"] == 0.02 and reminder["slot"] >= 1 and reminder["elapsed"] >= 0.02
    assert "reminder: Post a status update to the incident channel" in only_report(work / "reports")
