"""`runbookctl watch` for real, in a pty beside a real run: it shows steps and output as
they happen, ends with the run's exit code, and Ctrl-C stops only the watching."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from tests.helpers import spawn_cli, write
from tests.serve_helpers import gated_runbook, release_gates, start_run
from tests.waiting import wait_event

pytestmark = pytest.mark.integration


def test_watch_follows_a_run_live_and_ends_with_its_exit_code(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run = start_run(state, tmp_path, gated_runbook(tmp_path))
    try:
        wait_event(state, "command_started", "two", alive=lambda: run.poll() is None)
        watcher = spawn_cli(["watch"], tmp_path, state)
        watcher.expect_exact("the run running now: ")
        watcher.expect_exact("▶ one")  # styled on a terminal: "[1/3]" and the title apart
        watcher.expect_exact("Step one")
        watcher.expect_exact("one says hi")
        watcher.expect_exact("two is waiting")
        (tmp_path / "gates" / "go-two").touch()
        watcher.expect_exact("two was let go")
        watcher.expect_exact("▶ three")
        (tmp_path / "gates" / "go-three").touch()
        watcher.expect_exact("three done")
        watcher.expect_exact("Run completed")
        watcher.expect(pexpect.EOF)
        watcher.close()
        assert watcher.exitstatus == 0
        assert run.wait(timeout=60) == 0
    finally:
        release_gates(tmp_path)
        run.kill()
        run.wait(timeout=30)


def test_watching_a_failed_run_exits_1_and_ctrl_c_leaves_the_run_going(tmp_path: Path) -> None:
    state = tmp_path / "state"
    runbook = write(tmp_path / "fails.yaml", f"""\
        id: fails
        title: Fails
        steps:
          - id: wait
            run: while [ ! -e {tmp_path}/go ]; do sleep 0.05; done
          - id: boom
            run: echo "it broke"; exit 3
            on_failure: abort
        """)
    run = start_run(state, tmp_path, runbook)
    try:
        wait_event(state, "command_started", "wait", alive=lambda: run.poll() is None)
        first = spawn_cli(["watch"], tmp_path, state)
        first.expect_exact("▶ wait")
        first.sendintr()
        first.expect(pexpect.EOF)
        first.close()
        assert first.exitstatus == 130 and "Traceback" not in (first.before or "")
        assert run.poll() is None  # the run goes on
        second = spawn_cli(["watch"], tmp_path, state)
        second.expect_exact("▶ wait")
        (tmp_path / "go").touch()
        second.expect_exact("\r\n  it broke")  # the output, not the command's line
        second.expect_exact("Run failed")
        second.expect(pexpect.EOF)
        second.close()
        assert second.exitstatus == 1
        assert run.wait(timeout=60) == 1
    finally:
        run.kill()
        run.wait(timeout=30)


def test_watching_a_run_that_went_on_past_a_failed_step_ends_as_run_did(tmp_path: Path) -> None:
    # `on_failure: continue`: the run completes with a failed step and exits 0 (README,
    # "Exit codes"); watch said 1 for the same run
    state = tmp_path / "state"
    runbook = write(tmp_path / "goes-on.yaml", """\
        id: goes-on
        title: Goes on
        steps:
          - id: broken
            run: exit 3
            on_failure: continue
          - id: after
            run: echo after
        """)
    run = start_run(state, tmp_path, runbook)
    assert run.wait(timeout=60) == 0
    watcher = spawn_cli(["watch"], tmp_path, state)
    watcher.expect_exact("Run completed")
    watcher.expect_exact("Failed steps:")  # styled on a terminal: the names apart
    watcher.expect_exact("broken")
    watcher.expect(pexpect.EOF)
    watcher.close()
    assert watcher.exitstatus == 0
