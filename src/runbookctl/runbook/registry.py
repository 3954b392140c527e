"""Finds runbooks and templates along the search path; earlier dirs shadow later."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import UsageError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from runbookctl.runbook.model import Runbook

RUNBOOK_SUFFIXES = (".yaml", ".yml")


class Registry:
    def __init__(self, runbook_dirs: list[Path], template_dirs: list[Path]) -> None:
        self.runbook_dirs = runbook_dirs
        self.template_dirs = template_dirs
        self._cache: dict[Path, Runbook] = {}
        self._ids: dict[str, Path] | None = None
        self._clashes: list[Clash] = []

    def add_dir(self, folder: Path) -> None:
        """Search `folder` first (validate DIR: its runbooks may include one another)."""
        if folder not in self.runbook_dirs:
            self.runbook_dirs.insert(0, folder)
            self._ids = None

    def files(self) -> list[Path]:
        """Every runbook file on the search path, in search order."""
        return [path for path, _ in self.file_stats()]

    def file_stats(self) -> list[tuple[Path, os.stat_result]]:
        """Every runbook file on the search path with its stat, in search order: one
        stat a file (a listing's index compares it; runbook/index.py)."""
        out: list[tuple[Path, os.stat_result]] = []
        for d in self.runbook_dirs:
            if not d.is_dir():
                continue
            with os.scandir(d) as entries:
                named = sorted((e.name, e) for e in entries if _is_runbook_name(e.name))
            for name, entry in named:
                with contextlib.suppress(OSError):  # gone meanwhile, or a broken link
                    if entry.is_file():
                        out.append((d / name, entry.stat()))
        return out

    def ids(self) -> dict[str, Path]:
        """id -> file; the first on the path wins. Ids come from `id:` or the file stem."""
        if self._ids is None:
            declared = [(declared_id(path), path) for path in self.files()]
            self._ids = first_by_id(declared)
            self._clashes = same_folder_clashes(declared)
        return self._ids

    def clashes(self) -> list[Clash]:
        """Two files of one folder declaring the same id (validate: an error)."""
        self.ids()
        return self._clashes

    def find(self, name: str) -> Path:
        """A runbook id or a path to a runbook file."""
        candidate = Path(name)
        if candidate.suffix in RUNBOOK_SUFFIXES or "/" in name:
            if candidate.is_file():
                return candidate
            raise UsageError(f"runbook file not found: {name}")
        ids = self.ids()
        if name in ids:
            clash = next((c for c in self._clashes if c.first == ids[name]), None)
            if clash is not None:  # never run one of the two by chance
                raise UsageError(f"runbook id '{name}' is declared by two files of one folder, "
                                 f"{clash.first} and {clash.other}: give one another id, or "
                                 "name the file (runbookctl validate shows where)")
            return ids[name]
        close = get_close_matches(name, list(ids), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"no runbook '{name}' on the search path{hint} "
                         f"(runbookctl list shows them)")

    def load(self, name: str) -> Runbook:
        path = self.find(name)
        return self.load_path(path)

    def load_path(self, path: Path) -> Runbook:
        from runbookctl.runbook.loader import load_runbook

        key = path.resolve()
        if key not in self._cache:
            self._cache[key] = load_runbook(path)
        return self._cache[key]

    def try_load(self, name: str) -> Runbook | None:
        try:
            return self.load(name)
        except (UsageError, ValidationError):
            return None

    def template_path(self, name: str) -> Path | None:
        return find_template(self.template_dirs, name)

    def template_source(self, name: str) -> str | None:
        path = self.template_path(name)
        return path.read_text(encoding="utf-8") if path else None


def find_template(template_dirs: list[Path], name: str) -> Path | None:
    """The first `name` under the template dirs (earlier dirs shadow later); None if none
    has it, or if `name` would leave the folder (names.is_inside_templates)."""
    from runbookctl.runbook.names import is_inside_templates

    if not is_inside_templates(name):
        return None
    for d in template_dirs:
        candidate = d / name
        if candidate.is_file():
            return candidate
    return None


def first_by_id(declared: Iterable[tuple[str, Path]]) -> dict[str, Path]:
    """id -> file from (declared id, file) in search order: the first file declaring an
    id wins, the ones after it are shadowed."""
    ids: dict[str, Path] = {}
    for rb_id, path in declared:
        ids.setdefault(rb_id, path)
    return ids


@dataclass(frozen=True)
class Clash:
    """`other` declares the id of `first`, a file of the same folder before it."""

    id: str
    first: Path
    other: Path

    def message(self) -> str:
        return (f"runbook id '{self.id}' is already the id of {self.first} in this folder: "
                "one of them could never be run by id; give each its own id")


def same_folder_clashes(declared: Iterable[tuple[str, Path]]) -> list[Clash]:
    """Each file declaring an id an earlier file of its folder declared (in search order).
    Across folders an earlier one shadows a later one by design: no clash."""
    seen: dict[tuple[Path, str], Path] = {}
    out = []
    for rb_id, path in declared:
        first = seen.setdefault((path.parent, rb_id), path)
        if first != path:
            out.append(Clash(rb_id, first, path))
    return out


def _is_runbook_name(name: str) -> bool:
    """A .yaml/.yml file other than inventory.yaml (the suffix as pathlib reads it)."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:] in RUNBOOK_SUFFIXES and name != "inventory.yaml"


def declared_id(path: Path) -> str:
    """The `id:` at the top level of a runbook file, read without parsing YAML."""
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("id:"):
                    value = line[3:].split("#", 1)[0].strip().strip("'\"")
                    return value or path.stem
    except (OSError, UnicodeDecodeError):
        pass
    return path.stem
