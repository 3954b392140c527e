"""`until` obeys the exit-code rule of `expect`; `| int` / `| float` never turn text that is
not a number into 0 — in `expect`, `until` and `when` such a value fails the step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import journal_events, only_report, only_run_dir, run_cli


def _run(tmp_path: Path, steps: str, *extra: str) -> tuple[int, str, str]:
    runbook = tmp_path / "rb.yaml"
    runbook.write_text("id: rb\ntitle: Expressions\nsteps:\n" + steps)
    result = run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp_path / "r"),
                      *extra], cwd=tmp_path, state=tmp_path / "state")
    report = only_report(tmp_path / "r")
    return result.code, result.output, report


def _finished(tmp_path: Path, step: str) -> dict[str, object]:
    events = journal_events(only_run_dir(tmp_path / "state"))
    return next(e["data"] for e in events if e["type"] == "step_finished" and e["step"] == step)


def test_until_is_not_met_while_the_command_fails(tmp_path: Path) -> None:
    """PostgreSQL refusing connections printed nothing and exited 2: `| int` gave 0."""
    steps = ("  - id: wait\n    run: echo 0; exit 2\n    until: result.stdout | int == 0\n"
             "    every: 50ms\n    within: 300ms\n    on_failure: abort\n")
    code, out, report = _run(tmp_path, steps)
    assert code == 1, out
    events = journal_events(only_run_dir(tmp_path / "state"))
    attempts = [e["data"] for e in events if e["type"] == "command_finished"]
    assert attempts and all(a["reason"] == "exit code 2" for a in attempts)  # never met
    assert _finished(tmp_path, "wait")["status"] == "failed"
    assert "until: result.stdout | int == 0 not met within 0.3s" in report


def test_until_that_mentions_exit_code_decides_alone(tmp_path: Path) -> None:
    steps = "  - id: wait\n    run: exit 3\n    until: result.exit_code == 3\n    every: 50ms\n"
    code, out, _ = _run(tmp_path, steps)
    assert code == 0, out
    assert _finished(tmp_path, "wait")["status"] == "ok"


def test_until_passes_once_the_command_succeeds(tmp_path: Path) -> None:
    steps = ("  - id: wait\n    run: n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; "
             "[ $n -ge 2 ] && echo 0 || exit 1\n    until: result.stdout | int == 0\n"
             "    every: 10ms\n    within: 20s\n")
    code, out, _ = _run(tmp_path, steps)
    assert code == 0, out
    assert (tmp_path / "n").read_text() == "3\n"  # two failed attempts, then a pass


@pytest.mark.parametrize(("printed", "expression"), [
    ("ERROR: connection refused", "result.stdout | int == 0"),
    ("", "result.stdout | int < 80"),
    ("n/a", "result.stdout | float <= 0.5"),
])
def test_expect_of_a_value_that_is_not_a_number_fails_the_step(
        tmp_path: Path, printed: str, expression: str) -> None:
    steps = (f"  - id: check\n    run: |\n      echo '{printed}'\n    expect: {expression}\n"
             "    on_failure: abort\n")
    code, out, report = _run(tmp_path, steps)
    assert code == 1, out
    assert f"not a number: {printed!r}" in out
    assert f"not a number: {printed!r}" in report
    assert _finished(tmp_path, "check")["status"] == "failed"


def test_until_of_a_value_that_is_not_a_number_fails_at_once(tmp_path: Path) -> None:
    steps = ("  - id: wait\n    run: |\n      echo 'ERROR: connection refused'\n"
             "    until: result.stdout | int == 0\n    every: 10s\n    within: 10m\n"
             "    on_failure: abort\n")
    code, out, _ = _run(tmp_path, steps)
    assert code == 1, out
    assert "not a number: 'ERROR: connection refused'" in out
    assert "next check" not in out  # no polling on a broken expression
    events = journal_events(only_run_dir(tmp_path / "state"))
    assert sum(e["type"] == "command_started" for e in events) == 1


def test_when_of_a_value_that_is_not_a_number_fails_the_step_not_skips_it(
        tmp_path: Path) -> None:
    steps = ("  - id: usage\n    run: |\n      echo 'psql: error'\n    capture: pct\n"
             "  - id: act\n    when: pct | int > 80\n    run: touch acted\n"
             "    on_failure: continue\n"
             "  - id: after\n    run: touch after\n")
    code, out, report = _run(tmp_path, steps)
    assert "not a number: 'psql: error'" in out
    assert _finished(tmp_path, "act")["status"] == "failed"
    assert not (tmp_path / "acted").exists()
    assert (tmp_path / "after").exists()  # on_failure: continue applies
    assert "not a number: 'psql: error'" in report
    assert code == 0, out
