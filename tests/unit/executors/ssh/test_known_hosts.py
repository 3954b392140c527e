"""known_hosts parsed as paramiko parses it, once for all the hosts of a fan-out
that start at the same moment, and a host's entries found as paramiko finds them
(plain, hashed by ssh-keygen -H, several names a line) without its linear lookup."""

from __future__ import annotations

import binascii
import hmac
import subprocess
import threading
from pathlib import Path
from typing import Any

import paramiko
import pytest

from runbookctl.executors.ssh import known_hosts


def _write(path: Path, count: int) -> list[paramiko.PKey]:
    keys = [paramiko.ECDSAKey.generate() for _ in range(count)]
    path.write_text("# a comment\n\n" + "".join(
        f"[10.0.0.1]:{2200 + i} {k.get_name()} {k.get_base64()}\n" for i, k in enumerate(keys))
        + "garbage line\n" + f"[10.0.0.1]:2200 {keys[0].get_name()} {keys[0].get_base64()}\n")
    return keys


def test_the_entries_find_what_paramikos_own_parse_finds(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    keys = _write(path, 5)
    ours = paramiko.HostKeys()
    ours._entries = [  # type: ignore[attr-defined]
        paramiko.hostkeys.HostKeyEntry(e.hostnames, e.pkey())
        for e in known_hosts.known_entries(path).entries]
    theirs = paramiko.HostKeys(str(path))
    for i, key in enumerate(keys):
        name = f"[10.0.0.1]:{2200 + i}"
        assert ours.lookup(name) == theirs.lookup(name)
        assert ours.check(name, key)
    assert ours.lookup("[10.0.0.1]:2299") is None


def test_hosts_starting_together_wait_for_one_parse(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "known_hosts"
    _write(path, 50)
    parses: list[Path] = []
    real = known_hosts._parse_known_hosts

    def counting(p: Path) -> list[Any]:
        parses.append(p)
        return real(p)

    monkeypatch.setattr(known_hosts, "_parse_known_hosts", counting)
    start = threading.Barrier(20)
    found: list[int] = []

    def host() -> None:
        start.wait()
        found.append(len(known_hosts.known_entries(path).entries))

    threads = [threading.Thread(target=host) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert parses == [path]
    assert found == [51] * 20  # 50 hosts and the repeated line, as paramiko's own lookup sees


def _mixed(path: Path, malformed: str = "") -> list[str]:
    """A known_hosts of plain, multi-name and (ssh-keygen -H) hashed lines, and
    `malformed` names on a line of their own; the names to look up."""
    keys = [paramiko.ECDSAKey.generate() for _ in range(6)]
    line = lambda names, k: f"{names} {k.get_name()} {k.get_base64()}\n"  # noqa: E731
    hashed = tmp = path.with_suffix(".tohash")
    tmp.write_text(line("[10.0.0.5]:2222", keys[0]) + line("db1.example.com", keys[1])
                   + line("[10.0.0.5]:2222", keys[2]) + line("10.0.0.6", keys[3]))
    subprocess.run(["ssh-keygen", "-H", "-f", str(tmp)], check=True, capture_output=True)
    path.write_text(line("10.0.0.6,web1", keys[4]) + hashed.read_text()
                    + (line(malformed, keys[5]) if malformed else "")
                    + line("db1.example.com", keys[5]))
    return ["[10.0.0.5]:2222", "db1.example.com", "10.0.0.6", "web1", "10.0.0.7",
            "[10.0.0.6]:22"]


def test_a_hosts_entries_are_the_ones_paramikos_lookup_finds(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    names = _mixed(path)
    assert "db1.example.com" not in path.read_text().split("\n", 1)[1].split("\n")[0]
    theirs = paramiko.HostKeys(str(path))
    known = known_hosts.known_entries(path)
    for name in names:
        found = theirs.lookup(name)
        expected = [] if found is None else [
            (e.hostnames, e.key.get_base64()) for e in found._entries]  # type: ignore[attr-defined]
        assert [(e.hostnames, e.key.b64) for e in known.matching(name)] == expected, name
    assert [len(known.matching(n)) for n in names[:5]] == [2, 2, 2, 1, 0]


def test_a_malformed_hashed_name_matches_nothing_and_breaks_nothing(tmp_path: Path) -> None:
    """paramiko's own lookup raises binascii.Error on such a line, for every host."""
    path = tmp_path / "known_hosts"
    bad = "|1|not-base64!|x=,|1|only-two"
    names = _mixed(path, malformed=bad)
    with pytest.raises(binascii.Error):
        paramiko.HostKeys(str(path)).lookup("web1")
    known = known_hosts.known_entries(path)
    assert [len(known.matching(n)) for n in names[:5]] == [2, 2, 2, 1, 0]
    assert known.matching("|1|only-two") == []  # a hashed name is matched by its hash only


def test_a_hashed_line_is_checked_once_per_host_name(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "known_hosts"
    _mixed(path)
    known = known_hosts.known_entries(path)
    digests: list[bytes] = []
    real = hmac.digest

    def counting(key: bytes, msg: bytes, digest: str) -> bytes:
        digests.append(msg)
        return real(key, msg, digest)

    monkeypatch.setattr(hmac, "digest", counting)
    first = known.matching("[10.0.0.5]:2222")
    assert digests == [b"[10.0.0.5]:2222"] * 4  # the four hashed lines, one HMAC each
    assert known.matching("[10.0.0.5]:2222") == first and len(digests) == 4


def test_marker_lines_and_undecodable_keys_are_no_crash_and_revoked_keys_are_kept(
        tmp_path: Path) -> None:
    """paramiko raises InvalidHostKey, for every host, on a `@cert-authority` or
    `@revoked` line or a key it cannot decode; here: a CA line is skipped (host
    certificates are not used), a revoked key is remembered, a bad line is skipped."""
    ca, gone, good = (paramiko.ECDSAKey.generate() for _ in range(3))
    path = tmp_path / "known_hosts"
    path.write_text(f"@cert-authority *.corp.example {ca.get_name()} {ca.get_base64()}\n"
                    f"@revoked * {gone.get_name()} {gone.get_base64()}\n"
                    "web1 ssh-ed25519 not/base64!!\n"
                    f"web1 {good.get_name()} {good.get_base64()}\n")
    with pytest.raises(paramiko.hostkeys.InvalidHostKey):
        paramiko.HostKeys(str(path))
    known = known_hosts.known_entries(path)
    assert [(e.hostnames, e.key.b64) for e in known.entries] == [
        (["web1"], good.get_base64())]
    assert known.revoked == {(gone.get_name(), gone.get_base64())}
    assert known.matching("web1") == known.entries and known.matching("*.corp.example") == []


def test_bytes_that_are_not_utf8_cost_only_their_own_line(tmp_path: Path) -> None:
    """A Latin-1 comment or host name (written by another tool) does not make the whole
    file unreadable, for every host: OpenSSH reads the file as bytes. Such a name
    matches no host, a key with such bytes is skipped, the other lines count."""
    web, db, odd = (paramiko.ECDSAKey.generate() for _ in range(3))
    path = tmp_path / "known_hosts"
    path.write_bytes(b"# serveur de l'\xe9quipe \xb7 Caf\xe9\n"
                     + f"web1 {web.get_name()} {web.get_base64()}\n".encode()
                     + f"caf\xe9,db1 {db.get_name()} {db.get_base64()}\n".encode("latin-1")
                     + f"web2 {odd.get_name()} {odd.get_base64()[:-4]}\xe9\xe9==\n".encode(
                         "latin-1")
                     + f"|1|\xe9\xe9|\xe9 {odd.get_name()} {odd.get_base64()}\n".encode(
                         "latin-1"))
    known = known_hosts.known_entries(path)
    assert [e.key.b64 for e in known.matching("web1")] == [web.get_base64()]
    assert [e.key.b64 for e in known.matching("db1")] == [db.get_base64()]
    assert known.matching("web2") == [] and known.matching("caf\xe9") == []
    found = subprocess.run(["ssh-keygen", "-F", "db1", "-f", str(path)],  # OpenSSH too
                           capture_output=True, check=True).stdout
    assert b"# Host db1 found: line 3" in found


def _keygen_finds(path: Path, name: str) -> list[str]:
    """The lines OpenSSH's own lookup finds for `name` (ssh-keygen -F), by their names
    field; ssh lowercases the host it is given before it looks it up."""
    out = subprocess.run(["ssh-keygen", "-F", name.lower(), "-f", str(path)],
                         capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line and not line.startswith("#")]


def test_names_match_as_openssh_matches_them_case_patterns_and_exclusions(
        tmp_path: Path) -> None:
    """Without regard to case, `*` and `?` patterns, `!name` taking hosts out of a line:
    the entries found are the ones ssh-keygen -F finds, name by name."""
    key = paramiko.ECDSAKey.generate()
    hashed = tmp_path / "hashed"
    hashed.write_text(f"hashed.example.com {key.get_name()} {key.get_base64()}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(hashed)], check=True, capture_output=True)
    lines = ["*.example.com,!bastion.example.com", "Web1.Example.COM", "[*.db]:2222", "web?",
             "10.0.0.*,!10.0.0.9", "!only-negated"]
    path = tmp_path / "known_hosts"
    path.write_text("".join(f"{n} {key.get_name()} {key.get_base64()}\n" for n in lines)
                    + hashed.read_text())
    known = known_hosts.known_entries(path)
    names = ["web.example.com", "bastion.example.com", "BASTION.example.com", "WEB1.example.com",
             "example.com", "[a.db]:2222", "[A.DB]:2222", "a.db", "[a.db]:22", "web1", "web12",
             "WEB2", "10.0.0.1", "10.0.0.9", "only-negated", "other", "HASHED.Example.com"]
    found = {n: [",".join(e.hostnames) for e in known.matching(n)] for n in names}
    assert found == {n: _keygen_finds(path, n) for n in names}
    assert found["BASTION.example.com"] == [] and found["HASHED.Example.com"] != []
    assert found["WEB1.example.com"] == ["*.example.com,!bastion.example.com", "Web1.Example.COM"]


def test_accept_new_writes_the_name_in_lower_case_as_ssh_does(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    key = known_hosts.key_of(paramiko.ECDSAKey.generate())
    known_hosts.append_known_host(path, "[Web1.Example.com]:2222", key)
    assert path.read_text().split()[0] == "[web1.example.com]:2222"
    known_hosts.append_known_host(path, "DB1", key, hashed=True)
    hashed_name = path.read_text().splitlines()[1].split()[0]
    assert hashed_name.startswith("|1|")
    assert _keygen_finds(path, "db1") == [hashed_name]  # ssh finds the host it lowercased


def test_a_hashed_name_written_with_its_case_still_matches(tmp_path: Path) -> None:
    """paramiko (and runbookctl before) hashed the name as given; ssh hashes it lowered."""
    key = paramiko.ECDSAKey.generate()
    path = tmp_path / "known_hosts"
    path.write_text(f"{paramiko.HostKeys.hash_host('DB1.Example.com')} {key.get_name()} "
                    f"{key.get_base64()}\n{paramiko.HostKeys.hash_host('web1.example.com')} "
                    f"{key.get_name()} {key.get_base64()}\n")
    known = known_hosts.known_entries(path)
    assert len(known.matching("DB1.Example.com")) == 1
    assert len(known.matching("WEB1.Example.COM")) == 1
    assert known.matching("db2.example.com") == []
