"""The private key a connection logs in with first: loaded once per change of its file
for every host of a fan-out, and the keys ssh would try after it; and, for the libssh2
path, the same key file when it can be used as it is (no passphrase, no certificate),
told without paramiko (a fan-out on libssh2 never imports it)."""

from __future__ import annotations

import binascii
import os
import re
import threading
from typing import TYPE_CHECKING

from runbookctl.executors.ssh.targets import Target

if TYPE_CHECKING:
    import paramiko


def first_key(target: Target, use_agent: bool) -> tuple[paramiko.PKey | None, str | None,
                                                         list[str]]:
    """The key tried first (loaded once: cached_key) and its file, and the key files
    paramiko is to try after it, in ssh's order."""
    files = list(target.key_files)
    if files:
        pkey = cached_key(files[0])
        if pkey is not None:
            return pkey, files[0], files[1:]  # paramiko tries pkey first, then these
        return None, None, files
    default = _default_key(target, use_agent)
    if default:
        return cached_key(default), default, []
    return None, None, []


def login_file(target: Target, use_agent: bool) -> str | None:
    """The file of the key first_key would log in with when it needs no passphrase and
    comes with no certificate (plain_key_file); None otherwise (then the paramiko path
    logs in, and says what is wrong)."""
    path = target.key_files[0] if target.key_files else _default_key(target, use_agent)
    return path if path and plain_key_file(path) else None


def _default_key(target: Target, use_agent: bool) -> str | None:
    """No key named and no agent: the first of ~/.ssh/id_* paramiko would load."""
    if target.identities_only or (use_agent and os.environ.get("SSH_AUTH_SOCK")):
        return None
    found = next((p for p in _DEFAULT_KEYS if os.path.isfile(os.path.expanduser(p))), None)
    return os.path.expanduser(found) if found else None


_PEM = re.compile(rb"-----BEGIN ((?:RSA|EC|DSA|OPENSSH) PRIVATE KEY)-----\s*(.*?)-----END ",
                  re.DOTALL)


def plain_key_file(path: str) -> bool:
    """Whether `path` holds a private key that opens without a passphrase and has no
    certificate beside it (`-cert.pub`): an OpenSSH key whose cipher is `none`, or a PEM
    key (PKCS#1, SEC1) without encryption, as paramiko's PKey.from_path opens them (not
    PKCS#8). Anything else is not: the paramiko
    path loads it and says what is wrong (a wrong guess here costs a libssh2 login that
    fails, and then the same)."""
    path = os.path.expanduser(path)
    if os.path.exists(path + "-cert.pub"):
        return False
    try:
        info = os.stat(path)
    except OSError:
        return False
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    hit = _plain.get(path)  # every host of a fan-out asks: the file is read once
    if hit is None or hit[0] != stamp:
        hit = _plain[path] = (stamp, _plain_key(path))
    return hit[1]


_plain: dict[str, tuple[tuple[int, int, int], bool]] = {}


def _plain_key(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            found = _PEM.search(f.read(64 * 1024))
    except OSError:
        return False
    if found is None:
        return False
    kind, body = found.groups()
    if kind != b"OPENSSH PRIVATE KEY":
        return b"ENCRYPTED" not in body  # `Proc-Type: 4,ENCRYPTED`
    try:
        blob = binascii.a2b_base64(body)
    except (binascii.Error, ValueError):
        return False
    magic = b"openssh-key-v1\0"
    return blob[:len(magic)] == magic and blob[len(magic):len(magic) + 8] == b"\0\0\0\4none"


# The keys paramiko looks for (look_for_keys), in its order.
_DEFAULT_KEYS = tuple(f"~/{folder}/id_{kind}" for kind in ("rsa", "ecdsa", "ed25519")
                      for folder in (".ssh", "ssh"))
_key_lock = threading.Lock()
_key_locks: dict[str, threading.Lock] = {}
_keys: dict[str, tuple[tuple[int, int, int], paramiko.PKey | None]] = {}


def cached_key(path: str) -> paramiko.PKey | None:
    """The private key in `path`, loaded once per change of the file.

    paramiko loads a key file for every connection, and loading an RSA key
    validates it: 130 ms for 3072 bits, so 2.6 s of CPU for a 20-host step.
    None when it cannot be loaded without help (a passphrase, an unknown
    format) or comes with a certificate (`-cert.pub`): then paramiko loads
    the file itself, as before, and says what is wrong.
    """
    path = os.path.expanduser(path)
    try:
        info = os.stat(path)
    except OSError:
        return None
    if os.path.exists(path + "-cert.pub"):
        return None
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    with _key_lock:
        lock = _key_locks.setdefault(path, threading.Lock())
    with lock:  # the hosts of a fan-out wait for one load instead of each doing it
        hit = _keys.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        import paramiko

        try:
            key: paramiko.PKey | None = paramiko.PKey.from_path(path)
        except Exception:  # any failure: paramiko tries the file itself and reports it
            key = None
        _keys[path] = (stamp, key)
        return key
