"""The step logs that travel with a committed report (docs/record.md, section 10).

`--commit` copies the logs the report names into `<report stem>.logs/` beside
it, so that every log link of a committed report resolves inside the
post-mortem repository. Logs are masked as they are written (executors/output.py),
so they are copied byte for byte: masking again would change them and their
sha256 in the journal would no longer check.

A log is capped (`commit_log_cap`, 1 MiB) and the run's logs together
(`commit_logs_cap`, 20 MiB), in the order the run wrote them: a capped log keeps
its first and last lines, with a note at its top and at the cut saying what was
cut. `manifest.json` in the folder says, per log, what was kept: the report
renders its log links and notes from it (so `verify` renders the same), and
`verify` checks each copy against it and, when whole, against the journal.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from runbookctl.record.run_state import RunState

MANIFEST = "manifest.json"
MIB = 1024 * 1024
DEFAULT_LOG_CAP = 1 * MIB
DEFAULT_LOGS_CAP = 20 * MIB


@dataclass(frozen=True)
class LogCaps:
    """Bytes of one log, and of all a run's logs, a committed report carries."""

    per_log: int = DEFAULT_LOG_CAP
    per_run: int = DEFAULT_LOGS_CAP


@dataclass(frozen=True)
class LogCopy:
    """One log in `<report stem>.logs/`: what the full log was, what was kept."""

    name: str  # the file name, in the run's logs/ and in the folder
    sha256: str  # of the full log, as journaled
    size: int  # bytes of the full log (None-free: -1 when it was not found)
    head: int  # bytes kept from its start
    tail: int  # bytes kept from its end
    file_sha256: str = ""  # of the copy as written (notes included); "" when not copied

    @property
    def cut(self) -> bool:
        return self.head + self.tail < self.size

    @property
    def missing(self) -> bool:
        return self.size < 0


def logs_folder(report: Path) -> Path:
    """`2026-12-01-2002-db-overload.md` -> `2026-12-01-2002-db-overload.logs/`."""
    return report.with_name(f"{report.stem}.logs")


def journaled_logs(state: RunState) -> list[tuple[str, str, str]]:
    """(file name, sha256, journaled path) of each log the report names, in the order
    the run wrote them (their names are numbered, resumed sessions numbering on)."""
    found: dict[str, tuple[str, str, str]] = {}
    for step in state.steps.values():
        for command in step.commands:
            for host in command.get("results") or []:
                if not isinstance(host, dict):
                    continue
                # an interactive step's session recording travels as its log does
                for key, sha in (("log", "sha256"), ("cast", "cast_sha256")):
                    path = str(host.get(key) or "")
                    if path:
                        name = Path(path).name
                        found.setdefault(name, (name, str(host.get(sha) or ""), path))
    return sorted(found.values(), key=lambda log: (_number(log[0]), log[0]))


def _number(name: str) -> int:
    match = re.match(r"\d+", name)
    return int(match.group()) if match else 0


def plan(state: RunState, run_dir: Path, caps: LogCaps) -> list[tuple[LogCopy, Path]]:
    """What to copy of each log, and from where: earlier logs get the run's budget first,
    so re-committing after a resume keeps what the first commit kept."""
    left = caps.per_run
    out = []
    for name, sha, journaled in journaled_logs(state):
        source = _source(run_dir, name, journaled)
        size = source.stat().st_size if source is not None else -1
        keep = max(0, min(size, caps.per_log, left))
        left -= keep
        head = keep if keep == size else keep - keep // 2
        out.append((LogCopy(name, sha, size, head, keep - head), source or Path(journaled)))
    return out


def _source(run_dir: Path, name: str, journaled: str) -> Path | None:
    """The log in the run's folder (which may have moved since), else where it was."""
    for candidate in (run_dir / "logs" / name, Path(journaled)):
        if candidate.is_file():
            return candidate
    return None


def copy_logs(report: Path, state: RunState, run_dir: Path, caps: LogCaps) -> Path | None:
    """Write `<report stem>.logs/` (each log, capped, and the manifest); the folder, or
    None when the report names no log. Logs of an earlier commit that the report no
    longer names are removed: the folder holds the report's logs, once each."""
    from runbookctl.record.signing import write_atomically

    copies = plan(state, run_dir, caps)
    if not copies:
        return None
    folder = logs_folder(report)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for copy, source in copies:
        if not copy.missing:
            data, copy = capped(source, copy)
            write_atomically(folder / copy.name, data)
            copy = replace(copy, file_sha256=hashlib.sha256(data).hexdigest())
        written.append(copy)
    names = {c.name for c in written if not c.missing}
    for old in [*folder.glob("*.log"), *folder.glob("*.cast")]:
        if old.name not in names:
            old.unlink()
    manifest = {"run_id": state.run_id, "caps": asdict(caps), "logs": [asdict(c) for c in written]}
    write_atomically(folder / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True)
                                         + "\n").encode())
    return folder


def capped(source: Path, copy: LogCopy) -> tuple[bytes, LogCopy]:
    """The log whole, or its first and last lines with a note at the top and at the cut;
    and the copy saying what was kept."""
    with source.open("rb") as fh:
        if not copy.cut:
            data = fh.read(copy.size)
            return data, replace(copy, size=len(data), head=len(data))
        head = _whole_lines(fh.read(copy.head), from_end=False)
        # from the byte before the tail: when it ends a line, the tail starts with a whole one
        fh.seek(copy.size - copy.tail - 1)
        tail = _whole_lines(fh.read(copy.tail + 1), from_end=True) if copy.tail else b""
    kept = replace(copy, head=len(head), tail=len(tail))
    top = f"[runbookctl: {cut_note(kept)}]\n"
    middle = f"\n[runbookctl: {copy.size - len(head) - len(tail)} bytes cut here]\n" if head else ""
    return top.encode() + head + middle.encode() + tail, kept


def cut_note(copy: LogCopy) -> str:
    """What was cut, as the capped file and the report say it."""
    return (f"this log was cut for the repository: {copy.head + copy.tail} of {copy.size} bytes "
            f"kept (the first {copy.head} and the last {copy.tail}); the full log, sha256 "
            f"{copy.sha256}, is logs/{copy.name} in the run's state folder where it ran")


def _whole_lines(data: bytes, from_end: bool) -> bytes:
    """Cut at a line break when one is in the second half (a half line helps nobody)."""
    if from_end:  # data has one byte before the part to keep
        at = data.find(b"\n")
        return data[at + 1:] if 0 <= at < len(data) // 2 else data[1:]
    at = data.rfind(b"\n")
    return data[:at + 1] if at >= len(data) // 2 else data


def read_manifest(report: Path, run_id: str) -> list[LogCopy] | None:
    """The logs committed beside `report` for run `run_id`; None when there are none
    (or the manifest is unreadable, or of another run: verify says which)."""
    try:
        data = json.loads((logs_folder(report) / MANIFEST).read_text(encoding="utf-8"))
        if data.get("run_id") != run_id:
            return None
        return [_entry(entry) for entry in data["logs"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _entry(entry: dict[str, Any]) -> LogCopy:
    copy = LogCopy(*(entry[f] for f in ("name", "sha256", "size", "head", "tail", "file_sha256")))
    texts, numbers = (copy.name, copy.sha256, copy.file_sha256), (copy.size, copy.head, copy.tail)
    if (not all(isinstance(v, str) for v in texts) or "/" in copy.name or copy.name[:1] in ".\\"
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers)):
        raise ValueError(f"bad manifest entry {entry!r}")
    return copy


def report_links(report: Path, run_id: str) -> dict[str, dict[str, Any]]:
    """Per log name, what the committed report shows: a link relative to the report's
    folder, and what was cut. {} for a report without committed logs."""
    folder = quote(logs_folder(report).name)
    links = {}
    for copy in read_manifest(report, run_id) or []:
        note = ("not copied: it was not in the run's folder when the report was committed"
                if copy.missing else cut_note(copy) if copy.cut else "")
        links[copy.name] = {"name": copy.name, "note": note,
                            "href": None if copy.missing else f"{folder}/{quote(copy.name)}"}
    return links


def copy_problems(report: Path, state: RunState) -> list[str]:
    """`verify`: each committed log is there, a whole one as the journal hashed it, a cut
    one as the manifest says (its kept part cannot be checked against the journal)."""
    folder = logs_folder(report)
    copies = read_manifest(report, state.run_id)
    if copies is None:
        return ([f"{folder / MANIFEST}: missing or unreadable (or of another run), so the logs "
                 f"in {folder.name}/ cannot be checked"] if folder.is_dir() else [])
    journaled = {name: sha for name, sha, _path in journaled_logs(state)}
    problems = []
    for copy in copies:
        where = f"{folder.name}/{copy.name}"
        if journaled.get(copy.name) != copy.sha256:
            problems.append(f"{folder / MANIFEST}: {copy.name} is not a log of the journal with "
                            f"sha256 {copy.sha256}")
        elif not copy.missing:
            problems += _content_problem(folder / copy.name, where, copy)
    return problems


def _content_problem(path: Path, where: str, copy: LogCopy) -> list[str]:
    try:
        with path.open("rb") as fh:
            actual = hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return [f"{where}: missing (removed?): the report links it"]
    expected, against = ((copy.file_sha256, "what the manifest says was committed") if copy.cut
                         else (copy.sha256, "the sha256 the journal holds for this log"))
    if actual != expected:
        return [f"{where}: its content differs from {against}: edited after it was committed"]
    return []
