"""Stale runs: a bare `resume` never guesses among unfinished runs (a chooser at a real
terminal, exit 2 listing them without one, the only one taken), and `discard` closes one
as abandoned. Through the real CLI and a real pty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, expect_completed, journal_events, run_cli, spawn_cli

pytestmark = pytest.mark.integration

RUNBOOKS = FIXTURES / "resume"


def _cli(work: Path, *args: str) -> tuple[int, str]:
    result = run_cli(["--runbooks", str(RUNBOOKS), *args], cwd=work, state=work / "state")
    return result.code, result.output


def _stopped_runs(work: Path, n: int) -> list[str]:
    """`n` runs of counted, each stopped at its unanswered gate (exit 2); oldest first
    (in the order they were started: runs begun in one second do not sort by id)."""
    runs = work / "state" / "runs"
    ids: list[str] = []
    for _ in range(n):
        before = set(runs.iterdir()) if runs.is_dir() else set()
        code, out = _cli(work, "run", "counted", "--var", f"out={work / 'out'}", "--no-input",
                         "--report-dir", str(work / "reports"))
        assert code == 2, out
        (new,) = set(runs.iterdir()) - before
        ids.append(new.name)
    return ids


def _journals(work: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in (work / "state" / "runs").glob("*/journal.jsonl")}


def test_without_a_terminal_several_unfinished_runs_are_listed_and_none_is_taken(
        work: Path) -> None:
    ids = _stopped_runs(work, 3)
    before = _journals(work)
    code, out = _cli(work, "resume", "--no-input")
    assert code == 2, out
    assert "3 unfinished runs; say which one to resume (runbookctl resume RUN_ID), or close " \
           "one that is no longer wanted (runbookctl discard RUN_ID):" in out
    for run_id in ids:
        line = next(x for x in out.splitlines() if run_id in x)
        assert "  counted  started 20" in line and "stopped at gate: step 'gate' needs an answer" \
            in line, line
    assert _journals(work) == before  # nothing resumed, nothing written


def test_the_only_unfinished_run_is_taken_and_named(work: Path) -> None:
    (run_id,) = _stopped_runs(work, 1)
    (work / "go.yaml").write_text("gate: yes\n")
    code, out = _cli(work, "resume", "--no-input", "--answers", str(work / "go.yaml"))
    assert code == 0, out
    assert f"the only unfinished run: {run_id}  counted  started" in out
    assert (work / "out" / "log").read_text().splitlines()[-1] == "three"


def test_no_unfinished_run_is_a_usage_error(work: Path) -> None:
    code, out = _cli(work, "resume", "--no-input")
    assert code == 2 and "no unfinished run to resume" in out


def test_discard_ends_a_run_as_abandoned_everywhere(work: Path) -> None:
    old, new = _stopped_runs(work, 2)
    code, out = _cli(work, "discard", old, "--reason", "wrong answers file")
    assert code == 0, out
    assert f"Run abandoned ({old})" in out
    last = journal_events(work / "state" / "runs" / old)[-1]
    assert (last["type"], last["actor"], last["data"]["reason"]) == \
        ("run_abandoned", "tester", "wrong answers file")
    report_path = Path(out.split("Report: ", 1)[1].split()[0])
    report = report_path.read_text()
    assert 'status: "abandoned"' in report
    assert "**abandoned** — discarded by tester: wrong answers file" in report
    assert _cli(work, "verify", str(report_path))[0] == 0
    code, out = _cli(work, "runs", "--status", "abandoned", "--json")
    assert [r["id"] for r in json.loads(out)] == [old]
    code, out = _cli(work, "runs")
    assert "abandoned" in next(x for x in out.splitlines() if x.startswith(f" {old} "))
    code, out = _cli(work, "resume", old, "--no-input")
    assert code == 2
    assert f"run {old} was abandoned (discarded by tester: wrong answers file): it cannot be " \
           "resumed; start a new run with: runbookctl run counted" in out
    code, out = _cli(work, "resume", "--no-input")  # the one left is taken
    assert code == 2 and f"the only unfinished run: {new}" in out


@pytest.mark.parametrize(("target", "message"), [
    ("ENDED", "already ended (abandoned); only an unfinished run can be discarded"),
    ("nope", "no run 'nope'"),
])
def test_discard_refuses_what_it_cannot_close(work: Path, target: str, message: str) -> None:
    (run_id,) = _stopped_runs(work, 1)
    assert _cli(work, "discard", run_id)[0] == 0
    code, out = _cli(work, "discard", run_id if target == "ENDED" else target)
    assert code == 2 and message in out and "internal error" not in out


def test_discard_has_help() -> None:
    code, out = _cli(Path.cwd(), "discard", "--help")
    assert code == 0 and "--reason TEXT" in out and "abandoned" in out


def test_at_a_terminal_the_operator_chooses_the_run(work: Path) -> None:
    older, newer = _stopped_runs(work, 2)
    child = spawn_cli(["--runbooks", str(RUNBOOKS), "resume"], work, work / "state")
    child.expect_exact("2 unfinished runs: which one to resume?")
    child.expect_exact(older)  # newest first: the older one is the second choice
    child.send("\x1b[B")  # arrow down
    child.send("\r")
    child.expect_exact(f"resuming {older}")
    child.expect_exact("Continue to step three?")
    child.send("y\r")
    expect_completed(child)
    assert journal_events(work / "state" / "runs" / older)[-1]["data"]["status"] == "completed"
    assert journal_events(work / "state" / "runs" / newer)[-1]["type"] == "run_interrupted"


@pytest.mark.parametrize("garbage", [b"", b'{"seq": 1, "ts": "2026-', b"\x00\xff" * 10])
def test_a_journal_torn_at_start_up_is_no_run_to_choose(work: Path, garbage: bytes) -> None:
    (run_id,) = _stopped_runs(work, 1)
    broken = work / "state" / "runs" / "20991231T000000Z-counted-dead"
    broken.mkdir()
    (broken / "journal.jsonl").write_bytes(garbage)
    code, out = _cli(work, "resume", "--no-input")
    assert code == 2, out  # the real run is taken (and stops again at its gate)
    assert f"the only unfinished run: {run_id}" in out and "internal error" not in out
