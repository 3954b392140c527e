"""`store init`, `store sync` and a run's link to the store (cli/commands/store.py),
without a server: what is refused before connecting, and what the run's end says."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runbookctl.cli.commands import store
from runbookctl.errors import UsageError
from runbookctl.runbook.config import Config


class Said:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __getattr__(self, kind: str) -> Any:
        return lambda text: self.lines.append((kind, text))


def _session(url: str | None, tmp_path: Path) -> Any:
    return SimpleNamespace(config=Config(path=tmp_path / "runbookctl.yaml", store=url,
                                         state_dir=str(tmp_path / "state")))


def test_without_a_store_the_commands_say_how_to_configure_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no store configured: add `store: postgresql://"):
        store.sync_store(_session(None, tmp_path), Said())  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no store configured"):
        store.init_store(_session(None, tmp_path), Said(), None, None)  # type: ignore[arg-type]


def test_an_admin_url_with_a_password_is_refused_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--admin: a password must not be written"):
        store.init_store(_session(None, tmp_path), Said(), "postgresql://pg:pw@db/runs", None)  # type: ignore[arg-type]


def test_init_grants_the_configured_user_when_an_admin_connects() -> None:
    tool = "postgresql://rbtool@db/runs"
    assert store._tool_role(tool, "postgresql://postgres@db/runs") == "rbtool"
    assert store._tool_role(tool, tool) is None  # the tool's own user: nothing to grant
    assert store._tool_role(None, "postgresql://postgres@db/runs") is None


def test_no_store_configured_means_no_shipper(tmp_path: Path) -> None:
    assert store.attach(_session(None, tmp_path), object(), Said()) is None  # type: ignore[arg-type]


class FakeShipper:
    def __init__(self, pending: int) -> None:
        self.left, self.timeout = pending, 0.0

    def close(self, timeout: float) -> int:
        self.timeout = timeout
        return self.left


def _run(posted: list[dict[str, Any]]) -> Any:
    journal = SimpleNamespace(sync=lambda: None)
    events = SimpleNamespace(recorder=SimpleNamespace(journal=journal),
                             take_posted=lambda: posted)
    return SimpleNamespace(events=events)


def test_the_runs_end_flushes_briefly_and_names_what_is_left_for_sync() -> None:
    said = Said()
    shipper = FakeShipper(pending=7)
    store.StoreLink(shipper, _run([{"reason": "store unreachable: down"}])).close(said)  # type: ignore[arg-type]
    assert shipper.timeout == store.FINAL_FLUSH <= 3
    assert said.lines == [
        ("warn", "store unreachable: down"),
        ("warn", "7 events of this run are not in the store yet: `runbookctl store sync` ships "
                 "them (so does the next run)"),
    ]
    quiet = Said()
    store.StoreLink(FakeShipper(0), _run([])).close(quiet)  # type: ignore[arg-type]
    assert quiet.lines == []


def test_approving_a_run_nobody_has_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "mirrored_runs", lambda session, local: [tmp_path / "20261201-a"])
    with pytest.raises(UsageError, match="no run 'zzz' here nor in the store"):
        store.approve_remotely(_session("postgresql://rb@db/runs", tmp_path), Said(), "zzz",  # type: ignore[arg-type]
                               "drop", "approve", "bob", None)
