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
import hmac
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

_append_lock = threading.Lock()  # several hosts may accept their keys at once
_known_lock = threading.Lock()
_known_parsed: dict[Path, tuple[tuple[int, int, int], KnownHostsFile]] = {}


@dataclass
class KnownHostsFile:
    """The entries of one known_hosts file (paramiko HostKeyEntry), in file order,
    indexed by plain name; hashed names are checked against a name on demand."""

    entries: list[Any]
    revoked: frozenset[tuple[str, str]] = frozenset()  # @revoked keys: (type, base64)
    _plain: dict[str, list[int]] = field(default_factory=dict)
    _hashed: list[tuple[bytes, bytes, int]] = field(default_factory=list)  # salt, digest, index
    _patterns: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    _found: dict[str, list[Any]] = field(default_factory=dict)
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

    def matching(self, name: str) -> list[Any]:
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


def _parse_known_hosts(path: Path) -> tuple[list[Any], frozenset[tuple[str, str]]]:
    """paramiko.HostKeys.load, less its check of every line against every line
    before it (which only drops exact repeats, found by lookup anyway): that
    check made parsing quadratic: 20k name matches for a 200-line file). Also
    the keys of `@revoked` lines (type, base64), which paramiko does not know:
    a line with a marker, or with a key it cannot decode, made it raise for every
    host. `@cert-authority` lines are skipped: host certificates are not used."""
    from paramiko.hostkeys import HostKeyEntry, InvalidHostKey

    entries, revoked = [], set()
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            marker = ""
            if line.startswith("@"):
                marker, _, line = line.partition(" ")
                line = line.strip()
            try:
                entry = HostKeyEntry.from_line(line, number)
            except (paramiko.SSHException, InvalidHostKey):
                continue  # as paramiko: a line it cannot read is skipped
            if entry is None or entry.key is None:
                continue
            if marker == "@revoked":
                revoked.add((entry.key.get_name(), entry.key.get_base64()))
            elif not marker:
                entries.append(entry)
    return entries, frozenset(revoked)


def append_known_host(path: Path, hostname: str, key: paramiko.PKey, hashed: bool = False
                      ) -> None:
    """One line for the host's key (OSError if it cannot be written); with HashKnownHosts
    its name hashed, as OpenSSH files it (`|1|salt|hmac`: the file does not list the
    hosts one reaches)."""
    hostname = hostname.lower()  # as ssh writes it: it lowercases the host it is given
    name = paramiko.HostKeys.hash_host(hostname) if hashed else hostname
    line = f"{name} {key.get_name()} {key.get_base64()}\n"
    with _append_lock:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="ascii") as file:
            file.write(line)
