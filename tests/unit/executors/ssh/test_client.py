"""The SSH executor without a server: per-host logs, dry runs, steps that cannot run."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from runbookctl.executors.base import CommandSpec
from runbookctl.executors.ssh.client import SSHExecutor, host_log
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.safety.masking import Redactor
from tests.helpers import write


def spec(command: str, **kw: object) -> CommandSpec:
    return CommandSpec(step_id="s", command=command, display=command,
                       log_path=Path("/runs/r1/logs/0007-restart.log"), **kw)


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


def test_a_libssh2_handshake_broken_off_by_ctrl_c_is_not_tried_again_over_paramiko(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from runbookctl.executors.ssh import libssh2_conn
    from runbookctl.executors.ssh.host_run import Stop

    ex = SSHExecutor(SSHConfig(config_file=str(tmp_path / "none"),
                               system_config_file=str(tmp_path / "none")), fanout=1)
    stop = Stop()
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    ex.config = SSHConfig(identity_file=str(key), config_file=str(tmp_path / "none"),
                          system_config_file=str(tmp_path / "none"))

    def broken_off(*args: object) -> tuple[None, None]:
        stop.set()  # Ctrl-C while it shook hands: the socket was shut down under it
        return None, None

    def paramiko_session(target: object) -> None:
        raise AssertionError("connected again over paramiko after Ctrl-C")

    monkeypatch.setattr(libssh2_conn, "open_libssh2", broken_off)
    monkeypatch.setattr(ex._conns, "session", paramiko_session)
    ex._conns.config = ex.config
    go = threading.Event()
    go.set()
    result = ex._host(spec("true", hosts=["web1"]), "web1", NullSink(), Redactor(), stop, go)
    assert (result.exit_code, result.interrupted, result.error) == (
        None, True, "interrupted while connecting")
