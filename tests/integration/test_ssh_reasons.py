"""Why a host could not be reached, with real sockets on loopback: a closed port, a
server that is not SSH (it says something else, closes, resets, or holds still),
and a network with no route (a fresh network namespace, where even loopback is down).

The bugs: an unreachable network was reported as "did not answer within 3s" after
0.6 s; a server sending non-SSH text as "no SSH banner".
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.ssh.client import SSHExecutor
from runbookctl.safety.masking import Redactor
from tests.helpers import cli_env
from tests.integration.test_ssh_executor import Sink
from tests.sshd import Fleet, free_port, silent_listener, talking_listener

pytestmark = pytest.mark.integration

TIMEOUT = 1.5


def _connect(fleet: Fleet, tmp_path: Path, port: int) -> tuple[HostResult, float]:
    executor = SSHExecutor(fleet.config(connect_timeout=TIMEOUT))
    spec = CommandSpec(step_id="s", command="true", display="true",
                       log_path=tmp_path / "0001-s.log", hosts=[f"127.0.0.1:{port}"], timeout=30)
    started = time.monotonic()
    try:
        (result,) = executor.execute(spec, Sink(), Redactor())
    finally:
        executor.close()
    assert result.exit_code is None and result.error is not None
    return result, time.monotonic() - started


# What a non-SSH server sends -> how the error quotes it (escaped, cut at 60 characters).
SPOKEN = [
    (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>oops</html>\r\n",
     r"'HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<…'"),
    (b"220 mail.example ESMTP Postfix\r\n", r"'220 mail.example ESMTP Postfix\r\n'"),
    (b"+OK POP3 ready\n", r"'+OK POP3 ready\n'"),
    (b"\x00\x01\xff\xfebinary", r"'\x00\x01\xff\xfebinary'"),
    (b"\x1b[31mred\x1b[0m\n", r"'\x1b[31mred\x1b[0m\n'"),
    ("evil\u202eexe.txt it's \\ fine\n".encode(), r"'evil\u202eexe.txt it\'s \\ fine\n'"),
    (b"no newline at all", r"'no newline at all'"),
]


@pytest.mark.parametrize(("payload", "quoted"), SPOKEN)
@pytest.mark.parametrize("then", ["close", "hold"])
def test_a_server_that_is_not_ssh_is_quoted(sshd_fleet: Fleet, tmp_path: Path, payload: bytes,
                                            quoted: str, then: str) -> None:
    with talking_listener(payload, then) as port:
        result, _ = _connect(sshd_fleet, tmp_path, port)
    assert result.error == f"127.0.0.1:{port} is not an SSH server: it sent {quoted}"


@pytest.mark.parametrize("then", ["close", "reset"])
def test_a_server_that_hangs_up_without_a_word(sshd_fleet: Fleet, tmp_path: Path,
                                              then: str) -> None:
    with talking_listener(b"", then) as port:
        result, took = _connect(sshd_fleet, tmp_path, port)
    assert result.error is not None and took < TIMEOUT
    # A FIN can become a reset (our banner reaches the closed socket), and the
    # reverse (the reset lands after we read the end): both are said as they came.
    assert re.fullmatch(rf"127\.0\.0\.1:{port} (closed|reset) the connection without an SSH "
                        r"banner \(after (\d+ms|\d+\.\ds)\)", result.error)  # ms under 0.1 s


def test_a_closed_port_is_refused(sshd_fleet: Fleet, tmp_path: Path) -> None:
    port = free_port()
    result, _ = _connect(sshd_fleet, tmp_path, port)
    assert result.error == f"connection refused by 127.0.0.1:{port} (no SSH server on that port)"


def test_did_not_answer_only_once_the_time_is_up(sshd_fleet: Fleet, tmp_path: Path) -> None:
    with silent_listener() as port:
        result, took = _connect(sshd_fleet, tmp_path, port)
    assert result.error is not None
    assert result.error.startswith(f"127.0.0.1:{port} did not answer within 1.5s")
    assert took >= TIMEOUT


# --- through the CLI ------------------------------------------------------------------


def _project(tmp_path: Path, fleet: Fleet, host: str) -> Path:
    project = tmp_path / "project"
    (project / "runbooks").mkdir(parents=True)
    (project / "runbooks" / "reach.yaml").write_text(
        f'id: reach\ntitle: Reach\nsteps:\n  - id: probe\n    ssh: "true"\n    hosts: ["{host}"]\n'
        "    on_failure: abort\n")
    (project / "runbookctl.yaml").write_text(
        f"ssh:\n  identity_file: {fleet.client_key}\n  known_hosts: {fleet.known_hosts}\n"
        f"  config_file: {fleet.root / 'no-ssh-config'}\n  use_agent: false\n"
        "  connect_timeout: 3s\n")
    return project


def _run(project: Path, *prefix: str) -> tuple[int, str, float]:
    started = time.monotonic()
    proc = subprocess.run([*prefix, sys.executable, "-m", "runbookctl", "run", "reach",
                           "--no-input"], cwd=project, env=cli_env(project / "state"),
                          capture_output=True, text=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started


def test_cli_quotes_what_a_non_ssh_server_sent(tmp_path: Path, sshd_fleet: Fleet) -> None:
    with talking_listener(b"HTTP/1.1 400 Bad Request\r\n\r\n") as port:
        code, out, _ = _run(_project(tmp_path, sshd_fleet, f"127.0.0.1:{port}"))
    assert code == 1, out
    assert (f"127.0.0.1:{port} is not an SSH server: it sent "
            r"'HTTP/1.1 400 Bad Request\r\n\r\n'") in out


def _netns_prefix() -> list[str]:
    """`unshare -n`: a network namespace of our own whose loopback is down, so
    127.0.0.1 has no route; no address outside this machine is ever tried."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True,
                                         check=False).returncode != 0:
        pytest.skip("cannot create a network namespace here (unshare -n needs root)")
    return [unshare, "-n"]


def test_cli_says_the_network_is_unreachable(tmp_path: Path, sshd_fleet: Fleet) -> None:
    prefix = _netns_prefix()
    code, out, took = _run(_project(tmp_path, sshd_fleet, "127.0.0.1:22"), *prefix)
    assert code == 1, out
    assert "cannot reach 127.0.0.1:22: network unreachable (after " in out
    assert "did not answer" not in out
    assert took < 60
