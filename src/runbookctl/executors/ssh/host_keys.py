"""The server's host key against known_hosts, on both paths (paramiko's SSHClient and
libssh2): the host's known keys from both files less the `@revoked` ones, what to do with
a host none of them knows (refuse it, or file its key under accept-new), and the one-line
ConnectError every failure to connect becomes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.executors.ssh.known_hosts import (
    HostLine,
    Key,
    append_known_host,
    key_of,
    known_entries,
)
from runbookctl.executors.ssh.targets import Target
from runbookctl.runbook.config import ACCEPT_NEW, STRICT

if TYPE_CHECKING:
    import paramiko


class ConnectError(Exception):
    """A host could not be connected to; the message is the one-line reason."""


@dataclass(frozen=True)
class KnownHosts:
    """Where host keys are read from and (accept-new) written to."""

    user_file: Path  # ~/.ssh/known_hosts
    extra_file: Path | None  # config ssh.known_hosts
    policy: str = STRICT

    @property
    def write_file(self) -> Path:
        return self.extra_file or self.user_file


class HostKeyPolicy:
    """What to do with a host absent from every known_hosts file: refuse it, or file
    its key (accept-new). Both paths call it: libssh2 directly (`missing`), paramiko
    through SSHClient (`missing_host_key`)."""

    def __init__(self, known: KnownHosts, target: Target,
                 revoked: frozenset[tuple[str, str]] = frozenset(),
                 keys: tuple[Key, ...] = ()) -> None:
        self.known = known
        self.target = target
        self.revoked = revoked  # `@revoked` keys of the known_hosts files (type, base64)
        self.keys = keys  # the host's known keys, less the revoked (host_entries)
        self.accepted: str | None = None

    def missing(self, hostname: str, key: Key) -> None:
        """ConnectError unless the key may be, and was, filed under `hostname`."""
        shown = key.shown
        refuse_revoked(key, self.revoked, self.target)
        if self.known.policy != ACCEPT_NEW:
            raise ConnectError(
                f"unknown host key for {self.target.address} ({shown}); add it to known_hosts "
                "or set ssh.host_key_policy: accept-new")
        path = self.known.write_file
        try:
            append_known_host(path, hostname, key, self.target.hash_known_hosts)
        except OSError as exc:  # a key we cannot remember would be re-accepted silently
            raise ConnectError(f"cannot record the host key of {hostname} in {path}: "
                               f"{exc.strerror or exc}") from None
        self.accepted = shown

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
                         ) -> None:
        """paramiko's MissingHostKeyPolicy hook."""
        self.missing(hostname, key_of(key))
        client.get_host_keys().add(hostname, key.get_name(), key)


def refuse_revoked(key: Key, revoked: frozenset[tuple[str, str]], target: Target) -> None:
    """ConnectError if known_hosts marks the server's key `@revoked` (under any policy,
    whatever else the files say of the host), before we authenticate to it."""
    if (key.kind, key.b64) in revoked:
        raise ConnectError(f"REVOKED host key for {target.address} ({key.shown}): "
                           "known_hosts marks it @revoked; refusing to log in")


def changed_key(target: Target, key: Key, expected: Key,
                revoked: frozenset[tuple[str, str]]) -> ConnectError:
    """The server's key is not the one known_hosts has for it (ConnectError raised at
    once if the key is `@revoked`)."""
    refuse_revoked(key, revoked, target)
    return ConnectError(
        f"HOST KEY CHANGED for {target.address} ({key.shown}, expected "
        f"{expected.fingerprint}); if the host was re-installed, remove its old "
        "line from known_hosts")


def host_entries(known: KnownHosts, target: Target
                 ) -> tuple[list[HostLine], HostKeyPolicy]:
    """The known_hosts lines of the host, from both files, in order, less the `@revoked`
    keys (a revoked key never counts as known: the host then reaches the policy, which
    refuses it); and the policy for a host they do not know.

    Each file is parsed and indexed once per change, not once per host
    (executors/ssh/known_hosts.py): a 500-line known_hosts cost ~22 ms to parse for
    every host of a fan-out, and paramiko's own lookup of a host among 2,000 hashed
    lines 30 ms.
    """
    name = target.known_hosts_name
    files = []
    for path in (known.user_file, known.extra_file):
        if path is None or not path.is_file():
            continue
        try:
            files.append(known_entries(path))
        except (OSError, ValueError) as exc:
            raise ConnectError(f"cannot read known_hosts file {path}: {exc}") from None
    revoked = frozenset().union(*(f.revoked for f in files))
    lines = [e for f in files for e in f.matching(name)
             if (e.key.kind, e.key.b64) not in revoked]
    return lines, HostKeyPolicy(known, target, revoked, tuple(line.key for line in lines))


def is_known(key: Key, keys: tuple[Key, ...]) -> bool:
    """Whether the server's key is one of the host's known keys, as OpenSSH checks it: any
    line of the host with this very key (a host re-keyed, its old and new lines both kept;
    one name on several lines)."""
    return any(k.blob == key.blob for k in keys)


class KnownElsewhere(Exception):
    """The server's key is a known key of the host but not the first of its type, the one
    paramiko compares (HostKeys.lookup): connect again with that key first."""

    def __init__(self, key: Key) -> None:
        super().__init__(key.shown)
        self.key = key
