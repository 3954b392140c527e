"""The config file's `ssh:` settings as the SSH executor takes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.executors.ssh.settings import SSHConfig


def test_settings_are_checked_converted_and_relative_paths_taken_from_the_config(tmp_path: Path) -> None:
    config = SSHConfig.from_mapping({"connect_timeout": "15s", "identity_file": "keys/id",
                                     "host_key_policy": "accept-new"}, tmp_path)
    assert config.connect_timeout == 15.0
    assert config.identity_file == str(tmp_path / "keys" / "id")
    assert config.host_key_policy == "accept-new"
    assert SSHConfig.from_mapping({}) == SSHConfig()


def test_bad_settings_are_refused_naming_each() -> None:
    with pytest.raises(UsageError) as err:
        SSHConfig.from_mapping({"connect_timeout": "soon", "host_key_policy": "trust"})
    assert "ssh.connect_timeout" in err.value.message and "ssh.host_key_policy" in err.value.message
