"""The listing's index (runbook/index.py): a runbook is parsed again only when its file
changed; a damaged, foreign or other-version index is rebuilt, never trusted."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from runbookctl.runbook import index
from runbookctl.runbook.index import Summary, summaries
from runbookctl.runbook.registry import Registry

BOOK = "id: {id}\ntitle: {title}\nseverity: P1\ntags: [db]\nsteps:\n  - {{id: a, run: 'true'}}\n"


def _age(path: Path, seconds: float = 60) -> None:
    """Make `path` look written a while ago (older than the racy window)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def books(tmp_path: Path) -> Path:
    folder = tmp_path / "books"
    folder.mkdir()
    for name in ("alpha", "beta"):
        (folder / f"{name}.yaml").write_text(BOOK.format(id=name, title=f"The {name}"))
        _age(folder / f"{name}.yaml")
    (folder / "broken.yaml").write_text("id: broken\ntitle: B\nsteps: nope\n")
    _age(folder / "broken.yaml")
    return folder


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    seen: list[Path] = []
    real = Registry.load_path

    def counting(self: Registry, path: Path):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(self, path)

    monkeypatch.setattr(Registry, "load_path", counting)
    return seen


def test_the_summaries_say_what_list_shows(books: Path) -> None:
    got = {s.id: s for s in summaries(Registry([books], []))}
    assert got["alpha"] == Summary("alpha", "The alpha", "P1", 1, ("db",), 0,
                                   str(books / "alpha.yaml"))
    assert got["broken"].problems > 0 and got["broken"].title.startswith("(invalid: ")
    assert got["broken"].steps is None


def test_a_second_listing_parses_only_what_changed(books: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    idx = tmp_path / "state" / "index" / "runbooks.json"
    first = summaries(Registry([books], []), idx)
    parsed = _parses(monkeypatch)
    assert summaries(Registry([books], []), idx) == first
    assert parsed == []  # all three from the index, the invalid one included
    (books / "beta.yaml").write_text(BOOK.format(id="beta", title="Beta, renamed"))
    _age(books / "beta.yaml", 30)
    again = {s.id: s for s in summaries(Registry([books], []), idx)}
    assert parsed == [books / "beta.yaml"]
    assert again["beta"].title == "Beta, renamed"


def test_a_file_changed_just_now_is_never_indexed(books: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    idx = tmp_path / "index.json"
    (books / "alpha.yaml").write_text(BOOK.format(id="alpha", title="Fresh"))  # mtime: now
    summaries(Registry([books], []), idx)
    assert str(books / "alpha.yaml") not in json.loads(idx.read_text())["runbooks"]
    parsed = _parses(monkeypatch)
    summaries(Registry([books], []), idx)
    assert parsed == [books / "alpha.yaml"]


@pytest.mark.parametrize("damage", [
    "not json", "[]", '{"stamp": "0.0.1:1:1", "runbooks": {}}',
    "STAMP_OK_BAD_ENTRY",
])
def test_a_damaged_or_foreign_index_is_rebuilt(books: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               damage: str) -> None:
    idx = tmp_path / "index.json"
    expected = summaries(Registry([books], []), idx)
    if damage == "STAMP_OK_BAD_ENTRY":
        data = json.loads(idx.read_text())
        data["runbooks"][str(books / "alpha.yaml")]["summary"] = {"id": 3}
        damage = json.dumps(data)
    idx.write_text(damage)
    parsed = _parses(monkeypatch)
    assert summaries(Registry([books], []), idx) == expected
    assert books / "alpha.yaml" in parsed


def test_an_index_that_cannot_be_written_does_not_fail_the_listing(books: Path,
                                                                   tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    got = summaries(Registry([books], []), blocker / "index" / "runbooks.json")
    assert [s.id for s in got] == ["alpha", "beta", "broken"]


def test_a_new_loader_invalidates_the_index(books: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    idx = tmp_path / "index.json"
    summaries(Registry([books], []), idx)
    monkeypatch.setattr(index, "_stamp", lambda: "another runbookctl")
    parsed = _parses(monkeypatch)
    summaries(Registry([books], []), idx)
    assert len(parsed) == 3


def test_listing_another_folder_keeps_this_folders_entries(books: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "gamma.yaml").write_text(BOOK.format(id="gamma", title="G"))
    _age(other / "gamma.yaml")
    idx = tmp_path / "index.json"
    summaries(Registry([books], []), idx)
    summaries(Registry([other], []), idx)
    parsed = _parses(monkeypatch)
    summaries(Registry([books], []), idx)
    summaries(Registry([other], []), idx)
    assert parsed == []


def test_a_deleted_runbook_leaves_the_index(books: Path, tmp_path: Path) -> None:
    idx = tmp_path / "index.json"
    summaries(Registry([books], []), idx)
    (books / "beta.yaml").unlink()
    assert [s.id for s in summaries(Registry([books], []), idx)] == ["alpha", "broken"]
    assert str(books / "beta.yaml") not in json.loads(idx.read_text())["runbooks"]


def test_an_unchanged_listing_does_not_rewrite_the_index(books: Path, tmp_path: Path) -> None:
    idx = tmp_path / "index.json"
    summaries(Registry([books], []), idx)
    before = idx.stat().st_mtime_ns
    _age(idx, 100)
    aged = idx.stat().st_mtime_ns
    summaries(Registry([books], []), idx)
    assert idx.stat().st_mtime_ns == aged != before
