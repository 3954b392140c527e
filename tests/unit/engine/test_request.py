"""The names a run goes by: its id, its operator (one line of plain text) and the
git commit of its runbook."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runbookctl.engine.request import RunRequest, git_commit_of, new_run_id, one_line, operator_name
from runbookctl.errors import UsageError


def session(operator: str | None = None) -> Any:
    return SimpleNamespace(config=SimpleNamespace(operator=operator))


def test_a_run_id_is_utc_time_runbook_and_a_random_tail() -> None:
    first = new_run_id("db-overload")
    assert re.fullmatch(r"\d{8}T\d{6}Z-db-overload-[0-9a-f]{4}", first)


def test_the_operator_is_the_option_then_config_then_environment_then_the_login(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOKCTL_OPERATOR", "from-env")
    assert operator_name(RunRequest("rb", operator="alice"), session("bob")) == "alice"
    assert operator_name(RunRequest("rb"), session("bob")) == "bob"
    assert operator_name(RunRequest("rb"), session()) == "from-env"
    monkeypatch.delenv("RUNBOOKCTL_OPERATOR")
    monkeypatch.setattr("getpass.getuser", lambda: "login")
    assert operator_name(RunRequest("rb"), session()) == "login"

    def no_user() -> str:
        raise KeyError("uid")

    monkeypatch.setattr("getpass.getuser", no_user)
    assert operator_name(RunRequest("rb"), session()) == "unknown"


@pytest.mark.parametrize("value", ["ali\nce", "bob\x1b[2J", "eve\r"])
def test_an_operator_with_a_control_character_is_refused(value: str) -> None:
    with pytest.raises(UsageError) as err:
        operator_name(RunRequest("rb", operator=value), session())
    assert err.value.message.startswith("--operator: ") and "one line of plain text" in err.value.message
    assert one_line("x", "plain text ok") == "plain text ok"


def test_the_git_commit_of_a_runbook_in_a_repository(tmp_path: Path) -> None:
    book = tmp_path / "rb.yaml"
    book.write_text("id: rb\n")
    assert git_commit_of(book) is None  # not a repository
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "rb.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "rb"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_commit_of(book) == head
