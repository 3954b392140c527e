"""`runs` (with filters) and `stats` agree with the journals they are computed from."""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run_cli

pytestmark = pytest.mark.integration


def _ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """Three completed runs, one stopped at a prompt, one aborted at a gate."""
    for i, answers in enumerate(["gate: yes", "gate: yes", "gate: yes", None, "gate: no"]):
        out = tmp_path / f"out{i}"
        out.mkdir()
        args = ["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var", f"out={out}",
                "--no-input", "--report-dir", str(tmp_path / "reports")]
        if answers:
            (tmp_path / f"a{i}.yaml").write_text(answers + "\n")
            args += ["--answers", str(tmp_path / f"a{i}.yaml")]
        run_cli(args, cwd=tmp_path, state=tmp_path / "state")
    return tmp_path


def _json(work: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli([*args, "--json"], cwd=work, state=work / "state")
    assert result.code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def _journal_durations(work: Path) -> list[float]:
    out = []
    for journal in (work / "state" / "runs").glob("*/journal.jsonl"):
        events = [json.loads(line) for line in journal.read_text().splitlines()]
        end = [e for e in events if e["type"] == "run_finished"]
        if end and end[-1]["data"]["status"] == "completed":
            out.append((_ts(end[-1]["ts"]) - _ts(events[0]["ts"])).total_seconds())
    return out


def test_runs_lists_and_filters(history: Path) -> None:
    rows = _json(history, "runs")
    assert len(rows) == 5
    assert sorted(str(r["status"]) for r in rows) == [
        "aborted", "completed", "completed", "completed", "interrupted"]
    assert [r["status"] for r in _json(history, "runs", "--status", "aborted")] == ["aborted"]
    assert len(_json(history, "runs", "--limit", "2")) == 2
    assert _json(history, "runs", "--runbook", "other") == []
    assert len(_json(history, "runs", "--since", "1d")) == 5
    assert _json(history, "runs", "--since", "2999-01-01") == []


def test_stats_agree_with_the_journals(history: Path) -> None:
    rows = _json(history, "stats")
    assert len(rows) == 1
    row = rows[0]
    assert row["runbook"] == "counted" and row["runs"] == 5 and row["completed"] == 3
    assert row["completion_rate"] == 0.6
    durations = _journal_durations(history)
    assert len(durations) == 3
    assert row["median_seconds"] == pytest.approx(statistics.median(durations), abs=0.06)
    assert row["statuses"] == {"completed": 3, "interrupted": 1, "aborted": 1}


def test_bad_since_is_a_usage_error(history: Path) -> None:
    result = run_cli(["runs", "--since", "last tuesday"], cwd=history, state=history / "state")
    assert result.code == 2
    assert "--since 'last tuesday'" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--status", "bogus"], "runbookctl: --status 'bogus': not a run status; one of: completed, "
     "failed, aborted, interrupted, running, abandoned\n"),
    (["--limit", "0"], "runbookctl: --limit 0: give how many runs to show, 1 or more\n"),
    (["--limit", "-1"], "runbookctl: --limit -1: give how many runs to show, 1 or more\n"),
])
def test_a_filter_that_can_match_nothing_is_a_usage_error(history: Path, args: list[str],
                                                           message: str) -> None:
    result = run_cli(["runs", *args], cwd=history, state=history / "state")
    assert (result.code, result.stderr) == (2, message)


def test_since_takes_a_bare_number_of_seconds_as_every_duration(history: Path) -> None:
    assert len(_json(history, "runs", "--since", "3600")) == 5


@pytest.mark.parametrize(("args", "named"), [
    (["--since", "0"], "--since 0 (started after "),
    (["--since", "2999-01-01"], "--since 2999-01-01 (started after 2999-01-01 00:00:00 UTC)"),
    (["--status", "failed"], "--status failed"),
    (["--runbook", "other"], "--runbook other"),
    (["--runbook", "counted", "--status", "abandoned"], "--runbook counted --status abandoned"),
])
def test_a_filter_that_matches_no_run_says_so_naming_it(history: Path, args: list[str],
                                                         named: str) -> None:
    result = run_cli(["runs", *args], cwd=history, state=history / "state")
    assert result.code == 0, result.output
    assert f"  no run matches {named}" in result.stdout
    assert result.stdout.rstrip("\n").endswith(f"; 5 runs in {history / 'state' / 'runs'}")
    assert "no runs yet" not in result.output


def test_no_runs_yet_only_when_there_are_none(tmp_path: Path) -> None:
    for args in ([], ["--since", "0"], ["--status", "failed"]):
        result = run_cli(["runs", *args], cwd=tmp_path, state=tmp_path / "state")
        assert result.code == 0, result.output
        assert result.stdout.endswith(f"  no runs yet in {tmp_path / 'state' / 'runs'}\n")


def test_stats_of_a_runbook_with_no_run_says_so(history: Path) -> None:
    result = run_cli(["stats", "--runbook", "other"], cwd=history, state=history / "state")
    assert result.code == 0, result.output
    assert result.stdout.endswith("  no run of runbook other among the 5 found\n")


def test_only_damaged_journals_is_not_no_runs_yet(tmp_path: Path) -> None:
    run_dir = tmp_path / "state" / "runs" / "20260101T000000Z-x-0000"
    run_dir.mkdir(parents=True)
    (run_dir / "journal.jsonl").write_text("garbage\n")
    result = run_cli(["runs"], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert f"skipped a damaged journal: {run_dir / 'journal.jsonl'}:1:" in result.output
    assert result.stdout.endswith(f"  no readable run; 1 run in {tmp_path / 'state' / 'runs'}\n")
