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
    HostSpecError,
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
                          stdin=subprocess.DEVNULL, timeout=60, check=True)
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


def test_reading_the_config_and_resolving_hosts_never_imports_paramiko(tmp_path: Path) -> None:
    """paramiko's import (~50 ms) was the largest serial cost of a 200-host step, which
    libssh2 otherwise runs without it: Host, Match (exec too), Include and tokens are
    all read and applied without it."""
    d = tmp_path / "config.d"
    d.mkdir()
    write(d / "db.conf", "Host db*\n  Port 2222\n  IdentityFile ~/.ssh/%r@%h\n")
    config = write(tmp_path / "config", f"""\
        Include {d}/*.conf
        Host web? !web9
            HostName %h.example
            ProxyJump jump-%h
        Match originalhost db1 !user nobody
            HostName 10.0.0.7
        Match exec "test %n = web1"
            User from-exec
        Match all
            User ops
        """)
    system = write(tmp_path / "ssh_config", "Host *\n  HashKnownHosts yes\n")
    out = _fresh_python(f"""
import sys
from runbookctl.executors.ssh.targets import describe, load_ssh_config, resolve_target
from runbookctl.runbook.inventory import parse_host_spec
config = load_ssh_config({str(config)!r}, {str(system)!r})
for host in ("web1", "db1"):
    target = resolve_target(parse_host_spec(host), config)
    print(describe(target), target.key_files, target.hash_known_hosts)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("paramiko", "cryptography")))
""")
    home = os.path.expanduser("~")
    assert out.splitlines() == [
        "from-exec@web1.example:22 via jump-web1.example () True",
        f"ops@10.0.0.7:2222 ('{home}/.ssh/ops@10.0.0.7',) True",
        "[]",
    ]


def test_a_config_that_cannot_be_read_names_the_file_and_the_reason(tmp_path: Path) -> None:
    for text, reason in [('Host "web1\n', 'Unparsable host "web1'),
                         ("Host web1\n    User\n", "Unparsable line User")]:
        bad = write(tmp_path / "config", text)
        with pytest.raises(HostSpecError) as err:
            load_ssh_config(bad, tmp_path / "none")
        assert str(err.value) == f"cannot read ssh config {bad}: {reason}"
    system = write(tmp_path / "ssh_config", "Host *\n  Port\n")
    with pytest.raises(HostSpecError) as both:
        load_ssh_config(tmp_path / "config", system)
    assert str(both.value) == (f"cannot read ssh config {tmp_path / 'config'} and {system}: "
                               "Unparsable line User")


def test_a_host_the_config_cannot_be_applied_to_fails_alone(tmp_path: Path) -> None:
    """CanonicalizeHostname without CanonicalDomains: paramiko's KeyError crashed the run;
    now the host fails with the reason, as a bad host spec does."""
    config = load_ssh_config(write(tmp_path / "config", "Host broken\n"
                                   "  CanonicalizeHostname yes\n"), tmp_path / "none")
    with pytest.raises(HostSpecError) as err:
        resolve_target(parse_host_spec("broken"), config)
    assert str(err.value) == ("ssh config for broken: CanonicalizeHostname without "
                              "CanonicalDomains")
    assert resolve_target(parse_host_spec("fine"), config).hostname == "fine"


def test_a_port_in_the_config_that_is_no_number_fails_the_host_alone(tmp_path: Path) -> None:
    """`Port ssh` (or a typo): int() raised ValueError out of resolve_target, which the
    callers do not catch (they catch HostSpecError): a traceback instead of the host
    failing with the reason."""
    config = load_ssh_config(write(tmp_path / "config", "Host broken\n  Port 22a\n"),
                             tmp_path / "none")
    with pytest.raises(HostSpecError, match="Port"):
        resolve_target(parse_host_spec("broken"), config)
    assert resolve_target(parse_host_spec("fine"), config).port == 22
