"""Where an unfinished run stopped, as the resume chooser and its exit-2 listing say it."""

from __future__ import annotations

import pytest

from runbookctl.commands.stale import describe, where_stopped
from runbookctl.state import RunState


@pytest.mark.parametrize(("path", "reason", "expected"), [
    ([], "", "before the first step"),
    ([("one", "ok"), ("two", "running")], "", "at two"),
    ([("one", "ok"), ("two", "interrupted")], "interrupted by Ctrl-C",
     "at two: interrupted by Ctrl-C"),
    ([("one", "ok")], "stopped by SIGTERM", "after one (ok): stopped by SIGTERM"),
    ([("child/write", "failed")], "", "after child/write (failed)"),
    ([("gate", "running")], "x" * 200, "at gate: " + "x" * 89 + "…"),
])
def test_where_stopped(path: list[tuple[str, str]], reason: str, expected: str) -> None:
    assert where_stopped(RunState(path=path, reason=reason)) == expected


def test_describe_names_id_runbook_start_and_stop() -> None:
    state = RunState(run_id="20261201T101010Z-db-1a2b", runbook="db",
                     started="2026-12-01T10:10:10.123Z", path=[("kill", "running")])
    assert describe(state) == "20261201T101010Z-db-1a2b  db  started 2026-12-01 10:10:10  stopped at kill"
