"""The remote command line (run here by a local /bin/sh, as sshd's login shell would) and
the kill line that stops its whole process group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from runbookctl.executors.base import CommandSpec
from runbookctl.executors.procs import how_stopped
from runbookctl.executors.ssh.remote_shell import (
    KILL_NEEDED,
    KILL_NO_PGREP,
    confirmed_command,
    kill_command,
    kill_outcome,
    remote_command,
)


def spec(command: str, **kw: object) -> CommandSpec:
    return CommandSpec(step_id="s", command=command, display=command,
                       log_path=Path("/runs/r1/logs/0007-restart.log"), **kw)


def run_locally(line: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    return subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True, env=env,
                          timeout=10)


def test_the_remote_line_keeps_values_literal(tmp_path: Path) -> None:
    nasty = "it's $(touch pwned) `touch pwned` \"x\"; exit 9"
    line = remote_command(spec('printf "%s|%s\\n" "$A" "$(pwd)"; exit 4', env={"A": nasty},
                               cwd=str(tmp_path)), "tok1")
    done = run_locally(line, tmp_path)
    assert (done.returncode, done.stdout) == (4, f"{nasty}|{tmp_path}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no canary file
    bash = run_locally(remote_command(spec("echo $BASH_VERSION", shell="bash"), "t"), tmp_path)
    assert bash.stdout.strip()
    missing = run_locally(remote_command(spec("echo no", cwd=str(tmp_path / "nope")), "t"),
                          tmp_path)
    assert missing.returncode == 1 and missing.stdout == ""
    with pytest.raises(ValueError, match="bad environment variable name"):
        remote_command(spec("true", env={"A B": "x"}), "t")


def test_sudo_line_uses_a_non_interactive_sudo(tmp_path: Path) -> None:
    assert " sudo -n /bin/sh -c " in remote_command(spec("id", sudo=True), "t")
    with_password = remote_command(spec("id", sudo=True, sudo_password="pw"), "t")
    assert " sudo -S -p '' /bin/sh -c " in with_password and "pw" not in with_password


def test_kill_line_stops_the_whole_process_group(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    marker = f"rbkill-{token[:8]}"
    line = remote_command(spec(f"sh -c 'trap \"\" TERM HUP; sleep 300' {marker}; sleep 300"),
                          token)
    # start_new_session: the shell leads its session and group, as under sshd.
    proc = subprocess.Popen(["/bin/sh", "-c", line], start_new_session=True)
    deadline = time.monotonic() + 5
    while not pgrep(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pgrep(marker), "the command did not start"
    killed = run_locally(kill_command(token, grace=0.4), tmp_path)
    assert killed.returncode == KILL_NEEDED  # the inner sh ignores SIGTERM: it took SIGKILL
    assert proc.wait(timeout=5) == -signal.SIGTERM
    assert pgrep(marker) == []


def test_kill_line_says_sigterm_was_enough_without_waiting_out_the_grace(tmp_path: Path) -> None:
    """Children orphaned by the kill may stay zombies (PID 1 of a container need not
    reap them): dead, so neither a reason to wait the whole grace nor a SIGKILL."""
    token = uuid.uuid4().hex
    marker = f"rbterm-{token[:8]}"
    line = remote_command(spec(f"sh -c 'sleep 300 & sleep 300; wait' {marker}"), token)
    proc = subprocess.Popen(["/bin/sh", "-c", line], start_new_session=True)
    deadline = time.monotonic() + 5
    while len(pgrep("sleep 300")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    killed = run_locally(kill_command(token, grace=30), tmp_path)
    assert killed.returncode == 0
    assert time.monotonic() - started < 15  # not the 30 s grace
    proc.wait(timeout=5)
    assert pgrep(marker) == []


def pgrep(pattern: str) -> list[str]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return out.split()


def test_kill_line_without_a_running_command_is_harmless(tmp_path: Path) -> None:
    started = time.monotonic()
    assert run_locally(kill_command(uuid.uuid4().hex, grace=60), tmp_path).returncode == 0
    assert time.monotonic() - started < 30  # nothing to stop: it never waits out the grace


@pytest.mark.parametrize("code", [0, 1, 3, 255])
def test_the_libssh2_line_keeps_the_status_and_marks_only_a_real_zero(tmp_path: Path,
                                                                      code: int) -> None:
    # libssh2 reads a missing exit status as 0: the mark says a 0 is real
    line, mark = confirmed_command(spec(f"echo out; exit {code}", cwd=str(tmp_path)), "t")
    done = subprocess.run(["/bin/sh", "-c", line], capture_output=True, timeout=10)
    assert done.returncode == code
    assert done.stdout == (b"out\n" + mark if code == 0 else b"out\n")
    assert mark == b"\x1erunbookctl-t-ok\x1e"


def test_the_libssh2_line_fails_where_the_command_never_ran(tmp_path: Path) -> None:
    line, mark = confirmed_command(spec("echo never", cwd=str(tmp_path / "missing")), "t")
    done = subprocess.run(["/bin/sh", "-c", line], capture_output=True, timeout=10)
    assert (done.returncode, done.stdout) == (1, b"")  # no mark: not a success
    killed, _ = confirmed_command(spec("kill -9 $PPID"), "t")
    done = subprocess.run(["/bin/sh", "-c", killed], capture_output=True, timeout=10)
    assert done.returncode == -9 and mark not in done.stdout


def test_what_the_kill_line_says_by_its_exit_status() -> None:
    assert kill_outcome(0, 2.0) == (None, how_stopped(killed=False, grace=2.0))
    assert kill_outcome(KILL_NEEDED, 2.0) == (None, how_stopped(killed=True, grace=2.0))
    assert kill_outcome(KILL_NO_PGREP, 2.0) == (
        "could not stop the remote command (no pgrep on the host); it may still run", None)
    assert kill_outcome(None, 2.0) == kill_outcome(-1, 2.0) == (None, None)  # it did not end
