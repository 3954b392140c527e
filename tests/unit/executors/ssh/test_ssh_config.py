"""executors/ssh/ssh_config.py: paramiko's SSHConfig ported, so that reading the ssh
config no longer imports paramiko. paramiko itself is the oracle: the same text, the
same host, the same options (or the same refusal)."""

from __future__ import annotations

import getpass
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import paramiko
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbookctl.executors.ssh.config_files import configs_text
from runbookctl.executors.ssh.ssh_config import (
    ClientConfig,
    ConfigLookupError,
    ConfigParseError,
)
from tests.helpers import write

ME = getpass.getuser()
HOSTS = ["web1", "db1", "web1.example", "DB1", "a.b.c", "x", "db1.corp"]
RESOLVES = {"web1.example": "10.0.0.9", "x.example": "10.0.0.8", "db1.corp": "10.0.0.7"}


@contextmanager
def fake_dns() -> Iterator[None]:
    """Canonicalization asks DNS: a few names resolve, no other, with no network."""

    def by_name(name: str) -> str:
        if name in RESOLVES:
            return RESOLVES[name]
        raise socket.gaierror(socket.EAI_NONAME, "not known")

    def addrinfo(name: str, *args: Any, **kwargs: Any) -> list[Any]:
        if name in RESOLVES:
            return [(socket.AF_INET, socket.SOCK_DGRAM, 17, name, (RESOLVES[name], 0))]
        raise socket.gaierror(socket.EAI_NONAME, "not known")

    with mock.patch.object(socket, "gethostbyname", by_name), \
            mock.patch.object(socket, "getaddrinfo", addrinfo):
        yield


def assert_as_paramiko(text: str, hosts: list[str] = HOSTS) -> list[dict[str, Any]]:
    """Our parse and lookups of `text` are paramiko's: the same options for each host
    (all of them, not only those runbookctl reads), or the same error. Returns ours."""
    try:
        theirs = paramiko.SSHConfig.from_text(text)
    except (paramiko.ConfigParseError, ValueError) as exc:
        with pytest.raises(ValueError) as ours_failed:
            ClientConfig.from_text(text)
        assert str(ours_failed.value) == str(exc)
        return []
    ours = ClientConfig.from_text(text)
    found = []
    with fake_dns():
        for host in hosts:
            try:
                expected = dict(theirs.lookup(host))
            except (KeyError, ValueError, paramiko.CouldNotCanonicalize):
                with pytest.raises(ConfigLookupError):
                    ours.lookup(host)
                continue
            got = ours.lookup(host)
            assert got == expected, (host, text)
            found.append(got)
    return found


# --- hypothesis: many configs, paramiko's answer for each ------------------------------

VALUES = {
    "HostName": ["10.0.0.1", "%h.example", "%h", "none", "real-%h-%h", "%%h", "%n", "~",
                 "%d.%h"],
    "Port": ["22", "2222", "%p"],
    "User": ["ops", "root", ME, "%u", "none"],
    "IdentityFile": ["~/.ssh/id_%h", "%d/.ssh/%r@%h:%p", "/k/%C", "%u-%L-%n", "none",
                     "/k/a", "/k/b", "~/%l", "%%d"],
    "ProxyJump": ["bastion", "%r@jump-%h:%p", "none", "a,b", "~/%d"],
    "IdentitiesOnly": ["yes", "no", "True"],
    "HashKnownHosts": ["yes", "NO"],
    "CanonicalizeHostname": ["yes", "no", "always"],
    "CanonicalDomains": ["example", "corp example"],
    "CanonicalizeMaxDots": ["0", "1", "2", "x"],
    "CanonicalizeFallbackLocal": ["yes", "no"],
    "AddressFamily": ["any", "inet"],
    "ProxyCommand": ["none", "ssh -W %h:%p b", "NONE"],
    "LocalForward": ["8080 localhost:80"],
}
PATTERNS = ["web1", "db*", "web?", "*", "!db1", "!web*", "*.example", "10.0.0.*", "DB1",
            "a.*", "x", "w[ae]b1", "db1.corp", '"web1"', "web1,db1", '"unclosed']
CRITERIA = [["all"], ["canonical"], ["final"], ["!final"], ["!canonical"], ["!all"],
            ["host"], ["!host"], ["originalhost"], ["!originalhost"], ["user"], ["!user"],
            ["localuser"], ["Host"], ["tagged"]]
USERS = ["root", "ops", ME, "r*", "!root", "ops,root"]


def _keyword(draw: st.DrawFn, word: str) -> str:
    return draw(st.sampled_from([word, word.lower(), word.upper()]))


@st.composite
def setting(draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(sorted(VALUES)))
    value = draw(st.sampled_from(VALUES[key]))
    if draw(st.booleans()):
        value = f'"{value}"'
    sep = draw(st.sampled_from([" ", "\t", "=", " = ", "  "]))
    indent = draw(st.sampled_from(["", "    ", "\t"]))
    return f"{indent}{_keyword(draw, key)}{sep}{value}"


@st.composite
def host_line(draw: st.DrawFn) -> str:
    patterns = draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3))
    return f"{_keyword(draw, 'Host')}{draw(st.sampled_from([' ', '='] ))}{' '.join(patterns)}"


@st.composite
def match_line(draw: st.DrawFn) -> str:
    words: list[str] = []
    for criterion in draw(st.lists(st.sampled_from(CRITERIA), min_size=1, max_size=3)):
        kind = criterion[0]
        words.append(kind)
        if kind.lstrip("!").lower() in ("host", "originalhost", "tagged"):
            words.append(",".join(draw(st.lists(st.sampled_from(PATTERNS[:13]), min_size=1,
                                                max_size=2))))
        elif kind.lstrip("!") in ("user", "localuser"):
            words.append(draw(st.sampled_from(USERS)))
    return f"{_keyword(draw, 'Match')} {' '.join(words)}"


line = st.one_of(setting(), setting(), setting(), host_line(), match_line(),
                 st.sampled_from(["", "# a comment", "   "]))


@settings(max_examples=400)
@given(st.lists(line, max_size=14))
def test_any_config_is_looked_up_as_paramiko_looks_it_up(lines: list[str]) -> None:
    assert_as_paramiko("\n".join(lines) + "\n")


# --- tables: what each rule does, paramiko agreeing -------------------------------------


def test_host_patterns_negation_globs_and_the_first_value_winning() -> None:
    text = """\
Host web* !web3
    User web
    IdentityFile /k/web
Host db? "web1"
    Port 2222
    User ignored-for-web1
Host *
    IdentityFile /k/all
    IdentityFile /k/web
    User everyone
"""
    web1, web3, db1 = assert_as_paramiko(text, ["web1", "web3", "db1"])
    assert (web1["user"], web1["port"], web1["identityfile"]) == ("web", "2222",
                                                                 ["/k/web", "/k/all"])
    assert (web3["user"], "port" in web3) == ("everyone", False)
    assert (db1["user"], db1["hostname"]) == ("ignored-for-web1", "db1")


def test_match_criteria_read_what_was_found_before_them() -> None:
    text = f"""\
Host db1
    HostName db1.internal
Match host *.internal user {ME}
    Port 2200
Match originalhost db1 !localuser nobody
    User dba
Match user dba
    IdentityFile /k/dba
Match final host db1.internal
    ProxyJump bastion
Match canonical
    Port 1
Match all
    HashKnownHosts yes
"""
    (db1,) = assert_as_paramiko(text, ["db1"])
    assert (db1["port"], db1["user"], db1["proxyjump"], db1["hashknownhosts"]) == (
        "2200", "dba", "bastion", "yes")
    assert db1["identityfile"] == ["/k/dba"]  # `Match user dba` in the second pass


def test_tokens_are_expanded_in_the_keys_paramiko_expands_and_in_its_order() -> None:
    home = os.path.expanduser("~")
    text = """\
Host web1
    HostName %h.example
    IdentityFile ~/.ssh/%r@%h-%%
    ProxyJump %r@jump:%p
    IdentityFile %d/%u/%C
    User deploy
    Port 2222
    ProxyCommand none
Host db1
    IdentityFile /k/%h
    HostName real-%h
Host db2
    HostName %d.%h
    IdentityFile /k/%h
"""
    web1, db1, db2 = assert_as_paramiko(text, ["web1", "db1", "db2"])
    assert web1["identityfile"][0] == f"{home}/.ssh/deploy@web1.example-%%"  # no %%
    assert web1["proxyjump"] == "deploy@jump:2222" and web1["proxycommand"] is None
    assert web1["identityfile"][1].startswith(f"{home}/{ME}/")
    # IdentityFile came before HostName: it saw HostName's value before its expansion.
    assert db1["identityfile"] == ["/k/real-%h"] and db1["hostname"] == "real-db1"
    # A token a value brings in is expanded only by the tokens after it (%d before %h).
    assert db2["identityfile"] == ["/k/%d.db2"]


def test_canonicalization_looks_the_host_up_again_under_its_full_name() -> None:
    text = """\
CanonicalizeHostname yes
CanonicalDomains nowhere example
Match canonical host *.example
    User canon
Host web1.example
    Port 2201
Host nothing
    CanonicalizeFallbackLocal no
"""
    web1, x = assert_as_paramiko(text, ["web1", "x"])
    assert (web1["hostname"], web1["user"], web1["port"]) == ("web1.example", "canon", "2201")
    assert x["hostname"] == "x.example"
    with fake_dns(), pytest.raises(ConfigLookupError, match="could not canonicalize nothing"):
        ClientConfig.from_text(text).lookup("nothing")
    with pytest.raises(ConfigLookupError, match="CanonicalDomains"):
        ClientConfig.from_text("CanonicalizeHostname yes\n").lookup("db1")


@pytest.mark.parametrize("text", [
    "HOSTNAME=10.0.0.1\nuser = ops\nPORT\t2222\nIdentityFile=\"/k/with space\"\n",
    'Host "web1" db1\n  HostName "quoted"\n  User "\n',
    "ProxyJump none\nIdentityFile none\nUser none\n",
    "Host web1\nProxyCommand ssh b\nProxyCommand none\nProxyCommand ssh c\n",
    "User\n", "Host \"web1\n", "Match host\n", "Match all host web1\n",
    "Match all canonical\n", "Match canonical all\n  User c\n", 'Match host "web1\n',
    "Match final all\n", "Host web1\n\x0b Port 22\r\n", "-Port 22\n",
])
def test_syntax_and_refusals_are_paramikos(text: str) -> None:
    assert_as_paramiko(text)


def test_refusals_say_what_was_wrong() -> None:
    for text, message in [("User\n", "Unparsable line User"),
                          ('Host "web1\n', 'Unparsable host "web1'),
                          ("Match host\n", "Missing parameter to Match 'host' keyword")]:
        with pytest.raises(ConfigParseError, match=message):
            ClientConfig.from_text(text)


def test_included_files_as_config_files_joins_them_are_read_as_paramiko_reads_them(
        tmp_path: Path) -> None:
    d = tmp_path / "conf.d"
    d.mkdir()
    write(d / "a.conf", "Host web*\n  User a\n  IdentityFile ~/.ssh/%h\n")
    write(d / "b.conf", "Match host db1\n  Port 2222\n")
    user = write(tmp_path / "config", f"Host db1\n  Include {d}/*.conf\n  HostName x\n"
                                      f"Include {d}/*.conf\n")
    system = write(tmp_path / "ssh_config", "Host *\n  User from-system\n")
    text = configs_text(user, system)
    assert text is not None
    web1, db1 = assert_as_paramiko(text, ["web1", "db1"])
    assert (web1["user"], db1["user"], db1["port"]) == ("a", "from-system", "2222")


# --- Match exec: invoke runs it, as in paramiko -----------------------------------------


@pytest.fixture
def no_stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """invoke copies our stdin to the command: give it an empty one, not pytest's."""
    with open(os.devnull) as devnull:
        monkeypatch.setattr(sys, "stdin", devnull)
        yield


def test_match_exec_runs_the_command_with_its_tokens(no_stdin: None) -> None:
    text = """\
Match exec "test %h = web1 && test %n = web1"
    User exec-passed
Match !exec "false"
    Port 2222
Match exec "exit 3"
    Port 9
"""
    (web1, db1) = assert_as_paramiko(text, ["web1", "db1"])
    assert (web1["user"], web1["port"]) == ("exec-passed", "2222")
    assert ("user" in db1, db1["port"]) == (False, "2222")


def test_match_exec_without_invoke_is_an_error_of_the_lookup(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As in paramiko (config_files.py makes such a block apply to no host first)."""
    monkeypatch.setitem(sys.modules, "invoke", None)
    config = ClientConfig.from_text('Match exec "true"\n  User x\n')
    with pytest.raises(ConfigLookupError, match="invoke"):
        config.lookup("web1")


def test_a_name_is_looked_up_once_unless_a_match_exec_may_answer_otherwise(
        no_stdin: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl.executors.ssh import ssh_config

    config = ClientConfig.from_text("Host web*\n  User app\n  IdentityFile ~/.ssh/a\n")
    passes: list[str] = []
    real = ssh_config.ClientConfig._looked_up
    monkeypatch.setattr(ssh_config.ClientConfig, "_looked_up",
                        lambda self, host: passes.append(host) or real(self, host))
    first = config.lookup("web1")
    first["identityfile"].append("changed by the caller")
    first["user"] = "someone"
    assert config.lookup("web1") == {"hostname": "web1", "user": "app",
                                     "identityfile": [os.path.expanduser("~/.ssh/a")]}
    assert passes == ["web1"]
    # A `Match exec` command runs again for every host, as ssh runs it per connection.
    runs = tmp_path / "runs"
    execs = ClientConfig.from_text(f'Match exec "echo x >> {runs}"\n  User x\n')
    for _ in range(3):
        assert execs.lookup("web1")["user"] == "x"
    assert runs.read_text() == "x\n" * 6  # both passes of each lookup, as in paramiko
