"""The config file: one table of keys (config.SETTINGS / SSH_SETTINGS) read by the
config check, the SSH code and the README alike; one duration syntax everywhere."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from runbookctl.errors import UsageError, ValidationError
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.runbook.config import SETTINGS, SSH_SETTINGS, config_reference, load_config
from runbookctl.runbook.loader import load_runbook_text
from tests.helpers import ROOT


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "runbookctl.yaml"
    path.write_text(text)
    return load_config(path)


def _errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ValidationError) as err:
        _load(tmp_path, text)
    return [f"{p.pos.line}:{p.pos.col}: {p.message}" for p in err.value.problems]


def test_the_ssh_code_and_the_config_check_share_one_table() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(SSHConfig)}
    assert fields == {key: s.default for key, s in SSH_SETTINGS.items()}


@pytest.mark.parametrize(("line", "key", "value"), [
    ("connect_timeout: 1m30s", "connect_timeout", 90.0),
    ("connect_timeout: 2.5", "connect_timeout", 2.5),
    ("keepalive: 1h", "keepalive", 3600.0),
    ("kill_grace: 500ms", "kill_grace", 0.5),
    ("kill_grace: 0", "kill_grace", 0.0),
    ("use_agent: false", "use_agent", False),
    ("user: ops", "user", "ops"),
    ("host_key_policy: accept-new", "host_key_policy", "accept-new"),
    ("user_known_hosts: keys/known", "user_known_hosts", "{dir}/keys/known"),
    ("identity_file: /abs/key", "identity_file", "/abs/key"),
    ("config_file: ssh_config", "config_file", "{dir}/ssh_config"),
])
def test_every_ssh_key_reaches_the_ssh_code(tmp_path: Path, line: str, key: str,
                                            value: object) -> None:
    config = _load(tmp_path, f"ssh:\n  {line}\n")
    ssh = SSHConfig(**config.ssh)  # what a run builds (setup._ssh_factory)
    expected = value.format(dir=tmp_path) if isinstance(value, str) else value
    assert getattr(ssh, key) == expected
    assert SSHConfig.from_mapping(yaml.safe_load(line), base=tmp_path) == ssh


def test_top_level_keys(tmp_path: Path) -> None:
    config = _load(tmp_path, "default_timeout: 1h30m\noperator: alice\nreports_dir: out\n"
                             "runbooks: [a, /b]\ntemplates: t\nstate_dir: ~/st\nssh:\n")
    assert config.default_timeout == 5400.0 and config.operator == "alice"
    assert config.reports_dir == str(tmp_path / "out")
    assert config.extra_runbook_dirs == (tmp_path / "a", Path("/b"))
    assert config.extra_template_dirs == (tmp_path / "t",)
    assert config.state_dir == str(Path("~/st").expanduser())


BAD = [
    ("ssh:\n  connect_timeout: soon\n",
     "2:20: ssh.connect_timeout: bad duration 'soon': write it like 30s, 5m, 1h30m or 500ms"),
    ("ssh:\n  connect_timeout: 0\n",
     "2:20: ssh.connect_timeout: expected a duration above zero, got 0 (a number)"),
    ("ssh:\n  keepalive: -5s\n", "2:14: ssh.keepalive: bad duration '-5s': it cannot be negative"),
    ("ssh:\n  kill_grace: 400d\n", "2:15: ssh.kill_grace: bad duration '400d': at most a year (365d)"),
    ("ssh:\n  use_agent: maybe\n", "2:14: ssh.use_agent: expected true or false, got 'maybe'"),
    ("ssh:\n  host_key_policy: auto-add\n",
     "2:20: ssh.host_key_policy: must be one of strict, accept-new, not 'auto-add'"),
    ("ssh:\n  user: [a, b]\n", "2:9: ssh.user: expected text, got a list"),
    ("ssh:\n  conect_timeout: 3s\n", "2:3: unknown config key 'ssh.conect_timeout' (did you mean "
     "'connect_timeout'?) (known: " + ", ".join(SSH_SETTINGS) + ")"),
    ("ssh: 3\n", "1:6: ssh: must be a mapping (ssh: {user: ops})"),
    ("default_timeout: 1 hour\n",
     "1:18: default_timeout: bad duration '1 hour': write it like 30s, 5m, 1h30m or 500ms"),
    ("default_timeout: true\n", "1:18: default_timeout: bad duration true (a boolean): write it "
     "like 30s, 5m, 1h30m or 500ms"),
    ("operator: {a: 1}\n", "1:11: operator: expected text, got a map"),
    ("runbooks: [a, [b]]\n", "1:11: runbooks: expected text, got a list"),
    ("reprots_dir: x\n", "1:1: unknown config key 'reprots_dir' (did you mean 'reports_dir'?) "
     "(known: " + ", ".join(SETTINGS) + ")"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_value_is_reported_at_its_position(tmp_path: Path, text: str, message: str) -> None:
    assert _errors(tmp_path, text) == [message]


def test_every_problem_of_the_file_in_file_order(tmp_path: Path) -> None:
    text = "ssh:\n  use_agent: 1\n  nope: 2\noperator: [x]\ndefault_timeout: soon\n"
    assert [e.split(":")[0] for e in _errors(tmp_path, text)] == ["2", "3", "4", "5"]


def test_the_readme_documents_every_config_key() -> None:
    assert config_reference() in (ROOT / "README.md").read_text()


def test_from_mapping_names_the_bad_key() -> None:
    with pytest.raises(UsageError, match=r"^ssh.keepalive: bad duration 'x'"):
        SSHConfig.from_mapping({"keepalive": "x"})


_PART = st.tuples(st.integers(0, 500), st.sampled_from(["ms", "s", "m", "h", ""]))
_DURATION = st.one_of(
    st.lists(_PART, min_size=1, max_size=3).map(lambda ps: "".join(f"{n}{u}" for n, u in ps)),
    st.text(alphabet="0123456789.smhd -x", max_size=8),
    st.integers(-5, 10**9), st.floats(allow_nan=True), st.booleans(),
)


def _accepts(read: Any) -> float | None:
    try:
        seconds: float = read()
    except (UsageError, ValidationError):
        return None
    return seconds


@given(_DURATION)
def test_runbook_and_config_read_a_duration_alike(value: object) -> None:
    """Whatever a runbook's `timeout:` accepts, `ssh.connect_timeout` accepts, as the same
    seconds (the bug: `1m30s` passed the check, then failed the first ssh step)."""
    text = yaml.safe_dump({"title": "t", "steps": [{"id": "a", "run": "x", "timeout": value}]})
    in_runbook = _accepts(lambda: load_runbook_text(text, "rb.yaml").steps[0].timeout)
    in_config = _accepts(lambda: SSHConfig.from_mapping({"connect_timeout": value}).connect_timeout)
    assert in_config == in_runbook


@pytest.mark.parametrize(("age", "seconds"), [("7d", 7 * 86400), ("1h30m", 5400), ("45m", 2700)])
def test_runs_since_reads_the_same_durations(age: str, seconds: int) -> None:
    from datetime import UTC, datetime, timedelta

    from runbookctl.cli.commands.history import parse_since

    since = datetime.fromisoformat(parse_since(age) or "").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - timedelta(seconds=seconds) - since).total_seconds()) < 60
    with pytest.raises(UsageError, match="expected a date"):
        parse_since("99999d")


def test_every_default_and_choice_comes_from_the_one_table() -> None:
    """Config repeated default_timeout's 600s and the SSH code its own host key policy
    words (#13.4): both now read SETTINGS / SSH_SETTINGS."""
    from runbookctl.executors.ssh import host_keys
    from runbookctl.runbook.config import Config

    assert Config().default_timeout == SETTINGS["default_timeout"].default
    assert SSH_SETTINGS["host_key_policy"].choices == (host_keys.STRICT, host_keys.ACCEPT_NEW)
    assert host_keys.KnownHosts.__dataclass_fields__["policy"].default == SSHConfig().host_key_policy


@pytest.mark.parametrize(("text", "size"), [
    ("1048576", 1048576), ("512 KiB", 524288), ("1MiB", 1048576), ("20 MB", 20_000_000),
    ("1.5 KiB", 1536), ("0", 0)])
def test_the_commit_log_caps_take_a_size(tmp_path: Path, text: str, size: int) -> None:
    config = _load(tmp_path, f"commit_log_cap: {text}\ncommit_logs_cap: {text}\n")
    assert config.commit_log_cap == size and config.commit_logs_cap == size


def test_the_commit_log_caps_default_to_1_and_20_mib_and_refuse_what_is_not_a_size(
        tmp_path: Path) -> None:
    config = _load(tmp_path, "reports_dir: r\n")
    assert (config.commit_log_cap, config.commit_logs_cap) == (1024 * 1024, 20 * 1024 * 1024)
    assert "| `commit_log_cap` | 1 MiB |" in config_reference()
    assert _errors(tmp_path, "commit_log_cap: lots\n") == [
        "1:17: commit_log_cap: must be a size such as 1048576, 512 KiB or 20 MiB, not 'lots'"]
    assert _errors(tmp_path, "commit_logs_cap: -1 MB\n")[0].startswith("1:18: commit_logs_cap:")


@pytest.mark.parametrize(("url", "why"), [
    ("postgresql://rb:pw@db/runs", "a password must not be written in the config file"),
    ("postgresql://rb@db/runs?password=pw", "a password must not be written in the config file"),
    ("mysql://rb@db/runs", "must be a postgresql://USER@HOST:PORT/DB URL"),
    ("postgresql://rb@db", "needs a host and a database"),
    ("postgresql://rb@db:99999/runs", "not a PostgreSQL URL"),
])
def test_the_store_url_is_checked_and_never_holds_a_password(url: str, why: str) -> None:
    from runbookctl.runbook.config import store_url

    with pytest.raises(ValueError, match=why):
        store_url(url)
    assert store_url(" postgresql://rb@db:5432/runs ") == "postgresql://rb@db:5432/runs"
    assert store_url("postgres://rb@/runs?host=/run/postgresql") == "postgres://rb@/runs?host=/run/postgresql"


def test_a_password_in_the_store_url_is_refused_at_its_place(tmp_path: Path) -> None:
    path = tmp_path / "runbookctl.yaml"
    path.write_text("store: postgresql://rb:s3cret@db/runs\n")
    with pytest.raises(ValidationError) as exc:
        load_config(path)
    assert exc.value.problems[0].pos.line == 1 and exc.value.problems[0].pos.col == 8
    path.write_text("store: postgresql://rb@db/runs\n")
    assert load_config(path).store == "postgresql://rb@db/runs"
