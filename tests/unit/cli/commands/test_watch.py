"""cli/commands/watch.py: journal events shown as the run's terminal view shows them, and
the exit code of each outcome."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from runbookctl.cli.commands.watch import WatchView, outcome_code
from runbookctl.cli.terminal import UI
from runbookctl.record.run_state import RunState, StepRecord
from runbookctl.web.follow import Follower
from runbookctl.web.runs_source import RunsSource
from tests.unit.web.runs import (
    RUN,
    append,
    command,
    ended,
    finished_command,
    note,
    step,
    step_done,
    write_run,
)


class _Session:
    class registry:
        @staticmethod
        def load_path(path: Path) -> None:
            raise OSError("no runbook here")


def _shown(run_dir: Path) -> str:
    out = io.StringIO()
    ui = UI(out)
    view = WatchView(ui, _Session(), run_dir)  # type: ignore[arg-type]
    for item in Follower(RunsSource(run_dir.parent), run_dir.name, output=True).poll():
        view.show(item.event, item.output)
    assert view.summary() == 0
    return out.getvalue()


def test_a_run_reads_as_its_own_terminal_view(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check", "Check the load"))
    append(run_dir, command("check", run_dir))
    (run_dir / "logs" / "0001-check.log").write_text("load is 3.2\n\x1b[2Jcleared?\n")
    append(run_dir, finished_command("check", run_dir), step_done("check"),
           ("approval_requested", "check", "runbookctl", {
               "operator": "alice", "reason": "approval: required", "timeout": None,
               "on_timeout": "abort", "url": "http://127.0.0.1:8765/runs/R"}),
           ("approval_decided", "check", "carol", {"decision": "approve", "by": "carol",
                                                   "reason": "lag 0", "via": "web"}),
           ("answer", "check", "bob", {"kind": "confirm", "question": "Restart?", "value": True,
                                       "origin": "terminal"}),
           note("paged the DBA"), ended())
    text = _shown(run_dir)
    for line in ("Runbook db — DB overload", f"Run {RUN}", "▶ check Check the load (run)",
                 "$ echo hi", "  load is 3.2\n  ␛[2Jcleared?", "✔ ok (0.1s)",
                 "Restart? → True (answered by bob, terminal)",
                 "waiting for a second person's approval (anyone but alice): http://127.0.0.1:8765/runs/R",
                 "approved by carol (web): lag 0", "note by bob: paged the DBA",
                 f"Run completed ({RUN})", "Duration:"):
        assert line in text, (line, text)
    assert "\x1b" not in text


@pytest.mark.parametrize(("status", "failed", "code"), [
    ("completed", False, 0), ("completed", True, 0), ("failed", False, 1), ("aborted", False, 1),
    ("interrupted", False, 130), ("abandoned", False, 1)])
def test_the_exit_code_is_the_runs_own(status: str, failed: bool, code: int) -> None:
    state = RunState(status=status)
    if failed:
        state.steps["x"] = StepRecord("x", "X", "run", status="failed")
    assert outcome_code(state) == code
