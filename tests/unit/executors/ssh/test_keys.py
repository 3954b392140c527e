"""Private keys are loaded once per change of their file; keys that need a
passphrase or come with a certificate are left to paramiko, as before."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from runbookctl.executors.ssh.keys import cached_key, login_file, plain_key_file
from runbookctl.executors.ssh.targets import Target


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


def _keyfile(path: Path, kind: str, form: str, passphrase: str = "") -> Path:
    bits = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *bits, "-m", form, "-N", passphrase,
                    "-C", "t", "-f", str(path)], check=True)
    return path


def test_the_libssh2_path_takes_the_key_files_paramiko_opens_without_help(
        tmp_path: Path) -> None:
    """plain_key_file tells, without paramiko, what cached_key (paramiko) finds: a key
    that opens as it is, in every format ssh-keygen writes; locked, certified, missing
    and garbage files are not."""
    files = {
        "openssh ed25519": (_keyfile(tmp_path / "a", "ed25519", "RFC4716"), True),
        "openssh ecdsa": (_keyfile(tmp_path / "b", "ecdsa", "RFC4716"), True),
        "PEM rsa": (_keyfile(tmp_path / "c", "rsa", "PEM"), True),
        "PEM ecdsa": (_keyfile(tmp_path / "d", "ecdsa", "PEM"), True),
        "PKCS8 rsa": (_keyfile(tmp_path / "e", "rsa", "PKCS8"), False),  # paramiko cannot
        "locked openssh": (_keyfile(tmp_path / "f", "ed25519", "RFC4716", "secret-pass"), False),
        "locked PEM": (_keyfile(tmp_path / "g", "rsa", "PEM", "secret-pass"), False),
        "locked PKCS8": (_keyfile(tmp_path / "h", "ecdsa", "PKCS8", "secret-pass"), False),
        "missing": (tmp_path / "missing", False),
    }
    (tmp_path / "garbage").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n"
                                      "-----END OPENSSH PRIVATE KEY-----\n")
    files["garbage"] = (tmp_path / "garbage", False)
    certified = _keyfile(tmp_path / "i", "ed25519", "RFC4716")
    (tmp_path / "i-cert.pub").write_text("ssh-ed25519-cert-v01@openssh.com AAAA...\n")
    files["certified"] = (certified, False)
    found = {name: plain_key_file(str(path)) for name, (path, _) in files.items()}
    assert found == {name: plain for name, (_, plain) in files.items()}
    assert found == {name: cached_key(str(path)) is not None
                     for name, (path, _) in files.items()}


def test_the_login_file_is_the_one_paramiko_would_try_first(tmp_path: Path,
                                                            monkeypatch: Any) -> None:
    plain = _keyfile(tmp_path / "plain", "ed25519", "RFC4716")
    locked = _keyfile(tmp_path / "locked", "ed25519", "RFC4716", "secret-pass")
    target = Target("w", "w", 22, "app", key_files=(str(plain), str(locked)))
    assert login_file(target, use_agent=False) == str(plain)
    # the first named key is locked: paramiko's path, which tries them all
    assert login_file(Target("w", "w", 22, "app", key_files=(str(locked), str(plain))),
                      use_agent=False) is None
    # no key named: ~/.ssh/id_*, unless an agent is there to ask or IdentitiesOnly
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    _keyfile(home / ".ssh" / "id_ecdsa", "ecdsa", "RFC4716")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    bare = Target("w", "w", 22, "app")
    assert login_file(bare, use_agent=True) == str(home / ".ssh" / "id_ecdsa")
    assert login_file(Target("w", "w", 22, "app", identities_only=True), True) is None
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "agent.sock"))
    assert login_file(bare, use_agent=True) is None
    assert login_file(bare, use_agent=False) == str(home / ".ssh" / "id_ecdsa")


def test_a_key_file_is_read_once_and_again_when_it_changes(tmp_path: Path,
                                                           monkeypatch: Any) -> None:
    from runbookctl.executors.ssh import keys

    path = _keyfile(tmp_path / "k", "ed25519", "RFC4716")
    reads: list[str] = []
    real = keys._plain_key
    monkeypatch.setattr(keys, "_plain_key", lambda p: reads.append(p) or real(p))
    assert [plain_key_file(str(path)) for _ in range(5)] == [True] * 5
    assert reads == [str(path)]
    path.unlink()
    (tmp_path / "k.pub").unlink()
    _keyfile(path, "ed25519", "RFC4716", "secret-pass")  # locked now, at the same path
    assert plain_key_file(str(path)) is False and len(reads) == 2
