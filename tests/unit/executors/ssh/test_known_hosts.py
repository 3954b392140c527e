"""known_hosts parsed as paramiko parses it, once for all the hosts of a fan-out
that start at the same moment."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import paramiko
import pytest

from runbookctl.executors.ssh import known_hosts


def _write(path: Path, count: int) -> list[paramiko.PKey]:
    keys = [paramiko.ECDSAKey.generate() for _ in range(count)]
    path.write_text("# a comment\n\n" + "".join(
        f"[10.0.0.1]:{2200 + i} {k.get_name()} {k.get_base64()}\n" for i, k in enumerate(keys))
        + "garbage line\n" + f"[10.0.0.1]:2200 {keys[0].get_name()} {keys[0].get_base64()}\n")
    return keys


def test_the_entries_find_what_paramikos_own_parse_finds(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    keys = _write(path, 5)
    ours = paramiko.HostKeys()
    ours._entries = known_hosts.known_entries(path)  # type: ignore[attr-defined]
    theirs = paramiko.HostKeys(str(path))
    for i, key in enumerate(keys):
        name = f"[10.0.0.1]:{2200 + i}"
        assert ours.lookup(name) == theirs.lookup(name)
        assert ours.check(name, key)
    assert ours.lookup("[10.0.0.1]:2299") is None


def test_hosts_starting_together_wait_for_one_parse(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "known_hosts"
    _write(path, 50)
    parses: list[Path] = []
    real = known_hosts._parse_known_hosts

    def counting(p: Path) -> list[Any]:
        parses.append(p)
        return real(p)

    monkeypatch.setattr(known_hosts, "_parse_known_hosts", counting)
    start = threading.Barrier(20)
    found: list[int] = []

    def host() -> None:
        start.wait()
        found.append(len(known_hosts.known_entries(path)))

    threads = [threading.Thread(target=host) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert parses == [path]
    assert found == [51] * 20  # 50 hosts and the repeated line, as paramiko's own lookup sees
