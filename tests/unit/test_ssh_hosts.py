"""Host specs, inventory, group resolution, ~/.ssh/config lookup, SSH settings
and the remote command line (run by a local /bin/sh)."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from runbookctl.errors import UsageError, ValidationError
from runbookctl.executors.base import CommandSpec
from runbookctl.executors.ssh.client import KILL_NEEDED, SSHExecutor, host_log, kill_command, remote_command
from runbookctl.executors.ssh.connections import known_hosts_of
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.executors.ssh.targets import load_ssh_config, resolve_target
from runbookctl.runbook.inventory import (
    HostSpec,
    HostSpecError,
    load_inventory,
    parse_cli_hosts,
    parse_host_spec,
    resolve_hosts,
)
from runbookctl.safety.masking import Redactor


@pytest.mark.parametrize(
    ("text", "host", "user", "port", "canonical"),
    [
        ("web1", "web1", None, None, "web1"),
        ("deploy@web1", "web1", "deploy", None, "deploy@web1"),
        ("deploy@web1:2222", "web1", "deploy", 2222, "deploy@web1:2222"),
        ("10.0.0.5:22", "10.0.0.5", None, 22, "10.0.0.5:22"),
        ("[::1]:2200", "::1", None, 2200, "[::1]:2200"),
        ("root@[fe80::1]", "fe80::1", "root", None, "root@fe80::1"),
        ("::1", "::1", None, None, "::1"),
        (" db2 ", "db2", None, None, "db2"),
    ],
)
def test_host_specs(text: str, host: str, user: str | None, port: int | None,
                    canonical: str) -> None:
    spec = parse_host_spec(text)
    assert (spec.host, spec.user, spec.port, str(spec)) == (host, user, port, canonical)
    assert parse_host_spec(str(spec)) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "bad host ''"),
        ("web1:http", "bad port in host 'web1:http'"),
        ("web1:70000", "bad port in host 'web1:70000'"),
        ("@web1", "bad user in host '@web1'"),
        ("-oProxyCommand=x", "bad host '-oProxyCommand=x'"),
        ("web1;reboot", "bad host 'web1;reboot'"),
        ("[::1", "bad host '[::1': expected [address]:port"),
    ],
)
def test_bad_host_specs_are_refused(text: str, message: str) -> None:
    with pytest.raises(HostSpecError) as err:
        parse_host_spec(text)
    assert err.value.message == message
    assert isinstance(err.value, UsageError)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_inventory_lists_and_mappings(tmp_path: Path) -> None:
    inventory = load_inventory(write(tmp_path / "inventory.yaml", """\
        web:
          - web1
          - deploy@web2:2222
          - {host: web3, user: ops, port: 2200, vars: {role: canary}}
        db:
          vars: {tier: db, role: replica}
          hosts:
            db1: {user: postgres, vars: {role: primary}}
            db2:
        empty: []
        """))
    assert [str(h) for h in inventory["web"]] == ["web1", "deploy@web2:2222", "ops@web3:2200"]
    assert inventory["web"][2].vars == {"role": "canary"}
    assert [str(h) for h in inventory["db"]] == ["postgres@db1", "db2"]
    assert inventory["db"][0].vars == {"tier": "db", "role": "primary"}
    assert inventory["db"][1].vars == {"tier": "db", "role": "replica"}
    assert inventory["empty"] == []


def test_missing_or_empty_inventory_is_no_groups(tmp_path: Path) -> None:
    assert load_inventory(tmp_path / "inventory.yaml") == {}
    assert load_inventory(write(tmp_path / "inventory.yaml", "\n")) == {}


def test_inventory_problems_point_at_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "inventory.yaml", """\
        web:
          - web1
          - {host: web2, colour: blue}
          - {user: nobody}
        db:
          hosts: [db1:notaport]
          childs: [x]
        """)
    with pytest.raises(ValidationError) as err:
        load_inventory(path)
    messages = [f"{p.pos.line}:{p.pos.col}: {p.message}" for p in err.value.problems]
    assert messages == [
        "3:18: unknown host key 'colour' (known: host, user, port, vars)",
        "4:5: a host needs 'host:' (a name or user@host:port)",
        "6:11: bad port in host 'db1:notaport'",
        "7:3: unknown group key 'childs' (known: hosts, vars)",
    ]
    assert str(path) in str(err.value)


def test_resolution_order_cli_then_runbook_then_inventory_then_spec() -> None:
    inventory = {
        "db": [HostSpec("inv-db1", "postgres")],
        "web": [HostSpec("web1"), HostSpec("web2", None, 2222, {"role": "canary"})],
    }
    runbook = {"db": ("rb-db1",), "app": ("web", "web2", "ops@web2", "solo:2200")}
    cli = {"db": ["cli-db1", "cli-db2"]}

    def resolve(names: list[str]) -> list[str]:
        return [str(h) for h in resolve_hosts(names, runbook, inventory, cli)]

    assert resolve(["db"]) == ["cli-db1", "cli-db2"]
    assert resolve(["web"]) == ["web1", "web2:2222"]
    # A runbook group may name an inventory group; a bare inventory host keeps
    # its settings; an explicit user overrides them; duplicates are dropped.
    assert resolve(["app", "web1"]) == ["web1", "web2:2222", "ops@web2", "solo:2200"]
    assert resolve(["db2.internal"]) == ["db2.internal"]
    assert resolve_hosts(["web2"], {}, inventory, {})[0].vars == {"role": "canary"}
    with pytest.raises(HostSpecError):
        resolve_hosts(["bad host"], {}, {}, {})


def test_cli_hosts_option() -> None:
    assert parse_cli_hosts(["web=a,b", "db=c", "web=d"]) == {"web": ["a", "b", "d"], "db": ["c"]}
    for bad in ("web", "=a", "web=", "web=a;b"):
        with pytest.raises(HostSpecError):
            parse_cli_hosts([bad])


def test_ssh_config_is_honoured(tmp_path: Path) -> None:
    config = load_ssh_config(write(tmp_path / "config", """\
        Host db1
            HostName 10.1.2.3
            User postgres
            Port 2222
            IdentityFile ~/.ssh/db_key
            ProxyJump bastion.example.com,ops@jump2:2200
        Host nojump
            ProxyJump none
        Host *
            IdentityFile /keys/shared
        """))
    target = resolve_target(parse_host_spec("db1"), config, default_user="ops",
                            identity_file="/keys/explicit")
    assert (target.label, target.hostname, target.port, target.user) == (
        "db1", "10.1.2.3", 2222, "postgres")
    assert target.key_files == ("/keys/explicit", os.path.expanduser("~/.ssh/db_key"),
                                "/keys/shared")
    assert target.jump == ("bastion.example.com", "ops@jump2:2200")
    assert target.address == "10.1.2.3:2222" and target.known_hosts_name == "[10.1.2.3]:2222"
    # The spec's own user and port beat the config; ssh.user is the fallback.
    mine = resolve_target(parse_host_spec("me@db1:22"), config, default_user="ops")
    assert (mine.user, mine.port, mine.known_hosts_name) == ("me", 22, "10.1.2.3")
    other = resolve_target(parse_host_spec("nojump"), config, default_user="ops")
    assert (other.hostname, other.user, other.jump) == ("nojump", "ops", ())
    assert load_ssh_config(tmp_path / "missing") is None


def test_ssh_settings_from_the_config_file(tmp_path: Path) -> None:
    cfg = SSHConfig.from_mapping({"connect_timeout": "2s", "keepalive": "1m", "user": "ops",
                                  "known_hosts": "keys/known", "host_key_policy": "accept-new"},
                                 base=tmp_path)
    assert (cfg.connect_timeout, cfg.keepalive, cfg.user) == (2.0, 60.0, "ops")
    assert cfg.known_hosts == str(tmp_path / "keys/known")
    assert known_hosts_of(cfg).write_file == tmp_path / "keys/known"
    assert SSHConfig.from_mapping({}) == SSHConfig()
    for bad, message in [({"host_key_policy": "auto-add"}, "ssh.host_key_policy: must be one"),
                         ({"connect_timeout": "soon"}, "ssh.connect_timeout: bad duration 'soon'"),
                         ({"connect_timeout": 0}, "ssh.connect_timeout: expected a duration above"),
                         ({"passwd": "x"}, "unknown config key 'ssh.passwd'")]:
        with pytest.raises(UsageError) as err:
            SSHConfig.from_mapping(bad)
        assert err.value.message.startswith(message)


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
