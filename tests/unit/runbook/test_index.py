"""The listing's index (runbook/index.py): a runbook is parsed again only when its file
changed; a damaged, foreign or other-version index is rebuilt, never trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
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


# Every change a folder of runbooks goes through, listed from the index, lists exactly
# what a listing without the index lists (the registry's rule: `id:` or the file stem,
# the first file on the search path wins an id).
def _edit_title(books: Path, later: Path) -> None:
    (books / "beta.yaml").write_text(BOOK.format(id="beta", title="Beta, edited"))


def _edit_id(books: Path, later: Path) -> None:
    (books / "beta.yaml").write_text(BOOK.format(id="omega", title="The beta"))


def _add(books: Path, later: Path) -> None:
    (books / "gamma.yaml").write_text(BOOK.format(id="gamma", title="New"))


def _remove(books: Path, later: Path) -> None:
    (books / "beta.yaml").unlink()


def _rename(books: Path, later: Path) -> None:  # same inode, mtime and size: a new path
    os.rename(books / "beta.yaml", books / "zeta.yaml")


def _rename_stem_id(books: Path, later: Path) -> None:  # no `id:` line: the stem is its id
    os.rename(books / "stem.yml", books / "stem-renamed.yml")


def _duplicate_earlier_in_folder(books: Path, later: Path) -> None:  # aaa sorts first: wins
    (books / "aaa.yaml").write_text(BOOK.format(id="alpha", title="Alpha, the other"))


def _remove_the_winner(books: Path, later: Path) -> None:  # the shadowed one is listed
    (books / "aaa.yaml").unlink()


def _winner_takes_another_id(books: Path, later: Path) -> None:  # both listed
    (books / "aaa.yaml").write_text(BOOK.format(id="alpha-2", title="Alpha, the other"))


def _duplicate_in_a_later_folder(books: Path, later: Path) -> None:  # shadowed: no change
    (later / "beta.yaml").write_text(BOOK.format(id="beta", title="Later"))


def _break_one(books: Path, later: Path) -> None:
    (books / "beta.yaml").write_text("id: beta\ntitle: B\nsteps: 3\n")


CHANGES = [_edit_title, _edit_id, _add, _remove, _rename, _rename_stem_id,
           _duplicate_earlier_in_folder, _remove_the_winner, _winner_takes_another_id,
           _duplicate_in_a_later_folder, _break_one]


@pytest.fixture
def search_path(books: Path, tmp_path: Path) -> tuple[Path, Path]:
    later = tmp_path / "later"
    later.mkdir()
    (later / "alpha.yaml").write_text(BOOK.format(id="alpha", title="Shadowed alpha"))
    (books / "stem.yml").write_text("title: No id line\nsteps:\n  - {id: a, run: 'true'}\n")
    for path in [*books.iterdir(), *later.iterdir()]:
        _age(path)
    return books, later


def _aged(folders: tuple[Path, ...]) -> None:
    """Every file written a while ago (30 s: another time than the fixture's 60 s)."""
    for folder in folders:
        for path in folder.iterdir():
            if time.time() - path.stat().st_mtime < 45:
                _age(path, 30)


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__.strip("_"))
def test_a_change_lists_as_the_listing_without_the_index(
        search_path: tuple[Path, Path], tmp_path: Path, change: Callable[[Path, Path], None]
) -> None:
    books, later = search_path
    idx = tmp_path / "state" / "index.json"
    if change in (_remove_the_winner, _winner_takes_another_id):
        _duplicate_earlier_in_folder(books, later)
    _aged(search_path)
    summaries(Registry([books, later], []), idx)
    before = summaries(Registry([books, later], []), idx)  # from the index
    assert before == summaries(Registry([books, later], []))
    change(books, later)
    _aged(search_path)
    after = summaries(Registry([books, later], []), idx)
    assert after == summaries(Registry([books, later], []))
    assert (after == before) == (change is _duplicate_in_a_later_folder)
    assert summaries(Registry([books, later], []), idx) == after  # and from the new index


def test_the_changes_are_seen_as_a_user_expects(search_path: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    books, later = search_path
    idx = tmp_path / "index.json"

    def listed() -> dict[str, str]:
        return {s.id: Path(s.source).name for s in summaries(Registry([books, later], []), idx)}

    assert listed() == {"alpha": "alpha.yaml", "beta": "beta.yaml", "broken": "broken.yaml",
                        "stem": "stem.yml"}
    _duplicate_earlier_in_folder(books, later)
    _aged(search_path)
    assert listed()["alpha"] == "aaa.yaml"
    _rename_stem_id(books, later)
    _remove(books, later)
    _aged(search_path)
    assert listed() == {"alpha": "aaa.yaml", "broken": "broken.yaml",
                        "stem-renamed": "stem-renamed.yml"}
    (books / "aaa.yaml").unlink()
    assert listed()["alpha"] == "alpha.yaml"
    (books / "alpha.yaml").unlink()
    assert next(s for s in summaries(Registry([books, later], []), idx)
                if s.id == "alpha").source == str(later / "alpha.yaml")


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files whose `id:` line is read."""
    seen: list[Path] = []
    real = index.declared_id

    def counting(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(index, "declared_id", counting)
    return seen


def test_an_unchanged_file_is_not_even_opened(search_path: tuple[Path, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    books, later = search_path
    idx = tmp_path / "index.json"
    summaries(Registry([books, later], []), idx)
    reads, parses = _reads(monkeypatch), _parses(monkeypatch)
    summaries(Registry([books, later], []), idx)
    assert (reads, parses) == ([], [])  # the shadowed later/alpha.yaml's id is indexed too
    _edit_title(books, later)
    _age(books / "beta.yaml", 30)
    summaries(Registry([books, later], []), idx)
    assert (reads, parses) == ([books / "beta.yaml"], [books / "beta.yaml"])


def test_the_stamp_covers_every_module_the_loader_loads() -> None:
    code = ("import sys, runbookctl.runbook.loader, runbookctl.runbook.registry\n"
            "print('\\n'.join(m.__file__ for n, m in sys.modules.items()"
            " if n.startswith('runbookctl') and not m.__file__.endswith('__init__.py')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    package = Path(index.__file__).parent.parent
    loaded = {str(Path(f).relative_to(package)) for f in out.split()}
    assert loaded - set(index.STAMPED_MODULES) == set()
    assert {"runbook/loader.py", "runbook/registry.py", "runbook/index.py"} <= set(
        index.STAMPED_MODULES)
    assert all((package / name).is_file() for name in index.STAMPED_MODULES)
