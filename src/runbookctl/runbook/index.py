"""What `list` shows of each runbook on the search path, without parsing them all
each time: an index file keeps, under each file's path and identity (mtime in ns,
size, inode), the id it declares and, for the runbook listed under that id, its
summary (id, title, severity, steps, tags, or how many problems it has). A file whose
identity changed, or a new one, is read again (its `id:` line, and parsed if it is
listed); the rest is read from the index, the ids too, so which file wins an id
(registry.py:first_by_id) is decided as the registry decides it without opening an
unchanged file. 500 runbooks cost 500 stat calls instead of 500 YAML parses (about 3 s)
and 500 reads of their `id:` lines.

One index file serves every search path: listing another folder adds its entries
and keeps the others. The index is only a cache: a missing, damaged or other-version index file is
rebuilt, a failure to write it is ignored, and it is never trusted for a file
changed in the last seconds (an edit within the same mtime tick and of the same
size would look unchanged: git's "racy" case), nor across runbookctl versions or
a change of the loader that decides what is valid.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.errors import ValidationError
from runbookctl.runbook.registry import declared_id, first_by_id, same_folder_clashes

if TYPE_CHECKING:
    from runbookctl.runbook.registry import Clash, Registry

# The modules that decide what an entry holds: the ones runbook/loader.py loads (a test
# checks the list against what importing the loader loads), the registry's reading of
# `id:` lines, and this module.
STAMPED_MODULES = ("durations.py", "errors.py", "positions.py", "runbook/index.py",
                   "runbook/loader.py", "runbook/model.py", "runbook/names.py",
                   "runbook/notify.py", "runbook/readers.py", "runbook/registry.py",
                   "runbook/reminders.py", "runbook/schema.py", "runbook/yaml_positions.py")
# A file modified less than this long ago is parsed, not indexed (see the docstring).
RACY = 2.0


@dataclass(frozen=True)
class Summary:
    """One runbook as a listing shows it; `problems` > 0: it does not load."""

    id: str
    title: str
    severity: str | None
    steps: int | None
    tags: tuple[str, ...]
    problems: int
    source: str


def summaries(registry: Registry, index_file: Path | None = None) -> list[Summary]:
    """Every runbook on the search path (by id, the first on the path wins), in id order."""
    return listing(registry, index_file)[0]


def listing(registry: Registry, index_file: Path | None = None) -> tuple[list[Summary],
                                                                         list[Clash]]:
    """`summaries`, and the files that declare an id another file of their folder declared
    before them (registry.same_folder_clashes): shown, but never silently."""
    now = time.time()  # before any file is read: see RACY
    known = _read(index_file) if index_file is not None else {}
    # One index serves every search path (another folder's runbooks/, --runbooks DIR):
    # entries of other folders are kept; those of the folders listed now are replaced.
    listed = {str(d) for d in registry.runbook_dirs}
    fresh = {path: entry for path, entry in known.items()
             if (os.path.dirname(path) or ".") not in listed}  # str(Path(path).parent), cheaper
    files = [_File(path, st, known.get(str(path))) for path, st in registry.file_stats()]
    by_path = {f.path: f for f in files}
    # registry.ids()'s rule, on ids the index kept: an unchanged file is not even opened.
    declared = [(f.declared_id(), f.path) for f in files]
    winners = first_by_id(declared)
    out = [by_path[path].summary(registry, rb_id) for rb_id, path in sorted(winners.items())]
    for f in files:
        if now - f.identity[0] / 1e9 > RACY:
            fresh[str(f.path)] = f.entry()
    if index_file is not None and fresh != known:
        _write(index_file, fresh)
    return out, same_folder_clashes(declared)


class _File:
    """A runbook file on the search path, with what the index knows of it if the file
    is the one indexed (same identity); what is read now is kept for the new index."""

    def __init__(self, path: Path, st: os.stat_result, entry: Any) -> None:
        self.path = path
        self.identity = [st.st_mtime_ns, st.st_size, st.st_ino]
        same = isinstance(entry, dict) and entry.get("identity") == self.identity
        self._known: dict[str, Any] = entry if same else {}
        self._id: str | None = None
        self._summary: Summary | None = None

    def declared_id(self) -> str:
        if self._id is None:
            known = self._known.get("id")
            self._id = known if isinstance(known, str) else declared_id(self.path)
        return self._id

    def summary(self, registry: Registry, rb_id: str) -> Summary:
        self._summary = _cached(self._known) or _summarize(registry, rb_id, self.path)
        return self._summary

    def entry(self) -> dict[str, Any]:
        """The index entry: the declared id of every file, shadowed ones too, and the
        summary of the ones listed."""
        entry: dict[str, Any] = {"identity": self.identity, "id": self.declared_id()}
        if self._summary is not None:
            entry["summary"] = {**_fields(self._summary), "tags": list(self._summary.tags)}
        return entry


def _cached(known: dict[str, Any]) -> Summary | None:
    """The indexed summary (None: parse the file)."""
    if "summary" not in known:
        return None
    try:
        values = dict(known["summary"])
        return Summary(**{**values, "tags": tuple(values["tags"])})
    except (KeyError, TypeError, ValueError):  # an index written by hand: parse instead
        return None


def _fields(summary: Summary) -> dict[str, Any]:
    """The summary's fields (dataclasses.asdict, without its deep copy of each value)."""
    return {f.name: getattr(summary, f.name) for f in fields(Summary)}


def _summarize(registry: Registry, rb_id: str, path: Path) -> Summary:
    try:
        rb = registry.load_path(path)
    except ValidationError as exc:
        return Summary(rb_id, f"(invalid: {len(exc.problems)} problem(s))", None, None, (),
                       len(exc.problems), str(path))
    return Summary(rb.id, rb.title, rb.severity, len(rb.steps), tuple(rb.tags), 0, str(path))


def _stamp() -> str:
    """What the index is valid for: this runbookctl, and the modules that decide what an
    entry holds (STAMPED_MODULES) as they are. Read from their files' mtimes, not by
    importing them: the loader pulls in yaml (~30 ms)."""
    from runbookctl import __version__

    package = Path(__file__).parent.parent
    mtimes = []
    for name in STAMPED_MODULES:
        try:
            mtimes.append(str((package / name).stat().st_mtime_ns))
        except OSError:  # an install without sources: the version alone says
            mtimes.append("-")
    return ":".join([__version__, *mtimes])


def _read(index_file: Path) -> dict[str, Any]:
    try:
        data = json.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("stamp") != _stamp():
        return {}
    entries = data.get("runbooks")
    return entries if isinstance(entries, dict) else {}


def _write(index_file: Path, entries: dict[str, Any]) -> None:
    """Replace the index in one rename (a reader sees the old or the new one); a
    failure is ignored: the next listing parses again."""
    tmp = index_file.with_name(f"{index_file.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        index_file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"stamp": _stamp(), "runbooks": entries}), encoding="utf-8")
        os.replace(tmp, index_file)
    with contextlib.suppress(OSError):
        tmp.unlink()
