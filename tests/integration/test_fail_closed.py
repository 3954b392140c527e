"""Faults around the run: a full disk under the journal, prompts with no person behind them."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.helpers import FIXTURES, cli_env, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: the journal's disk fills up mid-run."""
    mount = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_stops_the_run_before_its_next_action(tmp_path: Path, tiny_fs: Path) -> None:
    runbook = tmp_path / "fill.yaml"
    runbook.write_text(
        "id: fill\ntitle: Fill the disk\nsteps:\n"
        "  - id: flood\n    run: head -c 200000 /dev/zero | tr '\\0' x\n    on_failure: continue\n"
        f"  - id: after\n    run: touch {tmp_path / 'AFTER'}\n")
    result = run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tiny_fs)
    assert result.code == 1, result.output
    assert "cannot write the journal" in result.output
    assert "No space left on device" in result.output
    assert not (tmp_path / "AFTER").exists()



@pytest.mark.parametrize("free_kib", [0, 4], ids=["no-room-for-the-lock", "no-room-for-the-journal"])
def test_a_full_state_folder_at_the_start_is_exit_2_naming_it(
        tmp_path: Path, tiny_fs: Path, free_kib: int) -> None:
    """README, exit codes: an unwritable state folder is exit 2, naming it; no internal
    error, no crash log, no empty run folder left behind."""
    (tiny_fs / "filler").write_bytes(b"x" * ((64 - free_kib) * 1024))
    state = tiny_fs / "state"
    state.mkdir()
    runbook = tmp_path / "t.yaml"
    runbook.write_text(f"id: t\ntitle: T\nsteps:\n  - id: a\n    run: touch {tmp_path / 'RAN'}\n")
    result = run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=state)
    assert result.code == 2, result.output
    assert f"cannot write to the state folder {state}: " in result.output
    assert "No space left on device" in result.output
    assert "internal error" not in result.output
    assert list((state / "runs").iterdir()) == []
    assert not (state / "crash").exists()
    assert not (tmp_path / "RAN").exists()

@pytest.mark.parametrize("stdin", ["y\n" * 50, ""], ids=["yes-pipe", "dev-null"])
def test_piped_or_empty_stdin_never_answers_a_prompt(tmp_path: Path, stdin: str) -> None:
    (tmp_path / "out").mkdir()
    result = run_cli(["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var",
                      f"out={tmp_path / 'out'}", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state", stdin=stdin or None)
    assert result.code == 2, result.output
    assert "gate" in result.output and "stdin is not a terminal" in result.output
    assert (tmp_path / "out" / "log").read_text().splitlines() == ["one", "two-start", "two-end"]


def test_background_run_never_answers_a_prompt(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    command = (f"set -m; {sys.executable} -m runbookctl --runbooks "
               f"{FIXTURES / 'resume'} run counted --var out={tmp_path / 'out'} --report-dir "
               f"{tmp_path / 'r'} & wait $!; echo EXIT=$?")
    child = pexpect.spawn("bash", ["-c", command], env=cli_env(tmp_path / "state", TERM="xterm"),
                          timeout=30, encoding="utf-8")
    child.sendline("y")
    child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "2"
    assert "three" not in (tmp_path / "out" / "log").read_text()
