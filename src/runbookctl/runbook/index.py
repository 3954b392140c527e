"""What `list` shows of each runbook on the search path, without parsing them all
each time: an index file keeps each runbook's summary (id, title, severity, steps,
tags, or how many problems it has) under its path and the file's identity (mtime in
ns, size, inode). A file whose identity changed, or a new one, is parsed again; the
rest is read from the index. 500 runbooks cost 500 stat calls instead of 500 YAML
parses (about 3 s).

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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.errors import ValidationError

if TYPE_CHECKING:
    from runbookctl.runbook.registry import Registry

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
    known = _read(index_file) if index_file is not None else {}
    # One index serves every search path (another folder's runbooks/, --runbooks DIR):
    # entries of other folders are kept; those of the folders listed now are replaced.
    listed = {str(d) for d in registry.runbook_dirs}
    fresh = {path: entry for path, entry in known.items()
             if str(Path(path).parent) not in listed}
    out: list[Summary] = []
    now = time.time()
    for rb_id, path in sorted(registry.ids().items()):
        identity = _identity(path)
        summary = _cached(known.get(str(path)), identity) or _summarize(registry, rb_id, path)
        out.append(summary)
        if identity is not None and now - identity[0] / 1e9 > RACY:
            fresh[str(path)] = {"identity": identity,
                                "summary": {**asdict(summary), "tags": list(summary.tags)}}
    if index_file is not None and fresh != known:
        _write(index_file, fresh)
    return out


def _cached(entry: Any, identity: list[int] | None) -> Summary | None:
    """The indexed summary if the file is the one indexed (None: parse it)."""
    if identity is None or not isinstance(entry, dict) or entry.get("identity") != identity:
        return None
    try:
        fields = dict(entry["summary"])
        return Summary(**{**fields, "tags": tuple(fields["tags"])})
    except (KeyError, TypeError, ValueError):  # an index written by hand: parse instead
        return None


def _summarize(registry: Registry, rb_id: str, path: Path) -> Summary:
    try:
        rb = registry.load_path(path)
    except ValidationError as exc:
        return Summary(rb_id, f"(invalid: {len(exc.problems)} problem(s))", None, None, (),
                       len(exc.problems), str(path))
    return Summary(rb.id, rb.title, rb.severity, len(rb.steps), tuple(rb.tags), 0, str(path))


def _identity(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _stamp() -> str:
    """What the index is valid for: this runbookctl, and its loader and schema as they are."""
    from runbookctl import __version__
    from runbookctl.runbook import loader, schema

    mtimes = [Path(m.__file__ or "").stat().st_mtime_ns for m in (loader, schema)]
    return f"{__version__}:{mtimes[0]}:{mtimes[1]}"


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
