"""`runbookctl note`: its arguments, which run it goes to, and what it masks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runbookctl.cli.commands import history, note
from runbookctl.errors import UsageError
from runbookctl.record import lock as runlock
from runbookctl.record.run_state import RunState
from runbookctl.runbook.model import SecretSpec


class Said:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, text: str) -> None:
        self.lines.append(text)


@pytest.mark.parametrize(("words", "expected"), [
    (["rolled back"], (None, "rolled back")),
    (["20261201T1010", "  paged the DBA  "], ("20261201T1010", "paged the DBA")),
])
def test_one_word_is_the_note_two_are_a_run_and_the_note(
        words: list[str], expected: tuple[str | None, str]) -> None:
    assert note._split(words) == expected


@pytest.mark.parametrize(("words", "why"), [
    (["rolled", "back", "deploy"], "got 3 arguments: quote the note"),
    ([], "got 0 arguments"),
    (["run", "   "], "the note is empty"),
    (["a\x1b[2Jb"], r"control character \(U\+001B\)"),
])
def test_bad_arguments_are_a_usage_error_saying_what_to_do(words: list[str], why: str) -> None:
    with pytest.raises(UsageError, match=why):
        note._split(words)


def _runs(monkeypatch: pytest.MonkeyPatch, names: list[str], running: set[str]) -> None:
    monkeypatch.setattr(history, "run_dirs", lambda _s: [Path(n) for n in names])
    monkeypatch.setattr(history, "runs_root", lambda _s: Path("/state/runs"))
    monkeypatch.setattr(runlock, "is_free", lambda d: d.name not in running)


def test_without_a_run_id_the_one_running_run_else_the_latest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    said = Said()
    _runs(monkeypatch, ["3-new", "2-mid", "1-old"], running={"2-mid"})
    assert note._pick(None, said, None) == Path("2-mid")  # type: ignore[arg-type]
    _runs(monkeypatch, ["3-new", "2-mid", "1-old"], running=set())
    assert note._pick(None, said, None) == Path("3-new")  # type: ignore[arg-type]
    assert said.lines == ["the run running now: 2-mid", "no run is running: the latest, 3-new"]


def test_several_running_runs_or_none_at_all_are_errors_naming_what_to_do(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _runs(monkeypatch, ["3-new", "2-mid", "1-old"], running={"3-new", "1-old"})
    with pytest.raises(UsageError, match=r"2 runs are running now; say which one.*\n  3-new\n  1-old"):
        note._pick(None, Said(), None)  # type: ignore[arg-type]
    _runs(monkeypatch, [], running=set())
    with pytest.raises(UsageError, match=r"no runs in /state/runs: nothing to add a note to"):
        note._pick(None, Said(), None)  # type: ignore[arg-type]


def test_an_unknown_run_id_says_how_to_note_without_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(_session: Any, run_id: str) -> Path:
        raise UsageError(f"no run '{run_id}'")

    monkeypatch.setattr(history, "find_run", missing)
    with pytest.raises(UsageError, match="no run 'restarted'; to note without naming a run, quote"):
        note._pick(None, Said(), "restarted")  # type: ignore[arg-type]


def test_the_runs_env_secrets_and_token_like_strings_are_masked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl.engine import planning

    monkeypatch.setenv("PGPASSWORD", "hunter2-hunter2")
    monkeypatch.setattr(planning, "all_secrets", lambda _rb, _s: [
        SecretSpec("db_password", env="PGPASSWORD"), SecretSpec("UNSET_TOKEN")])
    session = SimpleNamespace(registry=SimpleNamespace(load_path=lambda p: p))
    redactor = note.run_redactor(session, RunState(meta={"path": "/rb.yaml"}))  # type: ignore[arg-type]
    masked = redactor.mask("pw hunter2-hunter2, key sk_live_abcdefghijklmnop1234567890")
    assert "hunter2" not in masked and "sk_live_abcdefghij" not in masked


def test_a_runbook_that_no_longer_loads_still_masks_token_like_strings() -> None:
    from runbookctl.errors import ValidationError

    def gone(_path: Path) -> None:
        raise ValidationError([])

    session = SimpleNamespace(registry=SimpleNamespace(load_path=gone))
    redactor = note.run_redactor(session, RunState(meta={"path": "/moved.yaml"}))  # type: ignore[arg-type]
    assert "sk_live_abcdefghij" not in redactor.mask("sk_live_abcdefghijklmnop1234567890")
