"""~/.ssh/config lookup and SSH settings from the config file."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.executors.ssh.connections import known_hosts_of
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.executors.ssh.targets import load_ssh_config, resolve_target
from runbookctl.runbook.inventory import (
    parse_host_spec,
)
from tests.helpers import write


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
            HashKnownHosts True
            IdentitiesOnly YES
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
    assert other.hash_known_hosts and not target.hash_known_hosts
    assert other.identities_only and not target.identities_only
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


def _fresh_python(code: str) -> str:
    """Run `code` in a new interpreter (its own sys.modules); its stdout."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(importlib.util.find_spec("invoke") is None, reason="invoke not installed")
def test_paramiko_loads_without_invoke_until_a_match_exec_needs_it(tmp_path: Path) -> None:
    """invoke (fabric brings it) was a third of paramiko's import at every ssh run;
    `Match exec` still decides, and whoever imports invoke later gets the real one."""
    config = write(tmp_path / "config", 'Match exec "true"\n  User bob\n'
                                        'Match exec "false"\n  Port 2222\n')
    out = _fresh_python(f"""
import sys
import runbookctl.executors.ssh.connections
from runbookctl.executors.ssh.targets import load_ssh_config
print("invoke.tasks" in sys.modules)
found = load_ssh_config({str(config)!r}).lookup("web1")
print(found.get("user"), found.get("port"))
from invoke import Context
print(Context.__module__)
""")
    assert out.splitlines() == ["False", "bob None", "invoke.context"]


def test_a_config_without_match_exec_leaves_invoke_unloaded(tmp_path: Path) -> None:
    config = write(tmp_path / "config", "Host web*\n  User ops\n")
    out = _fresh_python(f"""
import sys
from runbookctl.executors.ssh.targets import load_ssh_config
print(load_ssh_config({str(config)!r}).lookup("web1")["user"], "invoke.tasks" in sys.modules)
""")
    assert out == "ops False"
