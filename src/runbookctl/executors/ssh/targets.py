"""Where a host spec leads: `~/.ssh/config` lookup into a connectable Target.

Free of paramiko, at import time and in a lookup (executors/ssh/ssh_config.py reads
the config as paramiko would): the CLI resolves hosts before any connection is made,
and a step on many hosts connects with libssh2. Host specs and the inventory are
runbook/inventory.py.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbookctl.executors.ssh.config_files import ConfigFileError, configs_text
from runbookctl.executors.ssh.ssh_config import ClientConfig, ConfigLookupError
from runbookctl.runbook.inventory import DEFAULT_PORT, HostSpec, HostSpecError

# --- ~/.ssh/config ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A host resolved through ~/.ssh/config: where to connect and as whom."""

    label: str  # the host as the user named it (HostResult.host)
    hostname: str
    port: int
    user: str
    key_files: tuple[str, ...] = ()
    jump: tuple[str, ...] = ()  # ProxyJump hops, the first one connected first
    identities_only: bool = False
    hash_known_hosts: bool = False  # HashKnownHosts: an accepted key is filed hashed

    @property
    def address(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return f"{host}:{self.port}"

    @property
    def known_hosts_name(self) -> str:
        """The host's name in known_hosts, as OpenSSH writes it."""
        if self.port == DEFAULT_PORT:
            return self.hostname
        return f"[{self.hostname}]:{self.port}"


def load_ssh_config(path: str | Path | None, system: str | Path | None = None
                    ) -> ClientConfig | None:
    """The user's OpenSSH client config (`path`), then the system's, as ssh reads them:
    Includes in place, the first value found winning (executors/ssh/config_files.py);
    None when neither file exists."""
    user, machine = _config_path(path), _config_path(system)
    try:
        text = configs_text(user, machine)
        return None if text is None else ClientConfig.from_text(text)
    except ConfigFileError as exc:
        raise HostSpecError(f"cannot read ssh config {exc}") from None
    except (OSError, ValueError) as exc:  # ssh_config.ConfigParseError is a ValueError
        files = " and ".join(str(f) for f in (user, machine) if f is not None and f.is_file())
        raise HostSpecError(f"cannot read ssh config {files}: {exc}") from None


def _config_path(path: str | Path | None) -> Path | None:
    return Path(os.path.expanduser(str(path))) if path else None


def resolve_target(
    spec: HostSpec,
    ssh_config: ClientConfig | None,
    default_user: str | None = None,
    identity_file: str | None = None,
) -> Target:
    """Apply the ssh config (~/.ssh/config, then /etc/ssh/ssh_config: HostName, User,
    Port, IdentityFile, ProxyJump, IdentitiesOnly, HashKnownHosts).

    Precedence: the spec's own user/port, then ssh config, then `default_user`
    (config ssh.user), then the local user; port 22. `identity_file` is tried
    before the config's IdentityFile entries. A host the config cannot be applied to
    (a failed CanonicalizeHostname, ...) is a HostSpecError: that host fails, not the run.
    """
    try:
        found: dict[str, Any] = ssh_config.lookup(spec.host) if ssh_config else {}
    except ConfigLookupError as exc:
        raise HostSpecError(f"ssh config for {spec.host}: {exc}") from None
    try:
        port = spec.port or int(found.get("port", DEFAULT_PORT))
    except ValueError:
        raise HostSpecError(f"ssh config for {spec.host}: Port {found['port']!r} "
                            "is not a number") from None
    keys = [identity_file] if identity_file else []
    keys += [os.path.expanduser(k) for k in found.get("identityfile", [])]
    jump = str(found.get("proxyjump", "")).strip()
    return Target(
        label=str(spec),
        hostname=str(found.get("hostname", spec.host)),
        port=port,
        user=spec.user or found.get("user") or default_user or getpass.getuser(),
        key_files=tuple(os.path.expanduser(k) for k in dict.fromkeys(keys)),
        jump=() if jump.lower() in ("", "none") else tuple(h.strip() for h in jump.split(",")),
        identities_only=_flag(found.get("identitiesonly")),
        hash_known_hosts=_flag(found.get("hashknownhosts")),
    )


def _flag(value: object) -> bool:
    """An ssh_config yes/no option: OpenSSH takes `yes` and `true` (any case)."""
    return str(value).lower() in ("yes", "true")


def describe(target: Target) -> str:
    """`user@host:port` plus the jump hosts, for dry runs and messages."""
    via = f" via {','.join(target.jump)}" if target.jump else ""
    return f"{target.user}@{target.address}{via}"
