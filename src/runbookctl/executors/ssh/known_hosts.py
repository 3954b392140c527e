"""known_hosts files parsed once per change of the file, for every connection of a
run, and indexed by host (executors/ssh/connections.py gives each new client only the
entries of the host it connects to).

paramiko looks a host up by going through every entry, and for a hashed one
(`|1|salt|hash`, what `HashKnownHosts yes` writes: Debian's default) it computes an
HMAC in Python and compares it byte by byte in Python: with 2,000 hashed lines that
was 30 ms of CPU per host, 6 s for a 200-host step. Here a plain name is a dict
lookup, and a hashed line costs one HMAC in C (hmac.digest), once per host name.

Names match as OpenSSH matches them (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"), where
paramiko only compares strings: without regard to case (ssh lowercases the host it
is given), and a line's names may be patterns (`*.example.com`, `web?`, `[*.db]:2222`),
`!` before one excluding the hosts it matches from the whole line.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import re
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import paramiko

_append_lock = threading.Lock()  # several hosts may accept their keys at once
_known_lock = threading.Lock()
_known_parsed: dict[Path, tuple[tuple[int, int, int], KnownHostsFile]] = {}


@dataclass(frozen=True)
class Key:
    """A public key as the wire carries it: its type and its blob (which starts with
    the type). What a host key is compared, shown and filed as, on both paths."""

    kind: str
    blob: bytes

    @property
    def b64(self) -> str:
        return binascii.b2a_base64(self.blob, newline=False).decode("ascii")

    @property
    def fingerprint(self) -> str:
        """`SHA256:...`, as `ssh-keygen -l` and paramiko's PKey.fingerprint show it."""
        digest = binascii.b2a_base64(hashlib.sha256(self.blob).digest(), newline=False)
        return "SHA256:" + digest.decode("ascii").rstrip("=")

    @property
    def shown(self) -> str:
        """`ssh-ed25519 SHA256:...`"""
        return f"{self.kind} {self.fingerprint}"


def key_from_blob(blob: bytes) -> Key | None:
    """The key whose blob this is (its type read from the blob); None if the blob
    does not start with an SSH string."""
    if len(blob) < 4:
        return None
    (size,) = struct.unpack(">I", blob[:4])
    if size == 0 or 4 + size > len(blob):
        return None
    try:
        return Key(blob[4:4 + size].decode("ascii"), blob)
    except UnicodeDecodeError:
        return None


def key_of(pkey: paramiko.PKey) -> Key:
    """A paramiko key as a Key."""
    return Key(pkey.get_name(), pkey.asbytes())


# The host key types paramiko 4+ reads (PKey.from_type_string; no DSS), by the type a
# line may name them with, to the type its blob must have (paramiko and OpenSSH read
# `rsa-sha2-512` as an ssh-rsa key): a line of any other type is skipped by both paths
# alike, as paramiko skips it.
KNOWN_TYPES = {"ssh-rsa": "ssh-rsa", "rsa-sha2-256": "ssh-rsa", "rsa-sha2-512": "ssh-rsa",
               "ssh-ed25519": "ssh-ed25519", "ecdsa-sha2-nistp256": "ecdsa-sha2-nistp256",
               "ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384",
               "ecdsa-sha2-nistp521": "ecdsa-sha2-nistp521"}
_EC_POINT = {"ecdsa-sha2-nistp256": 65, "ecdsa-sha2-nistp384": 97, "ecdsa-sha2-nistp521": 133}


def _ssh_strings(blob: bytes) -> list[bytes] | None:
    """The SSH strings a blob is made of; None if it is not exactly a run of them."""
    out, at = [], 0
    while at < len(blob):
        if at + 4 > len(blob):
            return None
        (size,) = struct.unpack(">I", blob[at:at + 4])
        if at + 4 + size > len(blob):
            return None
        out.append(blob[at + 4:at + 4 + size])
        at += 4 + size
    return out


def uncompressed(key: Key) -> Key | None:
    """The key with the blob the wire carries: an ECDSA point written compressed (the same
    key to paramiko and OpenSSH) uncompressed, so that comparing blobs (a known key, a
    `@revoked` one) compares keys; None for a compressed point not on its curve."""
    fields = _ssh_strings(key.blob)
    if key.kind not in _EC_POINT or fields is None or fields[2][:1] == b"\4":
        return key
    import paramiko

    try:  # paramiko reads the point (as PKey.from_type_string) and writes it uncompressed
        return Key(key.kind, paramiko.ECDSAKey(data=key.blob).asbytes())
    except Exception:  # as paramiko's own parse: a key it cannot read is skipped
        return None


def well_formed(key: Key) -> bool:
    """Whether the blob has the fields paramiko reads for its type (so that a key it
    would skip is skipped on the libssh2 path too, not taken as the host's key)."""
    fields = _ssh_strings(key.blob)
    if fields is None:
        return False
    if key.kind == "ssh-ed25519":
        return len(fields) == 2 and len(fields[1]) == 32
    if key.kind == "ssh-rsa":
        return len(fields) == 3 and all(fields[1:])
    point = _EC_POINT.get(key.kind)  # uncompressed (04 x y) or, as paramiko takes, compressed
    return (point is not None and len(fields) == 3 and fields[1] == key.kind[11:].encode()
            and (len(fields[2]), fields[2][:1]) in ((point, b"\4"), (point // 2 + 1, b"\2"),
                                                    (point // 2 + 1, b"\3")))


@dataclass(frozen=True)
class HostLine:
    """One known_hosts line: its names and its key."""

    hostnames: list[str]
    key: Key

    def pkey(self) -> paramiko.PKey | None:
        """The key as paramiko reads it (for the paramiko path); None if it cannot."""
        import paramiko

        try:
            return paramiko.PKey.from_type_string(self.key.kind, self.key.blob)
        except Exception:  # as paramiko's own parse: a key it cannot read is skipped
            return None


@dataclass
class KnownHostsFile:
    """The entries of one known_hosts file, in file order, indexed by plain name;
    hashed names are checked against a name on demand."""

    entries: list[HostLine]
    revoked: frozenset[tuple[str, str]] = frozenset()  # @revoked keys: (type, base64)
    _plain: dict[str, list[int]] = field(default_factory=dict)
    _hashed: list[tuple[bytes, bytes, int]] = field(default_factory=list)  # salt, digest, index
    _patterns: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    _found: dict[str, list[HostLine]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for index, entry in enumerate(self.entries):
            if any(_is_pattern(name) for name in entry.hostnames):
                self._patterns.append((_line_pattern(entry.hostnames), index))
                continue
            for name in entry.hostnames:
                if name.startswith("|1|"):
                    hashed = _salt_and_digest(name)
                    if hashed is not None:
                        self._hashed.append((*hashed, index))
                else:
                    self._plain.setdefault(name.lower(), []).append(index)

    def matching(self, name: str) -> list[HostLine]:
        """The entries that name the host `name` (`host` or `[host]:port`), in file
        order, as OpenSSH finds them."""
        with self._lock:
            hit = self._found.get(name)
        if hit is not None:
            return hit
        lower = name.lower()
        indexes = set(self._plain.get(lower, ()))
        # Hashed as ssh hashes it (lower case), or as written by a tool that kept the case.
        for encoded in {lower.encode(), name.encode()}:
            indexes.update(index for salt, digest, index in self._hashed
                           if hmac.compare_digest(hmac.digest(salt, encoded, "sha1"), digest))
        indexes.update(index for pattern, index in self._patterns if pattern.fullmatch(lower))
        found = [self.entries[i] for i in sorted(indexes)]
        with self._lock:
            self._found[name] = found
        return found


def _is_pattern(name: str) -> bool:
    return name.startswith("!") or "*" in name or "?" in name


def _line_pattern(names: list[str]) -> re.Pattern[str]:
    """One regex for a line's names: any name that is not excluded by a `!name`.
    `*` is any run of characters, `?` any one; the rest is literal; no case."""

    def glob(name: str) -> str:
        return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in name)

    wanted = [glob(n) for n in names if not n.startswith("!")]
    refused = [glob(n[1:]) for n in names if n.startswith("!")]
    ahead = "".join(f"(?!(?:{r})$)" for r in refused)
    return re.compile(f"{ahead}(?:{'|'.join(wanted) or '(?!)'})", re.IGNORECASE | re.DOTALL)


def _salt_and_digest(name: str) -> tuple[bytes, bytes] | None:
    """`|1|base64(salt)|base64(hmac-sha1)`, decoded; None if it is not well formed
    (such a name can match no host)."""
    parts = name.split("|")
    if len(parts) != 4:
        return None
    try:
        return binascii.a2b_base64(parts[2]), binascii.a2b_base64(parts[3])
    except (binascii.Error, ValueError):
        return None


def known_entries(path: Path) -> KnownHostsFile:
    """The parsed, indexed entries of a known_hosts file, cached until the file
    changes (inode, size or mtime: accept-new appends to it). The hosts of a
    fan-out wait for one parse (under the lock) instead of each parsing the file
    as they all start at once."""
    info = path.stat()
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    with _known_lock:
        hit = _known_parsed.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        known = KnownHostsFile(*_parse_known_hosts(path))
        _known_parsed[path] = (stamp, known)
        return known


def _parse_known_hosts(path: Path) -> tuple[list[HostLine], frozenset[tuple[str, str]]]:
    """The lines of a known_hosts file as OpenSSH reads them (names, key type, base64
    key, any run of spaces or tabs between them), without paramiko: a fan-out on
    libssh2 never imports it. Lines paramiko would not read are skipped, as it skipped
    them: a key type it does not know, a key that is not base64 or whose blob is not
    of the type the line names, or not made of the fields of that type (well_formed).
    Also the keys of `@revoked` lines (type, base64);
    `@cert-authority` lines are skipped: host certificates are not used. (paramiko's
    own HostKeys.load checked every line against every line before it: quadratic.)
    Bytes that are not UTF-8 (a Latin-1 comment, a name another tool wrote) are kept
    as they are, as OpenSSH reads the file: such a name matches no host, such a key is
    skipped, and every other line still counts."""
    entries, revoked = [], set()
    with open(path, encoding="utf-8", errors="surrogateescape") as lines:
        for line in lines:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            marker = fields.pop(0) if fields[0].startswith("@") else ""
            if len(fields) < 3 or fields[1] not in KNOWN_TYPES:
                continue
            try:
                key = key_from_blob(binascii.a2b_base64(fields[2].encode("ascii")))
            except (binascii.Error, ValueError, UnicodeEncodeError):
                continue
            if key is None or key.kind != KNOWN_TYPES[fields[1]] or not well_formed(key):
                continue
            key = uncompressed(key)  # the wire's form: keys are compared by their blobs
            if key is None:
                continue
            if marker == "@revoked":
                revoked.add((key.kind, key.b64))
            elif not marker:
                entries.append(HostLine(fields[0].split(","), key))
    return entries, frozenset(revoked)


def append_known_host(path: Path, hostname: str, key: Key, hashed: bool = False) -> None:
    """One line for the host's key (OSError if it cannot be written); with HashKnownHosts
    its name hashed, as OpenSSH files it (`|1|salt|hmac`: the file does not list the
    hosts one reaches)."""
    hostname = hostname.lower()  # as ssh writes it: it lowercases the host it is given
    name = hash_host(hostname) if hashed else hostname
    line = f"{name} {key.kind} {key.b64}\n"
    with _append_lock:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="ascii") as file:
            file.write(line)


def hash_host(hostname: str) -> str:
    """`|1|base64(salt)|base64(hmac-sha1(salt, name))`, as ssh-keygen -H files a name."""
    salt = os.urandom(20)
    digest = hmac.digest(salt, hostname.encode(), "sha1")
    return "|1|{}|{}".format(*(binascii.b2a_base64(x, newline=False).decode() for x in (salt, digest)))
