"""A step printing 200 MB through the whole CLI (terminal stream, log, journal, report)
keeps peak memory within ~50 MB of a trivial run, and the log holds every byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env, only_run_dir

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
