"""Where a run's report file goes, and whether it is current.

Two runs of one runbook finishing in the same minute share a report name: the
name is claimed atomically (a hard link of the finished file, which fails if
the name exists), the next free `-2`, `-3`... otherwise, and the run remembers
its report (`<run dir>/report.path`) so that later rewrites go to the same file.
Temporary files are unique (never a fixed `.tmp` name two writers share).
A report is current when its front matter names the journal's head hash.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.record.run_state import RunState

RECORD = "report.path"  # in the run dir: the report file this run wrote last


def recorded(run_dir: Path) -> Path | None:
    """The report this run wrote last, if it says so."""
    try:
        text = (run_dir / RECORD).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Path(text) if text else None


def front_matter(report: Path) -> dict[str, str]:
    """The `key: value` lines of a report's front matter (values unquoted)."""
    out: dict[str, str] = {}
    try:
        with report.open(encoding="utf-8") as fh:
            if fh.readline().strip() != "---":
                return out
            for line in fh:
                if line.strip() == "---":
                    break
                key, sep, value = line.partition(":")
                if sep:
                    out[key.strip()] = value.strip().strip('"')
    except (OSError, UnicodeDecodeError):
        return {}
    return out


def is_current(report: Path, state: RunState) -> bool:
    """Whether the report was rendered from the journal as it is now."""
    return front_matter(report).get("journal_hash") == state.head_hash


def _temp_beside(path: Path, text: str) -> Path:
    """The text in a new, unique, fsynced file in `path`'s folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def write_report(path: Path, text: str) -> None:
    """Write atomically: a reader (or a crash) never sees half a report."""
    tmp = _temp_beside(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def place(first: Path, run_id: str, text: str) -> Path:
    """Write a run's report under `first`, or `-2`, `-3`... when another run has that name
    (never overwrite another run's report; a run rewrites its own)."""
    tmp = _temp_beside(first, text)
    try:
        n = 1
        while True:
            candidate = first if n == 1 else first.with_name(f"{first.stem}-{n}{first.suffix}")
            try:
                os.link(tmp, candidate)  # claims the name only if nobody has it
                return candidate
            except FileExistsError:
                if front_matter(candidate).get("run_id", run_id) == run_id:
                    os.replace(tmp, candidate)
                    return candidate
            n += 1
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def remember(run_dir: Path, report: Path) -> None:
    """Note where the run's report is (for rewrites and for `runs` to find it)."""
    with contextlib.suppress(OSError):
        write_report(run_dir / RECORD, f"{report.resolve()}\n")


def check_folder(folder: Path, named: str) -> Path:
    """Before a run begins: that its report can be written in `folder` (made if missing),
    else a UsageError naming it — not a run whose every step ran and that ends without its
    report. The nearest folder that exists must be a folder we may write into. Returns it."""
    from runbookctl.errors import UsageError

    path = folder.resolve()
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        what = "is not a folder" if probe == path else f"cannot be made: {probe} is not a folder"
        raise UsageError(f"{named} {folder}: {what}; the report could not be written there")
    try:  # written to, not asked about: os.access says yes to root on a read-only mount
        made = tempfile.mkdtemp(prefix=".runbookctl-probe-", dir=probe)
        with contextlib.suppress(OSError):
            os.rmdir(made)
    except OSError as exc:
        raise UsageError(f"{named} {folder}: cannot write to {probe}: {exc.strerror or exc}; "
                         "the report could not be written there") from None
    return probe
