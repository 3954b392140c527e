"""What a host key that is not the known one reads as (logic only; the real sshd:
tests/integration/test_ssh_executor.py, over paramiko and libssh2)."""

from __future__ import annotations

import paramiko
import pytest

from runbookctl.executors.ssh.connections import ConnectError, changed_key
from runbookctl.executors.ssh.known_hosts import Key, key_of
from runbookctl.executors.ssh.targets import Target

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
