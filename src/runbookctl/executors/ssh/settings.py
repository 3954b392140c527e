"""The `ssh:` settings of the config file as the SSH executor uses them.

Their keys, defaults and checks are one table: runbook/config.py's SSH_SETTINGS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbookctl.errors import UsageError
from runbookctl.runbook.config import SSH_SETTINGS, read_settings


def _default(key: str) -> Any:
    return SSH_SETTINGS[key].default


@dataclass(frozen=True)
class SSHConfig:
    """Config `ssh:` (README.md, "Where things live"); its keys, defaults and checks are config.SSH_SETTINGS.
    Durations in seconds."""

    user: str | None = _default("user")
    identity_file: str | None = _default("identity_file")
    config_file: str = _default("config_file")
    system_config_file: str = _default("system_config_file")
    known_hosts: str | None = _default("known_hosts")  # accept-new writes here
    user_known_hosts: str = _default("user_known_hosts")
    host_key_policy: str = _default("host_key_policy")  # "strict" | "accept-new"
    connect_timeout: float = _default("connect_timeout")
    keepalive: float = _default("keepalive")
    kill_grace: float = _default("kill_grace")  # remote SIGTERM to SIGKILL
    use_agent: bool = _default("use_agent")
    signing_key: str | None = _default("signing_key")  # signs the record (record/signing.py)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: Path | None = None) -> SSHConfig:
        """From the config file's `ssh:` mapping; relative paths are taken from `base`."""
        values, bad = read_settings(SSH_SETTINGS, data, base, "ssh.")
        if bad:
            raise UsageError("; ".join(bad.values()))
        return cls(**values)
