"""`list` (cli/commands/catalog.py): what the table and the JSON say of each runbook, and
where each came from, shortened as pathlib would shorten it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from runbookctl.check.workspace import Session
from runbookctl.cli.commands.catalog import _short_sources, list_runbooks
from runbookctl.runbook.config import Config, bundled_dir
from runbookctl.runbook.registry import Registry

BOOK = "id: {id}\ntitle: {title}\nseverity: P2\ntags: [{tag}]\nsteps:\n  - {{id: a, run: 'true'}}\n"


def _pathlib_short(path: str, cwd: Path) -> str:
    """The definition: `bundled`, else the resolved path relative to the resolved working
    folder when it is below it, else the path as given."""
    p = Path(path)
    if p.parent == bundled_dir("runbooks"):
        return "bundled"
    try:
        return str(p.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return path


def test_sources_are_shortened_as_pathlib_says(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "books").mkdir(parents=True)
    outside.mkdir()
    for folder in (work / "books", outside):
        (folder / "a.yaml").write_text("id: a\n")
    (work / "via").symlink_to(work / "books")  # a folder link inside the working folder
    (outside / "into.yaml").symlink_to(work / "books" / "a.yaml")  # a file link into it
    (tmp_path / "away").symlink_to(outside)  # a folder link out of it
    monkeypatch.chdir(work)
    paths = [str(bundled_dir("runbooks") / "db-overload.yaml"), str(work / "books" / "a.yaml"),
             str(work / "via" / "a.yaml"), "books/a.yaml", str(outside / "a.yaml"),
             str(outside / "into.yaml"), str(tmp_path / "away" / "a.yaml"), "a-missing.yaml"]
    assert _short_sources(paths) == [_pathlib_short(p, work) for p in paths]
    assert _short_sources(paths)[:4] == ["bundled", "books/a.yaml", "books/a.yaml",
                                         "books/a.yaml"]


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    books = tmp_path / "books"
    books.mkdir()
    (books / "one.yaml").write_text(BOOK.format(id="one", title="The first one", tag="db"))
    (books / "two.yaml").write_text(BOOK.format(id="two", title="Second", tag="net"))
    # dup.yaml sorts first: it wins the id one.yaml declares too, which is not listed
    (books / "dup.yaml").write_text(BOOK.format(id="one", title="One, declared first", tag="db"))
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    return Session(Config(), Registry([books], []))


def test_the_table_lists_each_id_once_with_its_source(session: Session,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):  # the second from the index the first wrote
        assert list_runbooks(session, as_json=False, tag=None) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [re.split(r" {2,}", line) for line in lines] == [
            ["id", "title", "severity", "steps", "source"],
            ["one", "One, declared first", "P2", "1", "books/dup.yaml"],
            ["two", "Second", "P2", "1", "books/two.yaml"],
        ]


def test_json_and_tag(session: Session, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert list_runbooks(session, as_json=True, tag="net") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"id": "two", "title": "Second", "severity": "P2", "steps": 1, "tags": ["net"],
         "source": str(tmp_path / "books" / "two.yaml")}]
