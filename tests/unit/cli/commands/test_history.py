"""`runs`, `report` and how a RUN_ID names a run (history.find_run): a literal prefix of a
run folder's name in the state dir, never a path or a glob pattern."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.cli.commands import history
from runbookctl.errors import UsageError
from runbookctl.runbook.config import Config


class Session:
    config = Config()


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path / "state"))
    root = tmp_path / "state" / "runs"
    for name in ("20261201T101000Z-db-1a2b", "20261201T101000Z-db-3c4d",
                 "20261202T090000Z-web-5e6f", ".hidden"):
        (root / name / "logs").mkdir(parents=True)
    (root / "20261203T000000Z-a-file").write_text("")  # a file, no run folder
    (tmp_path / "outside").mkdir()
    return root


def _find(run_id: str) -> Path:
    return history.find_run(Session(), run_id)  # type: ignore[arg-type]


def test_an_id_or_a_unique_prefix_names_a_run(runs: Path) -> None:
    assert _find("20261202T090000Z-web-5e6f") == runs / "20261202T090000Z-web-5e6f"
    assert _find("20261202") == runs / "20261202T090000Z-web-5e6f"


def test_a_prefix_of_several_runs_names_them(runs: Path) -> None:
    with pytest.raises(UsageError) as caught:
        _find("20261201")
    assert caught.value.message == ("'20261201' matches 2 runs: 20261201T101000Z-db-1a2b, "
                                    "20261201T101000Z-db-3c4d")


@pytest.mark.parametrize("run_id", [
    "*", "2026*", "2026*db*", "[2]*", "**", "../outside", "../../outside", str(Path("/etc")),
    "..", ".", ".hidden", "", "a" * 300, "20261201T101000Z-db-1a2b/logs", "20261203T000000Z-a",
])
def test_a_path_a_pattern_or_a_non_run_is_no_run(runs: Path, run_id: str) -> None:
    with pytest.raises(UsageError) as caught:
        _find(run_id)
    assert caught.value.message == f"no run '{run_id}' in {runs} (runbookctl runs lists them)"


def test_no_runs_folder_is_no_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path / "none"))
    with pytest.raises(UsageError, match="no run 'x' in "):
        _find("x")


def test_matching_names_compares_text() -> None:
    names = ["r-1", "r-10", ".r-2"]
    assert history.matching_names(names, "r-1") == ["r-1", "r-10"]
    assert history.matching_names(names, "r-1*") == []
    assert history.matching_names(names, ".r") == []
    assert history.matching_names(names, "") == []


@pytest.mark.parametrize(("limit", "status", "message"), [
    (0, None, "--limit 0: give how many runs to show, 1 or more"),
    (1, "done", "--status 'done': not a run status; one of: completed, failed, aborted, "
     "interrupted, running, abandoned"),
])
def test_filters_that_could_only_match_nothing_are_refused(limit: int, status: str | None,
                                                          message: str) -> None:
    with pytest.raises(UsageError) as caught:
        history.check_filters(limit, status)
    assert caught.value.message == message
    history.check_filters(1, "abandoned")


def test_since_reads_a_bare_number_as_seconds() -> None:
    from datetime import UTC, datetime, timedelta

    since = datetime.fromisoformat(history.parse_since("3600") or "").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - timedelta(hours=1) - since).total_seconds()) < 60
    assert history.parse_since("2026-11-01") == "2026-11-01T00:00:00"


def test_since_0_leaves_out_a_run_started_a_moment_ago() -> None:
    """Compared as the journal stamps a start (to the millisecond), not the second: a run
    started earlier in this very second did not start after now."""
    from datetime import UTC, datetime, timedelta

    from runbookctl.record.journal import utc_timestamp

    started = utc_timestamp(datetime.now(UTC) - timedelta(milliseconds=2))
    assert started < (history.parse_since("0") or "")
