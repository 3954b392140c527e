"""A step printing 200 MB through the whole CLI (terminal stream, log, journal, report)
keeps peak memory within ~50 MB of a trivial run, and the log holds every byte; more
output than `capture:` keeps fails the step, not the run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env, journal_events, only_run_dir, run_cli

pytestmark = pytest.mark.integration

SIZE = 200_000_000
MEASURE = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _peak_kb(tmp: Path, name: str, command: str) -> int:
    runbook = tmp / f"{name}.yaml"
    runbook.write_text(f"id: {name}\ntitle: {name}\nsteps:\n  - id: out\n    run: {command}\n")
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "runbookctl", "run", str(runbook),
         "--no-input", "--report-dir", str(tmp / "reports")],
        env=cli_env(tmp / f"state-{name}"), capture_output=True, text=True, check=True,
        timeout=300)
    return int(out.stdout.strip())


def test_200_mb_of_output_keeps_memory_bounded(tmp_path: Path) -> None:
    trivial = _peak_kb(tmp_path, "trivial", "echo hi")
    flood = _peak_kb(tmp_path, "flood", f"yes 'a line of output that repeats' | head -c {SIZE}")
    assert flood - trivial < 50 * 1024, (trivial, flood)
    run_dir = only_run_dir(tmp_path / "state-flood")
    logs = list((run_dir / "logs").iterdir())
    assert len(logs) == 1 and logs[0].stat().st_size == SIZE
    finished = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()
                if '"command_finished"' in line]
    host = finished[0]["data"]["hosts"][0]
    assert host["bytes"] == SIZE and host["exit_code"] == 0
    assert len(host["tail"]) < 10_000  # the journal keeps a tail, not the output


BIG_CAPTURE = """id: big
title: Big capture
steps:
  - id: big
    run: head -c 2000000 /dev/zero | tr '\\0' x
    capture: v
{policy}
  - id: after
    run: touch {out}/AFTER
"""


@pytest.mark.parametrize(("policy", "code"), [("    on_failure: continue", 0), ("", 2)],
                         ids=["continue", "ask-with-no-input"])
def test_output_too_large_to_capture_fails_the_step_under_its_on_failure(
        tmp_path: Path, policy: str, code: int) -> None:
    runbook = tmp_path / "big.yaml"
    runbook.write_text(BIG_CAPTURE.format(policy=policy, out=tmp_path))
    state = tmp_path / "state"
    result = run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp_path / "r")],
                     tmp_path, state)
    assert result.code == code, result.output
    assert "output too large to capture into v (over 1024 KiB)" in result.output
    events = journal_events(only_run_dir(state))
    assert (tmp_path / "AFTER").exists() == (code == 0)  # continue: the next step ran
    if code == 2:  # asked, with nobody to answer: a resumable stop, not a failed run
        assert 'Add "big: {on_failure: retry | skip | abort | <step id>}"' in result.output
        assert events[-1]["type"] == "run_interrupted"
        (tmp_path / "answers.yaml").write_text("big: {resume: skip}\n")
        resumed = run_cli(["resume", only_run_dir(state).name, "--no-input", "--answers",
                           str(tmp_path / "answers.yaml")], tmp_path, state)
        assert resumed.code == 0, resumed.output
        assert (tmp_path / "AFTER").exists()
