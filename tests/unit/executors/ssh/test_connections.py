"""What a host key that is not the known one reads as (logic only; the real sshd:
tests/integration/test_ssh_executor.py, over paramiko and libssh2)."""

from __future__ import annotations

import errno
import select
import socket
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from runbookctl.executors.ssh.connections import dial, dial_steps, is_address, new_client
from runbookctl.executors.ssh.host_keys import ConnectError, KnownHosts, changed_key, host_entries
from runbookctl.executors.ssh.host_run import Stop
from runbookctl.executors.ssh.known_hosts import Key, key_of
from runbookctl.executors.ssh.targets import Target
from runbookctl.runbook.config import ACCEPT_NEW

TARGET = Target("web1", "web1.example", 2222, "app")


def test_a_changed_key_names_both_fingerprints_and_what_to_do() -> None:
    server, known = _key(), _key()
    error = changed_key(TARGET, key_of(server), key_of(known), frozenset())
    assert str(error) == (  # paramiko's fingerprints, which are ssh-keygen -l's
        f"HOST KEY CHANGED for web1.example:2222 (ssh-ed25519 {server.fingerprint}, expected "
        f"{known.fingerprint}); if the host was re-installed, remove its old line from "
        "known_hosts")


def test_a_revoked_key_is_refused_as_revoked_not_as_changed() -> None:
    server, known = _key(), _key()
    revoked = frozenset({(server.get_name(), server.get_base64())})
    with pytest.raises(ConnectError, match=r"^REVOKED host key for web1.example:2222"):
        changed_key(TARGET, key_of(server), key_of(known), revoked)


def test_a_key_reads_as_paramiko_reads_it() -> None:
    pkey = _key()
    key = key_of(pkey)
    assert (key.kind, key.b64, key.fingerprint) == (pkey.get_name(), pkey.get_base64(),
                                                    pkey.fingerprint)
    assert key.shown == f"ssh-ed25519 {pkey.fingerprint}"
    assert Key("ssh-ed25519", b"other").fingerprint != key.fingerprint


def _key() -> paramiko.PKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    message = paramiko.Message()
    message.add_string("ssh-ed25519")
    message.add_string(raw)
    return paramiko.PKey.from_type_string("ssh-ed25519", message.asbytes())


def _blob(*fields: bytes) -> str:
    import base64
    import struct

    return base64.b64encode(b"".join(struct.pack(">I", len(f)) + f for f in fields)).decode()


def test_both_paths_know_a_host_by_the_same_keys(tmp_path: Path) -> None:
    """The libssh2 path compares the server's key with host_entries' lines, the paramiko
    path with the keys new_client gives SSHClient: they must be the same keys, or a host
    is refused on one engine and accepted (accept-new) on the other, by step size.
    A line paramiko cannot read (ssh-dss: paramiko 4+ has no DSS; an ed25519 key of the
    wrong length) leaves a host unknown to the paramiko path (as to OpenSSH 10), so it
    must to the libssh2 path too, not read there as a changed key."""
    dss = _blob(b"ssh-dss", b"\x00" + b"\x01" * 128, b"\x01" * 20, b"\x02" * 128, b"\x03" * 128)
    short = _blob(b"ssh-ed25519", b"\x01" * 5)
    path = tmp_path / "known_hosts"
    path.write_text(f"web1.example ssh-dss {dss}\nweb1.example ssh-ed25519 {short}\n")
    known = KnownHosts(path, None, ACCEPT_NEW)
    target = Target("web1", "web1.example", 22, "app")
    lines, _ = host_entries(known, target)
    client, _ = new_client(known, target)
    assert client.get_host_keys().lookup("web1.example") is None  # paramiko: unknown host
    assert [line.key.kind for line in lines] == []  # libssh2: must be unknown as well


def test_a_line_typed_rsa_sha2_is_the_hosts_rsa_key_as_paramiko_reads_it(
        tmp_path: Path) -> None:
    """`host rsa-sha2-512 <ssh-rsa key>`: paramiko (PKey.from_type_string) and OpenSSH
    (sshkey_type_from_name) read it as the host's ssh-rsa key. Skipped, the host is
    unknown and accept-new takes any key the server shows (a changed one too); and an
    `@revoked` line so typed revokes nothing."""
    known_key, other = paramiko.RSAKey.generate(1024), paramiko.RSAKey.generate(1024)
    path = tmp_path / "known_hosts"
    line = f"web1.example rsa-sha2-512 {known_key.get_base64()}"
    assert paramiko.hostkeys.HostKeyEntry.from_line(line).key == known_key
    path.write_text(f"{line}\n@revoked * rsa-sha2-256 {other.get_base64()}\n")
    target = Target("web1", "web1.example", 22, "app")
    lines, policy = host_entries(KnownHosts(path, None, ACCEPT_NEW), target)
    assert [line.key for line in lines] == [key_of(known_key)]
    assert policy.revoked == {("ssh-rsa", other.get_base64())}


def _drive(steps: Generator[Any, Any, socket.socket]) -> socket.socket:
    """Run _dial to its end, waiting on its socket as the loop does."""
    try:
        wait = next(steps)
        while True:
            fd, events, until = wait
            poller = select.poll()
            poller.register(fd, events)
            poller.poll(max(0, round((until - time.monotonic()) * 1000)))
            wait = steps.send(None)
    except StopIteration as end:
        return end.value  # type: ignore[no-any-return]


def _target(port: int, host: str = "127.0.0.1") -> Target:
    return Target(hostname=host, port=port, user="u", label=f"u@{host}:{port}")


def test_dial_connects_to_an_ip_address_without_blocking() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        sock = _drive(dial_steps(_target(port), 5.0, Stop()))
        try:
            assert sock.getpeername() == ("127.0.0.1", port)
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            sock.close()


def test_dial_says_a_refused_connection_as_dial_does() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    with pytest.raises(ConnectError, match=rf"^connection refused by 127\.0\.0\.1:{port} "):
        _drive(dial_steps(_target(port), 5.0, Stop()))


def test_ip_addresses_are_dialled_without_a_lookup_names_are_not() -> None:
    assert is_address("127.0.0.1") and is_address("::1") and is_address("10.1.2.3")
    assert not is_address("localhost") and not is_address("web1.example.com")


def test_dial_says_a_socket_that_cannot_be_made_as_dial_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No IPv6 on the machine: that host fails with the reason, the step goes on."""
    real = socket.socket

    def no_ipv6(family: int = socket.AF_INET, *args: Any) -> socket.socket:
        if family == socket.AF_INET6:
            raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")
        return real(family, *args)

    monkeypatch.setattr(socket, "socket", no_ipv6)
    with pytest.raises(ConnectError, match=r"^cannot reach \[::1\]:22: address family not "
                       r"supported by protocol \(after [0-9.]+ ?m?s\)$"):
        _drive(dial_steps(_target(22, "::1"), 5.0, Stop()))


@pytest.mark.parametrize("port", [70000, -1])
def test_dial_says_a_port_out_of_range_as_dial_does(port: int) -> None:
    target = _target(port)
    with pytest.raises(ConnectError) as blocking:
        dial(target, 1.0)
    with pytest.raises(ConnectError) as steps:
        _drive(dial_steps(target, 1.0, Stop()))
    assert str(steps.value) == str(blocking.value)
