"""Finding runbooks on the search path (runbook/registry.py): which files are runbooks,
in what order, with what id, and which file wins an id two of them declare."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.runbook.registry import (
    Clash,
    Registry,
    declared_id,
    first_by_id,
    same_folder_clashes,
)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
    (first / "b.yaml").write_text("id: shared\n")
    (first / "a.yml").write_text("title: no id line\n")
    (first / "inventory.yaml").write_text("hosts: {}\n")
    (first / "notes.txt").write_text("id: not-a-runbook\n")
    (first / ".yaml").write_text("id: hidden\n")  # no suffix, as pathlib reads the name
    (first / "dir.yaml").mkdir()
    (first / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (first / "linked.yaml").symlink_to(second / "c.yaml")
    (second / "c.yaml").write_text("id: 'quoted'  # a comment\n")
    (second / "shared.yaml").write_text("title: shadowed by first/b.yaml\nid: shared\n")
    return first, second


def test_the_runbook_files_in_search_order(folders: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = folders
    registry = Registry([first, tmp_path / "missing", second], [])
    assert registry.files() == [first / "a.yml", first / "b.yaml", first / "linked.yaml",
                                second / "c.yaml", second / "shared.yaml"]


def test_each_file_comes_with_its_stat(folders: tuple[Path, Path]) -> None:
    first, second = folders
    for path, st in Registry([first, second], []).file_stats():
        assert (st.st_ino, st.st_mtime_ns, st.st_size) == (
            path.stat().st_ino, path.stat().st_mtime_ns, path.stat().st_size)


def test_ids_come_from_the_id_line_or_the_stem_and_the_first_file_wins(
        folders: tuple[Path, Path]) -> None:
    first, second = folders
    assert Registry([first, second], []).ids() == {
        "a": first / "a.yml", "shared": first / "b.yaml",
        "quoted": first / "linked.yaml"}
    assert Registry([second, first], []).ids()["shared"] == second / "shared.yaml"


def test_declared_id_reads_only_the_top_level_id_line(tmp_path: Path) -> None:
    book = tmp_path / "x.yaml"
    book.write_text("steps:\n  - id: nested\nid: \"top\"\n")
    assert declared_id(book) == "top"
    book.write_text("id:   # empty\n")
    assert declared_id(book) == "x"
    book.write_bytes(b"id: \xff\n")
    assert declared_id(book) == "x"
    assert declared_id(tmp_path / "gone.yaml") == "gone"


def test_first_by_id_keeps_the_first_of_each_id() -> None:
    a, b, c = Path("a"), Path("b"), Path("c")
    assert first_by_id([("x", a), ("y", b), ("x", c)]) == {"x": a, "y": b}


def test_find_suggests_a_close_id(folders: tuple[Path, Path]) -> None:
    registry = Registry(list(folders), [])
    assert registry.find("shared") == folders[0] / "b.yaml"
    with pytest.raises(UsageError, match="did you mean shared"):
        registry.find("sharde")


def test_a_folder_added_first_is_searched_first(folders: tuple[Path, Path]) -> None:
    first, second = folders
    registry = Registry([first], [])
    assert registry.find("quoted") == first / "linked.yaml"
    registry.add_dir(second)
    assert registry.ids()["shared"] == second / "shared.yaml"
    assert registry.find("quoted") == second / "c.yaml"


def test_two_files_of_one_folder_with_one_id_clash_across_folders_they_shadow() -> None:
    a, b, c, d = Path("f/a.yaml"), Path("f/b.yaml"), Path("g/c.yaml"), Path("f/d.yaml")
    assert same_folder_clashes([("x", a), ("y", b), ("x", c), ("x", d)]) == [Clash("x", a, d)]


def test_find_refuses_an_id_two_files_of_one_folder_declare(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: same\n")
    (tmp_path / "b.yaml").write_text("id: same\n")
    registry = Registry([tmp_path], [])
    with pytest.raises(UsageError) as caught:
        registry.find("same")
    assert caught.value.message == (
        f"runbook id 'same' is declared by two files of one folder, {tmp_path}/a.yaml and "
        f"{tmp_path}/b.yaml: give one another id, or name the file (runbookctl validate shows "
        "where)")
    assert registry.find(str(tmp_path / "b.yaml")) == tmp_path / "b.yaml"
    assert registry.clashes() == [Clash("same", tmp_path / "a.yaml", tmp_path / "b.yaml")]


def test_an_earlier_folder_shadows_a_clash_in_a_later_one(tmp_path: Path) -> None:
    for folder, names in (("first", ["a"]), ("second", ["a", "b"])):
        for name in names:
            (tmp_path / folder).mkdir(exist_ok=True)
            (tmp_path / folder / f"{name}.yaml").write_text("id: same\n")
    registry = Registry([tmp_path / "first", tmp_path / "second"], [])
    assert registry.find("same") == tmp_path / "first" / "a.yaml"
