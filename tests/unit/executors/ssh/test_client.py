"""The SSH executor without a server: per-host logs, dry runs, steps that cannot run."""

from __future__ import annotations

from pathlib import Path

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
