"""The remote command line (run by a local /bin/sh), kill lines, per-host logs, dry runs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from runbookctl.executors.base import CommandSpec
from runbookctl.executors.ssh.client import KILL_NEEDED, SSHExecutor, host_log, kill_command, remote_command
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.safety.masking import Redactor
from tests.helpers import write


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


def test_per_host_log_names() -> None:
    log = Path("/runs/r1/logs/0007-restart.log")
    assert host_log(log, "deploy@web1:2222").name == "0007-restart.deploy@web1_2222.log"
    assert host_log(log, "web1").parent == log.parent
    assert host_log(log, "[::1]:22").name == "0007-restart._1_22.log"


def test_dry_run_shows_each_host_without_connecting(tmp_path: Path) -> None:
    write(tmp_path / "config", """\
        Host db1
            HostName 203.0.113.9
            User postgres
            ProxyJump bastion
        """)
    ex = SSHExecutor(SSHConfig(config_file=str(tmp_path / "config"), user="ops",
                               connect_timeout=0.01))
    lines = ex.dry_run_lines(spec("systemctl restart app", hosts=["db1", "web9:2200", "bad host"],
                                  sudo=True))
    assert lines == [
        "db1 (postgres@203.0.113.9:22 via bastion): sudo systemctl restart app",
        "web9:2200 (ops@web9:2200): sudo systemctl restart app",
        "bad host (cannot resolve: bad host 'bad host'): sudo systemctl restart app",
    ]


def test_unusable_steps_fail_every_host_without_connecting() -> None:
    bad_env = spec("true", hosts=["web1", "web2"], env={"NOT A NAME": "x"})
    results = SSHExecutor().execute(bad_env, NullSink(), Redactor())
    assert [(r.host, r.exit_code, r.error) for r in results] == [
        ("web1", None, "bad environment variable name 'NOT A NAME'"),
        ("web2", None, "bad environment variable name 'NOT A NAME'")]
    (bad_host,) = SSHExecutor().execute(spec("true", hosts=["bad;host"]), NullSink(), Redactor())
    assert (bad_host.exit_code, bad_host.error) == (None, "bad host 'bad;host'")
    assert SSHExecutor().execute(spec("true"), NullSink(), Redactor()) == []


class NullSink:
    live = True

    def output(self, host: str, stream: str, text: str) -> None:
        pass
