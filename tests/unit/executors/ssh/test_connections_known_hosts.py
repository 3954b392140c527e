"""known_hosts files are parsed once per change, not once per host, and a key
appended (accept-new) is seen by the next connection."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import paramiko
import pytest

from runbookctl.executors.ssh import known_hosts
from runbookctl.executors.ssh.connections import ConnectError, KnownHosts, new_client
from runbookctl.executors.ssh.targets import Target

TARGET = Target(label="web1", hostname="127.0.0.1", port=2222, user="ops")


def _keys(count: int) -> list[paramiko.PKey]:
    return [paramiko.ECDSAKey.generate() for _ in range(count)]


def test_a_known_hosts_file_is_parsed_once_for_many_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    keys = _keys(3)
    known = tmp_path / "known_hosts"
    known.write_text("".join(f"[127.0.0.1]:{2200 + i} {k.get_name()} {k.get_base64()}\n"
                             for i, k in enumerate(keys)))
    loads: list[str] = []
    real_parse = known_hosts._parse_known_hosts

    def counting_parse(path: Path) -> list[Any]:
        loads.append(str(path))
        return real_parse(path)

    monkeypatch.setattr(known_hosts, "_parse_known_hosts", counting_parse)
    files = KnownHosts(user_file=tmp_path / "absent", extra_file=known)
    for _ in range(20):
        client, _policy = new_client(files, replace(TARGET, port=2201))
        found = client.get_host_keys().lookup("[127.0.0.1]:2201")
        assert found is not None and found[keys[1].get_name()] == keys[1]
    assert loads == [str(known)]

    # accept-new appends a line: the next client parses the file again and knows the host
    extra = _keys(1)[0]
    with known.open("a") as file:
        file.write(f"[127.0.0.1]:2299 {extra.get_name()} {extra.get_base64()}\n")
    client, _policy = new_client(files, replace(TARGET, port=2299))
    assert client.get_host_keys().lookup("[127.0.0.1]:2299") is not None
    assert loads == [str(known), str(known)]


def test_an_unreadable_known_hosts_file_is_one_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")

    def unreadable(path: Path) -> Any:  # root reads a mode-000 file: the error is made here
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(known_hosts, "_parse_known_hosts", unreadable)
    with pytest.raises(ConnectError, match=r"^cannot read known_hosts file .*known_hosts: "
                                           r".*Input/output error"):
        new_client(KnownHosts(user_file=known, extra_file=None), TARGET)


def test_a_known_hosts_file_that_is_not_utf8_is_read_as_openssh_reads_it(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are no error (they were, for every host): the host is then
    simply not known by them."""
    known = tmp_path / "known_hosts"
    known.write_bytes(b"\xff\xfe not text\n")
    client, _policy = new_client(KnownHosts(user_file=known, extra_file=None), TARGET)
    assert client.get_host_keys().lookup(TARGET.known_hosts_name) is None
    client.close()


def _compressed(key: paramiko.ECDSAKey) -> str:
    """The key's base64 with its point compressed (paramiko and OpenSSH read it as the same
    key)."""
    import base64
    import struct

    from cryptography.hazmat.primitives import serialization

    point = key.verifying_key.public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.CompressedPoint)
    blob = b"".join(struct.pack(">I", len(s)) + s
                    for s in (b"ecdsa-sha2-nistp256", b"nistp256", point))
    return base64.b64encode(blob).decode("ascii")


def test_a_key_revoked_by_its_compressed_point_is_revoked(tmp_path: Path) -> None:
    """`@revoked` names the server's key with its point compressed: the same key, as
    paramiko and OpenSSH compare keys; the key is refused, not known, nor filed under
    accept-new (refuse_revoked compared the base64 text, the wire's form uncompressed)."""
    from runbookctl.executors.ssh.host_keys import host_entries, refuse_revoked
    from runbookctl.executors.ssh.known_hosts import key_of

    (key,) = _keys(1)
    assert isinstance(key, paramiko.ECDSAKey)
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:2222 {key.get_name()} {key.get_base64()}\n"
                     f"@revoked * {key.get_name()} {_compressed(key)}\n")
    lines, policy = host_entries(KnownHosts(user_file=known, extra_file=None), TARGET)
    assert lines == []
    with pytest.raises(ConnectError, match=r"^REVOKED host key"):
        refuse_revoked(key_of(key), policy.revoked, TARGET)


def test_a_host_known_by_a_compressed_point_is_known_by_its_key(tmp_path: Path) -> None:
    """A known key written with its point compressed (paramiko takes it as the server's
    key, OpenSSH too) is one of the host's keys for is_known, which both engines ask."""
    from runbookctl.executors.ssh.host_keys import host_entries, is_known
    from runbookctl.executors.ssh.known_hosts import key_of

    old, key = _keys(2)
    assert isinstance(key, paramiko.ECDSAKey)
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:2222 {old.get_name()} {old.get_base64()}\n"
                     f"[127.0.0.1]:2222 {key.get_name()} {_compressed(key)}\n")
    _lines, policy = host_entries(KnownHosts(user_file=known, extra_file=None), TARGET)
    assert is_known(key_of(key), policy.keys)
