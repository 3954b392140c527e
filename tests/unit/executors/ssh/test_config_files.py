"""OpenSSH client configs read as ssh reads them: `Include` in place (in a block, for
that block only), then the system-wide file, the first value found winning. Where ssh
itself can say (`ssh -G`), the hosts resolve as it resolves them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runbookctl.executors.ssh.config_files import MAX_DEPTH
from runbookctl.executors.ssh.targets import load_ssh_config, resolve_target
from runbookctl.runbook.inventory import HostSpecError, parse_host_spec
from tests.helpers import write


def _resolved(config_file: Path, host: str, system: Path | None = None) -> tuple[str, int, str]:
    config = load_ssh_config(config_file, system)
    target = resolve_target(parse_host_spec(host), config, default_user="nobody-set")
    return target.hostname, target.port, target.user


def _ssh_says(config_file: Path, host: str) -> tuple[str, int, str]:
    """What OpenSSH resolves `host` to with this config (`ssh -G`, no connection)."""
    out = subprocess.run(["ssh", "-G", "-F", str(config_file), host], capture_output=True,
                         text=True, check=True).stdout
    found = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    return found["hostname"], int(found["port"]), found["user"]


@pytest.fixture
def includes(tmp_path: Path) -> Path:
    """A user config whose hosts come partly from included files (absolute paths, a
    glob in lexical order, an Include inside a Host block, a file that does not exist)."""
    d = tmp_path / "config.d"
    d.mkdir()
    write(d / "10-bastion.conf", """\
        Host bastion
            HostName 10.0.0.1
            User jump
        Host *.internal
            Port 2200
        """)
    write(d / "20-db.conf", """\
        Host db1.internal
            HostName 10.0.1.1
            Port 5555
        """)
    write(d / "web-only.inc", """\
        User webops
        Port 2222
        Host never-this-one
            User nobody
        """)
    return write(tmp_path / "config", f"""\
        Include {d}/*.conf {d}/missing-*.conf
        Host web1
            Include {d}/web-only.inc
            HostName 10.0.2.1
        Host *
            User everyone
        """)


@pytest.mark.parametrize("host", ["bastion", "db1.internal", "cache.internal", "web1", "other"])
def test_included_files_resolve_hosts_as_ssh_does(includes: Path, host: str) -> None:
    assert _resolved(includes, host) == _ssh_says(includes, host)


def test_what_follows_an_include_in_a_block_stays_in_that_block(includes: Path) -> None:
    assert _resolved(includes, "web1") == ("10.0.2.1", 2222, "webops")
    assert _resolved(includes, "other") == ("other", 22, "everyone")  # web-only.inc: not here
    assert _resolved(includes, "db1.internal") == ("10.0.1.1", 2200, "everyone")  # first wins


def test_the_system_file_comes_after_the_users_and_the_first_value_wins(tmp_path: Path) -> None:
    user = write(tmp_path / "config", """\
        Host db1
            Port 2200
        """)
    system = write(tmp_path / "ssh_config", """\
        User from-system
        Host db1
            Port 9999
            HostName 10.9.9.9
        Host *
            HashKnownHosts yes
        """)
    assert _resolved(user, "db1", system) == ("10.9.9.9", 2200, "from-system")
    assert resolve_target(parse_host_spec("x"), load_ssh_config(user, system)).hash_known_hosts
    assert _resolved(user, "db1", tmp_path / "none") == ("db1", 2200, "nobody-set")
    assert _resolved(tmp_path / "none", "db1", system) == ("10.9.9.9", 9999, "from-system")
    assert load_ssh_config(tmp_path / "none", tmp_path / "none") is None


def test_the_users_last_block_does_not_swallow_the_system_files_first_lines(
        tmp_path: Path) -> None:
    user = write(tmp_path / "config", "Host only-this\n    Port 1111\n")
    system = write(tmp_path / "ssh_config", "User for-all\n")
    assert _resolved(user, "any", system) == ("any", 22, "for-all")


def test_a_relative_include_of_the_system_file_is_taken_from_etc_ssh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl.executors.ssh import config_files

    etc = tmp_path / "etc-ssh"
    (etc / "ssh_config.d").mkdir(parents=True)
    write(etc / "ssh_config.d" / "fleet.conf", "Host *.corp\n    ProxyJump bastion.corp\n")
    system = write(etc / "ssh_config", "Include ssh_config.d/*.conf\n")
    monkeypatch.setattr(config_files, "SYSTEM_BASE", str(etc))
    target = resolve_target(parse_host_spec("db.corp"), load_ssh_config(None, system))
    assert target.jump == ("bastion.corp",)


def test_includes_nested_too_deep_or_unreadable_say_which_file_and_line(tmp_path: Path) -> None:
    loop = write(tmp_path / "loop", f"Host *\n    Include {tmp_path}/loop\n")
    with pytest.raises(HostSpecError) as deep:
        load_ssh_config(loop)
    assert str(deep.value) == (f"cannot read ssh config {loop}:2: Include nested more than "
                               f"{MAX_DEPTH} levels deep")
    folder = tmp_path / "a-folder.conf"
    folder.mkdir()
    bad = write(tmp_path / "bad", 'Include "unclosed\n')
    with pytest.raises(HostSpecError) as quoted:
        load_ssh_config(bad)
    assert str(quoted.value).startswith(f"cannot read ssh config {bad}:1: bad Include line: ")
    dirs_only = write(tmp_path / "dirs", f"Include {tmp_path}/*.conf\nHost x\n  Port 7\n")
    assert _resolved(dirs_only, "x") == ("x", 7, "nobody-set")  # a folder is no file: skipped


def test_a_match_paramiko_cannot_evaluate_applies_to_no_host_and_breaks_nothing(
        tmp_path: Path) -> None:
    """RHEL's /etc/ssh/ssh_config.d/50-redhat.conf has `Match final all`, which paramiko
    refuses: every ssh step failed on the whole file."""
    d = tmp_path / "ssh_config.d"
    d.mkdir()
    write(d / "50-redhat.conf", """\
        Match final all
            GSSAPIAuthentication yes
            User from-match
        """)
    system = write(tmp_path / "ssh_config", f"""\
        Include {d}/*.conf
        Host *
            Port 2202
        """)
    assert _resolved(tmp_path / "none", "db1", system) == ("db1", 2202, "nobody-set")


def test_keywords_and_values_may_be_separated_by_any_whitespace(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    write(d / "tab.conf", "Host tabbed\n\tHostName 10.0.0.9\n")
    config = tmp_path / "config"
    config.write_text(f"Include\t{d}/*.conf\nHost\tweb\n\tInclude {d}/none.conf\n\tPort 2203\n")
    assert _resolved(config, "tabbed", None) == ("10.0.0.9", 22, "nobody-set")
    assert _resolved(config, "web", None) == ("web", 2203, "nobody-set")
    assert _resolved(config, "tabbed", None)[:2] == _ssh_says(config, "tabbed")[:2]


MATCHED_ELSEWHERE = """\
Host db1
    HostName 10.0.0.5
Host *
    Port 2202
"""


@pytest.mark.parametrize("match", [
    "Match localnetwork 10.0.0.0/8",
    "Match !localnetwork 10.0.0.0/8",
    "Match tagged prod",
    "Match host db1 tagged prod",
    "Match sessiontype shell",
    "Match command uptime",
    "Match version OpenSSH_9*",
])
def test_a_match_criterion_paramiko_does_not_know_applies_to_no_host(
        tmp_path: Path, match: str) -> None:
    """paramiko takes a criterion it does not know as matched, for every host: the
    block's User and Port reached hosts it was not written for."""
    config = write(tmp_path / "config", f"{match}\n    User from-match\n    Port 9999\n"
                   + MATCHED_ELSEWHERE)
    without = write(tmp_path / "without", MATCHED_ELSEWHERE)
    assert _resolved(config, "db1") == ("10.0.0.5", 2202, "nobody-set")
    # As ssh resolves the rest (the OpenSSH here may not know the criterion at all):
    assert _resolved(config, "db1")[:2] == _ssh_says(without, "db1")[:2]


def test_match_exec_without_invoke_applies_to_no_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """paramiko runs `Match exec` through invoke; without it every lookup failed."""
    import sys

    monkeypatch.setitem(sys.modules, "invoke", None)  # `import invoke` fails
    config = write(tmp_path / "config", "Match exec \"test 1 = 2\"\n    Port 9999\n"
                   + MATCHED_ELSEWHERE)
    assert _resolved(config, "db1") == ("10.0.0.5", 2202, "nobody-set")
    assert _resolved(config, "db1")[:2] == _ssh_says(config, "db1")[:2]


@pytest.mark.parametrize(("match", "port"), [
    ("Match Host db1", 9999), ("Match HOST other", 2202), ("Match !Host db1", 2202),
    ("Match OriginalHost db1", 9999),
])
def test_match_criteria_are_read_in_any_case_as_ssh_reads_them(
        tmp_path: Path, match: str, port: int) -> None:
    """paramiko compares them as written: `Host` was no criterion it knew, so matched."""
    config = write(tmp_path / "config", f"{match}\n    Port 9999\n" + MATCHED_ELSEWHERE)
    assert _resolved(config, "db1")[1] == port
    assert _resolved(config, "db1")[:2] == _ssh_says(config, "db1")[:2]
