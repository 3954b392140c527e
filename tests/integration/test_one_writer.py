"""One writer per run (#12.6): a second `resume` of a run being written is refused
(exit 2, naming the holder); runs finishing together never lose a report."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runbookctl.record import report_file as reportfile
from tests.helpers import cli_env, journal_events, only_run_dir, run_cli
from tests.waiting import wait_event

pytestmark = pytest.mark.integration

GATED = """\
id: gated
title: Gated
steps:
  - id: first
    run: echo first >> {out}/side
  - id: hold
    run: while [ ! -e {out}/go ]; do sleep 0.02; done; echo hold >> {out}/side
  - id: last
    run: echo last >> {out}/side
"""


def _cli(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runbookctl", *args], cwd=tmp_path,
        env=cli_env(tmp_path / "state"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def _held_run(tmp_path: Path) -> subprocess.Popen[str]:
    """A run of GATED, waiting in its step `hold` until the file `go` appears."""
    (tmp_path / "gated.yaml").write_text(GATED.format(out=tmp_path))
    run = _cli(tmp_path, "run", str(tmp_path / "gated.yaml"), "--no-input",
               "--report-dir", str(tmp_path / "r"))
    wait_event(tmp_path / "state", "command_process", "hold", alive=lambda: run.poll() is None)
    return run


def test_two_resumes_of_one_run_at_once_exactly_one_proceeds(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run = _held_run(tmp_path)
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=60) == 130
    run_id = only_run_dir(state).name
    (tmp_path / "answers.yaml").write_text("hold: {resume: rerun}\n")
    resume = ["resume", run_id, "--answers", str(tmp_path / "answers.yaml")]
    first = _cli(tmp_path, *resume)
    wait_event(state, "command_process", "hold", nth=2, alive=lambda: first.poll() is None)
    second = run_cli(resume, tmp_path, state)
    assert second.code == 2, second.output
    assert re.search(rf"run {run_id} is in use by pid {first.pid} \(runbookctl resume\): one "
                     r"writer per run; try again when it has ended", second.output), second.output
    (tmp_path / "go").touch()
    assert first.wait(timeout=60) == 0, first.communicate()
    assert (tmp_path / "side").read_text().splitlines() == ["first", "hold", "last"]
    assert run_cli(["verify", run_id], tmp_path, state).code == 0
    assert [e["seq"] for e in journal_events(only_run_dir(state))] == list(
        range(1, len(journal_events(only_run_dir(state))) + 1))


def test_a_resume_during_the_run_itself_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run = _held_run(tmp_path)
    run_id = only_run_dir(state).name
    refused = run_cli(["resume", run_id, "--no-input"], tmp_path, state)
    assert refused.code == 2
    assert f"is in use by pid {run.pid} (runbookctl run)" in refused.output
    bare = run_cli(["resume", "--no-input"], tmp_path, state)  # a live run is not "unfinished"
    assert bare.code == 2 and "no unfinished run to resume" in bare.output, bare.output
    (tmp_path / "go").touch()
    assert run.wait(timeout=60) == 0


def test_runs_of_one_runbook_finishing_together_keep_both_reports(tmp_path: Path) -> None:
    (tmp_path / "gated.yaml").write_text(GATED.format(out=tmp_path))
    state = tmp_path / "state"
    runs = [_cli(tmp_path, "run", str(tmp_path / "gated.yaml"), "--no-input",
                 "--report-dir", str(tmp_path / "r")) for _ in range(3)]
    for n in range(3):
        wait_event(state, "command_process", "hold", nth=n + 1, deadline=60)
    (tmp_path / "go").touch()
    assert [p.wait(timeout=60) for p in runs] == [0, 0, 0]
    reports = sorted((tmp_path / "r").glob("*.md"))
    ids = {re.search(r'run_id: "([^"]+)"', p.read_text()).group(1) for p in reports}  # type: ignore[union-attr]
    assert len(reports) == 3 and len(ids) == 3, reports
    assert not list((tmp_path / "r").glob("*.tmp")) and not list((tmp_path / "r").glob(".*"))


def test_placing_reports_of_many_runs_under_one_name_at_once_loses_none(tmp_path: Path) -> None:
    first = tmp_path / "r" / "2026-12-01-1200-gated.md"
    placed: list[Path] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        barrier.wait(timeout=30)
        placed.append(reportfile.place(first, f"run-{n}", f'---\nrun_id: "run-{n}"\n---\nbody {n}\n'))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(set(placed)) == 8
    for path in placed:
        n = reportfile.front_matter(path)["run_id"].removeprefix("run-")
        assert path.read_text().endswith(f"body {n}\n")
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(p.name for p in placed)
