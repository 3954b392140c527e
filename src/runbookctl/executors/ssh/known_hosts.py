"""known_hosts files parsed once per change of the file, for every connection of a
run (executors/ssh/connections.py gives each new client their entries)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import paramiko

_known_lock = threading.Lock()
_known_parsed: dict[Path, tuple[tuple[int, int, int], list[Any]]] = {}


def known_entries(path: Path) -> list[Any]:
    """The parsed entries of a known_hosts file (paramiko HostKeyEntry), cached
    until the file changes (inode, size or mtime: accept-new appends to it).
    The hosts of a fan-out wait for one parse (under the lock) instead of each
    parsing the file as they all start at once."""
    info = path.stat()
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    with _known_lock:
        hit = _known_parsed.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        entries = _parse_known_hosts(path)
        _known_parsed[path] = (stamp, entries)
        return entries


def _parse_known_hosts(path: Path) -> list[Any]:
    """paramiko.HostKeys.load, less its check of every line against every line
    before it (which only drops exact repeats, found by lookup anyway): that
    check made parsing quadratic: 20k name matches for a 200-line file)."""
    from paramiko.hostkeys import HostKeyEntry

    entries = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                entry = HostKeyEntry.from_line(line, number)
            except paramiko.SSHException:
                continue  # as paramiko: a line it cannot read is skipped
            if entry is not None:
                entries.append(entry)
    return entries
