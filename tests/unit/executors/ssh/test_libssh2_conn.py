"""The libssh2 path's choices (logic only; against real sshd servers every test of
tests/integration/test_ssh_executor.py runs over both paramiko and libssh2)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import paramiko
import pytest
from ssh2.session import LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_HOSTKEY, LIBSSH2_METHOD_KEX

from runbookctl.executors.ssh.connections import ConnectError
from runbookctl.executors.ssh.libssh2_conn import host_key, login_key, prefer
from runbookctl.executors.ssh.targets import Target


class _Session:
    def __init__(self, blob: bytes = b"") -> None:
        self.prefs: dict[int, str] = {}
        self.blob = blob

    def method_pref(self, method: int, prefs: str) -> None:
        self.prefs[method] = prefs

    def hostkey(self) -> tuple[bytes, int]:
        return self.blob, 0


def _key(tmp_path: Path, kind: str = "ed25519", passphrase: str = "") -> Path:
    path = tmp_path / f"id_{kind}"
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-f", str(path)],
                   check=True)
    return path


@pytest.mark.parametrize(("known", "first"), [
    ([], "ssh-ed25519"),
    (["ecdsa-sha2-nistp256"], "ecdsa-sha2-nistp256"),
    (["ssh-rsa"], "rsa-sha2-512,rsa-sha2-256,ssh-ed25519"),
])
def test_thehost_key_types_known_for_the_host_come_first(known: list[str], first: str) -> None:
    session = _Session()
    prefer(session, known)
    offered = session.prefs[LIBSSH2_METHOD_HOSTKEY]
    assert offered.startswith(first)
    assert "ssh-rsa" not in offered.split(",")  # SHA-1 signatures: never
    assert "cert-v01" not in offered  # host certificates are not checked: not asked for


def test_only_modern_algorithms_are_offered() -> None:
    session = _Session()
    prefer(session, [])
    kex, ciphers = session.prefs[LIBSSH2_METHOD_KEX], session.prefs[LIBSSH2_METHOD_CRYPT_CS]
    assert kex.startswith("curve25519-sha256") and "kex-strict-c-v00@openssh.com" in kex
    assert "sha1" not in kex
    assert "cbc" not in ciphers and "arcfour" not in ciphers and "3des" not in ciphers


def test_the_key_file_libssh2_logs_in_with(tmp_path: Path) -> None:
    plain = _key(tmp_path)
    target = Target("web1", "web1", 22, "app", key_files=(str(plain),))
    assert login_key(target, use_agent=False) == str(plain)
    # a jump host, a locked key, a certificate: the paramiko path's
    assert login_key(Target("web1", "web1", 22, "app", key_files=(str(plain),),
                            jump=("bastion",)), use_agent=False) is None
    locked = _key(tmp_path, "ecdsa", passphrase="secret-pass")
    assert login_key(Target("w", "w", 22, "app", key_files=(str(locked),)), False) is None
    (tmp_path / "id_rsa-cert.pub").write_text("x")
    certified = tmp_path / "id_rsa"
    certified.write_text(plain.read_text())
    assert login_key(Target("w", "w", 22, "app", key_files=(str(certified),)), False) is None


def test_the_server_key_is_read_as_paramiko_reads_it(tmp_path: Path) -> None:
    public = _key(tmp_path).with_suffix(".pub").read_text().split()
    blob = base64.b64decode(public[1])
    key = host_key(_Session(blob))
    assert (key.kind, key.b64) == ("ssh-ed25519", public[1])
    assert key.fingerprint == paramiko.PKey.from_type_string("ssh-ed25519", blob).fingerprint
    with pytest.raises(ConnectError, match=r"unreadable host key \(2 bytes\)"):
        host_key(_Session(b"\0\0"))
