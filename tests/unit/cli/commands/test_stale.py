"""Where an unfinished run stopped, as the resume chooser and its exit-2 listing say it."""

from __future__ import annotations

import pytest

from runbookctl.cli.commands.stale import describe, where_stopped
from runbookctl.record.run_state import RunState


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


def test_runs_begun_in_one_second_are_listed_newest_first_by_start_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Ids hold the start second and a random part: "-ffff" began before "-0000" here.
    from pathlib import Path

    from runbookctl.cli.commands import history, stale
    from runbookctl.record import lock as runlock
    from runbookctl.record import writeup as reporting
    states = {
        "20261201T101010Z-db-ffff": "2026-12-01T10:10:10.100Z",
        "20261201T101010Z-db-0000": "2026-12-01T10:10:10.900Z",
        "20261201T101009Z-db-aaaa": "2026-12-01T10:10:09.999Z",
    }
    monkeypatch.setattr(runlock, "is_free", lambda _d: True)
    monkeypatch.setattr(history, "run_dirs", lambda _s: [Path(i) for i in sorted(states)])
    monkeypatch.setattr(reporting, "load_state", lambda d: RunState(
        run_id=d.name, runbook="db", started=states[d.name], status="interrupted"))
    got = [s.run_id for _, s in stale.unfinished_runs(None)]  # type: ignore[arg-type]
    assert got == ["20261201T101010Z-db-0000", "20261201T101010Z-db-ffff",
                   "20261201T101009Z-db-aaaa"]
