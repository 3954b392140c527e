"""Private keys are loaded once per change of their file; keys that need a
passphrase or come with a certificate are left to paramiko, as before."""

from __future__ import annotations

import subprocess
from pathlib import Path

from runbookctl.executors.ssh.keys import cached_key


def _keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "t", "-f", str(path)],
                   check=True)
    return path


def test_a_key_is_loaded_once_and_again_when_its_file_changes(tmp_path: Path) -> None:
    key = _keygen(tmp_path / "id")
    first = cached_key(str(key))
    assert first is not None and cached_key(str(key)) is first
    key.unlink()
    (tmp_path / "id.pub").unlink()
    _keygen(key)  # a new key at the same path
    second = cached_key(str(key))
    assert second is not None and second is not first
    assert second.get_base64() != first.get_base64()


def test_keys_paramiko_must_handle_itself_are_not_cached(tmp_path: Path) -> None:
    assert cached_key(str(_keygen(tmp_path / "locked", passphrase="secret-pass"))) is None
    certified = _keygen(tmp_path / "certified")
    (tmp_path / "certified-cert.pub").write_text("ssh-ed25519-cert-v01@openssh.com AAAA...\n")
    assert cached_key(str(certified)) is None
    assert cached_key(str(tmp_path / "missing")) is None
    (tmp_path / "garbage").write_text("not a key\n")
    assert cached_key(str(tmp_path / "garbage")) is None
