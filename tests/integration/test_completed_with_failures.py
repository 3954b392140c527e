"""A run that completed past failed steps never reads as a plain success: the terminal
status line, the report's front matter (`failed_steps:`), status row and summary say
"completed — N steps failed (continued)"; a manual check answered failed is a failed step
everywhere (timeline, counts, weekly carry-over). The exit code stays 0 (documented)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import journal_events, only_report, run_cli

STEPS = """\
  - id: db
    run: echo 'could not connect to server' >&2; exit 2
    on_failure: continue
  - id: dashboard
    manual: Check that the dashboard is green
  - id: after
    run: echo after >> log
"""
ANSWERS = "dashboard: {status: failed, note: graphs are red, on_failure: skip}\n"


def _run(tmp_path: Path, steps: str, answers: str, command: str = "run",
         name: str = "rb") -> tuple[int, str]:
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir(exist_ok=True)
    (runbooks / f"{name}.yaml").write_text(f"id: {name}\ntitle: Checks\nsteps:\n" + steps)
    (tmp_path / "answers.yaml").write_text(answers)
    target = name.removeprefix("weekly-") if command == "weekly" else name
    result = run_cli(["--runbooks", str(runbooks), command, target, "--no-input", "--answers",
                      str(tmp_path / "answers.yaml"), "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    return result.code, result.output


def _front_matter(report: str) -> dict[str, object]:
    data = yaml.safe_load(report.split("---\n")[1])
    assert isinstance(data, dict)
    return data


def test_completed_with_failed_steps_says_so_everywhere(tmp_path: Path) -> None:
    code, out = _run(tmp_path, STEPS, ANSWERS)
    assert code == 0, out
    assert (tmp_path / "log").read_text() == "after\n"
    assert "Run completed — 2 steps failed (continued)" in out
    report = only_report(tmp_path / "r")
    front = _front_matter(report)
    assert front["status"] == "completed"
    assert front["failed_steps"] == ["db", "dashboard"]
    assert "| **Status** | ⚠️ **completed — 2 steps failed (continued)**" in report
    assert "✅ **completed" not in report
    assert "The run **completed — 2 steps failed (continued)**: `db`, `dashboard`." in report
    assert "| **Steps** | 2 failed, 1 ok |" in report
    listed = run_cli(["runs"], cwd=tmp_path, state=tmp_path / "state")
    assert "completed — 2 steps failed (continued)" in listed.output
    rows = json.loads(run_cli(["runs", "--json"], cwd=tmp_path, state=tmp_path / "state").stdout)
    assert (rows[0]["status"], rows[0]["failed_steps"]) == ("completed", ["db", "dashboard"])


def test_a_manual_check_answered_failed_is_failed_not_skipped(tmp_path: Path) -> None:
    code, out = _run(tmp_path, STEPS, ANSWERS)
    assert code == 0, out
    finished = {e["step"]: e["data"] for e in journal_events(next((tmp_path / "state" / "runs")
                                                                  .iterdir()))
                if e["type"] == "step_finished"}
    assert finished["dashboard"]["status"] == "failed"
    assert "skipped" not in finished["dashboard"]["reason"]
    report = only_report(tmp_path / "r")
    assert "skipped after failure" not in report
    failed_list = report.split("Failed steps:")[1]
    assert "- `dashboard` dashboard — marked failed: graphs are red" \
        in failed_list


@pytest.mark.parametrize(("steps", "answers", "shown"), [
    ("  - id: a\n    run: exit 1\n    on_failure: continue\n  - id: b\n    run: 'true'\n", "{}",
     "completed — 1 step failed (continued)"),
    ("  - id: a\n    run: 'true'\n", "{}", "completed"),
])
def test_the_count_is_exact(tmp_path: Path, steps: str, answers: str, shown: str) -> None:
    code, out = _run(tmp_path, steps, answers)
    assert code == 0, out
    assert f"Run {shown} (" in out
    front = _front_matter(only_report(tmp_path / "r"))
    assert front["failed_steps"] == (["a"] if "failed" in shown else [])


def test_weekly_reports_the_failed_check_and_carries_it_over_as_failed(tmp_path: Path) -> None:
    code, out = _run(tmp_path, STEPS, ANSWERS, command="weekly", name="weekly-monday")
    assert code == 0, out
    assert "Run completed — 2 steps failed (continued)" in out
    answers = "carry-over/db: still open\ncarry-over/dashboard: resolved\ndashboard: done\n"
    code, out = _run(tmp_path, STEPS.replace("exit 2", "exit 0"), answers, command="weekly",
                     name="weekly-monday")
    assert code == 0, out
    assert "Last run: dashboard (dashboard) was failed: marked " \
           "failed: graphs are red" in out
    assert "Run completed (" in out


SKIPPED = """\
  - id: db
    run: echo 'could not connect to server' >&2; exit 2
  - id: gate
    confirm: Go on?
  - id: after
    run: echo after >> log
"""


def _says_one_failed_everywhere(tmp_path: Path, out: str) -> None:
    """The run went on past `db`, skipped after it failed: never a plain "completed"."""
    assert "Run completed — 1 step failed (continued)" in out
    assert "Failed steps: db" in out
    report = only_report(tmp_path / "r")
    assert _front_matter(report)["failed_steps"] == ["db"]
    assert "| **Status** | ⚠️ **completed — 1 step failed (continued)**" in report
    assert "The run **completed — 1 step failed (continued)**: `db`." in report
    assert "- `db` db — skipped after failure: exit code 2" in report
    assert "| **Steps** | 1 failed, 2 ok |" in report  # never "1 skipped": it failed
    listed = run_cli(["runs"], cwd=tmp_path, state=tmp_path / "state")
    assert "completed — 1 step failed (continued)" in listed.output
    rows = json.loads(run_cli(["runs", "--json"], cwd=tmp_path, state=tmp_path / "state").stdout)
    assert (rows[0]["status"], rows[0]["status_text"], rows[0]["failed_steps"]) == (
        "completed", "completed — 1 step failed (continued)", ["db"])


def test_a_failed_step_the_operator_skipped_is_a_completed_run_with_failures(
        tmp_path: Path) -> None:
    code, out = _run(tmp_path, SKIPPED, "db: {on_failure: skip}\ngate: yes\n")
    assert code == 0, out
    assert (tmp_path / "log").read_text() == "after\n"
    _says_one_failed_everywhere(tmp_path, out)


def test_a_skip_before_a_resume_still_counts_after_it(tmp_path: Path) -> None:
    code, out = _run(tmp_path, SKIPPED, "db: {on_failure: skip}\n")
    assert code == 2, out  # stopped at the gate nobody answered: resumable
    (tmp_path / "go.yaml").write_text("gate: yes\n")
    resumed = run_cli(["--runbooks", str(tmp_path / "runbooks"), "resume", "--no-input",
                       "--answers", str(tmp_path / "go.yaml")], cwd=tmp_path,
                      state=tmp_path / "state")
    assert resumed.code == 0, resumed.output
    _says_one_failed_everywhere(tmp_path, resumed.output)
