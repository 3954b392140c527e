"""An ssh step that floods its output stops like a local step: at its timeout, at Ctrl-C
and at SIGTERM, on one host and on many at once, and its remote command dies too.

The bug: `ssh: yes y` with `timeout: 3s` ran 678 s through Ctrl-C and SIGTERM, as
the reader looped while data was ready and never looked at the clock or the stop flag.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import cli_env, journal_events, only_run_dir
from tests.sshd import Fleet
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

TIMEOUT = 3.0
KILL_GRACE = 1.0
# What a loaded machine may add to "timeout + kill grace" (connecting, the kill
# channel, the final drain); the bug was unbounded.
SLACK = 6.0


@pytest.fixture(autouse=True)
def _no_leftover_floods(tmp_path: Path) -> Iterator[None]:
    yield
    for big in [*tmp_path.rglob("out.txt"), *tmp_path.rglob("*.log")]:
        big.unlink()  # hundreds of MB each; pytest keeps the last runs' folders


def _project(tmp_path: Path, fleet: Fleet, hosts: int, marker: str) -> Path:
    servers = fleet.hosts(hosts)
    project = tmp_path / "project"
    (project / "runbooks").mkdir(parents=True)
    listed = "".join(f"      - {s.spec}\n" for s in servers)
    (project / "runbooks" / "flood.yaml").write_text(
        "id: flood\ntitle: Flood\nsteps:\n"
        f"  - id: flood\n    ssh: yes {marker}\n    timeout: {TIMEOUT:g}s\n    on_failure: abort\n"
        f"    hosts:\n{listed}"
        "  - id: after\n    run: echo after\n")
    (project / "runbookctl.yaml").write_text(
        f"ssh:\n  identity_file: {fleet.client_key}\n  known_hosts: {fleet.known_hosts}\n"
        f"  config_file: {fleet.root / 'no-ssh-config'}\n  use_agent: false\n"
        f"  kill_grace: {KILL_GRACE:g}s\n")
    return project


def _start(project: Path) -> tuple[subprocess.Popen[bytes], Path]:
    # Output to a file: a pipe nobody reads would stop runbookctl itself.
    out = project / "out.txt"
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runbookctl", "run", "flood", "--no-input"],
            cwd=project, env=cli_env(project / "state"), stdin=subprocess.DEVNULL,
            stdout=sink, stderr=subprocess.STDOUT)
    return proc, out


def _remote_left(fleet: Fleet, marker: str) -> list[str]:
    """The test user's processes still running the flood (given a moment to be reaped)."""
    def left() -> list[str]:
        return subprocess.run(["pgrep", "-u", fleet.user, "-f", marker], capture_output=True,
                              text=True, check=False).stdout.split()

    with contextlib.suppress(AssertionError):  # the caller says what is left
        wait_for("the remote flood to end", lambda: not left(), deadline=5.0)
    return left()


def _wait_for_flood(proc: subprocess.Popen[bytes], out: Path, marker: str) -> None:
    line = f"] {marker}".encode()
    wait_for("the flood on the terminal", lambda: line in out.read_bytes()[-65536:],
             deadline=60, alive=lambda: proc.poll() is None)


def _flood_hosts(project: Path) -> list[dict[str, object]]:
    events = journal_events(only_run_dir(project / "state"))
    finished = [e for e in events if e["type"] == "command_finished"]
    assert len(finished) == 1
    hosts: list[dict[str, object]] = finished[0]["data"]["hosts"]
    return hosts


@pytest.mark.parametrize("hosts", [1, 3])
def test_a_flooding_ssh_step_stops_at_its_timeout(tmp_path: Path, sshd_fleet: Fleet,
                                                 hosts: int) -> None:
    marker = f"flood-{uuid.uuid4().hex}"
    project = _project(tmp_path, sshd_fleet, hosts, marker)
    proc, out = _start(project)
    try:
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    text = out.read_text(errors="replace")
    assert code == 1, text[-2000:]
    assert "timed out after 3s" in text[-5000:]
    results = _flood_hosts(project)
    assert len(results) == hosts
    for host in results:
        assert host["error"] == "timed out after 3s" and host["exit_code"] is None
        assert float(str(host["duration"])) < TIMEOUT + KILL_GRACE + SLACK, host
        assert int(str(host["bytes"])) > 0
    assert "after\n" not in text  # on_failure: abort
    assert _remote_left(sshd_fleet, marker) == []


@pytest.mark.parametrize(("sig", "reason"), [
    (signal.SIGINT, "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM"),
    (signal.SIGTERM, "interrupted by SIGTERM; command stopped with SIGTERM"),
])
@pytest.mark.parametrize("hosts", [1, 3])
def test_ctrl_c_and_sigterm_stop_a_flooding_ssh_step(tmp_path: Path, sshd_fleet: Fleet,
                                                    hosts: int, sig: signal.Signals,
                                                    reason: str) -> None:
    marker = f"flood-{uuid.uuid4().hex}"
    project = _project(tmp_path, sshd_fleet, hosts, marker)
    (project / "runbooks" / "flood.yaml").write_text(
        (project / "runbooks" / "flood.yaml").read_text().replace("timeout: 3s", "timeout: 10m"))
    proc, out = _start(project)
    try:
        _wait_for_flood(proc, out, marker)
        sent = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        stopped_after = time.monotonic() - sent
    finally:
        proc.kill()
    assert code == 130, out.read_text(errors="replace")[-2000:]
    assert stopped_after < KILL_GRACE + SLACK
    events = journal_events(only_run_dir(project / "state"))
    stop = next(e for e in events if e["type"] == "step_interrupted")
    assert (stop["step"], stop["data"]["reason"], stop["data"]["command_stopped"]) == (
        "flood", reason, True)
    assert events[-1]["type"] == "run_interrupted"
    assert reason.startswith(events[-1]["data"]["reason"])  # never "interrupted by interrupted"
    assert _remote_left(sshd_fleet, marker) == []


def test_ctrl_c_in_a_terminal_stops_the_flood_and_asks(tmp_path: Path,
                                                      sshd_fleet: Fleet) -> None:
    """In a real terminal the first Ctrl-C stops the flood on every host and asks
    retry / skip / abort, as for a local command; the second stops the run."""
    import pexpect

    marker = f"flood-{uuid.uuid4().hex}"
    project = _project(tmp_path, sshd_fleet, 2, marker)
    (project / "runbooks" / "flood.yaml").write_text(
        (project / "runbooks" / "flood.yaml").read_text().replace("timeout: 3s", "timeout: 10m"))
    env = cli_env(project / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(sys.executable, ["-m", "runbookctl", "run", "flood"], cwd=str(project),
                          env=env, dimensions=(40, 120), timeout=60, encoding="utf-8",
                          searchwindowsize=4096, maxread=65536)
    try:
        child.expect_exact(f"] {marker}")
        child.send("\x03")
        child.expect(r"flood was interrupted \(Ctrl-C\).*abort")
        assert _remote_left(sshd_fleet, marker) == []
        child.send("\x03")
        child.expect_exact("runbookctl resume")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
