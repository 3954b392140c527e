"""known_hosts files are parsed once per change, not once per host, and a key
appended (accept-new) is seen by the next connection."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import paramiko
import pytest

from runbookctl.executors.ssh import known_hosts
from runbookctl.executors.ssh.connections import ConnectError, KnownHosts, new_client
from runbookctl.executors.ssh.targets import Target

TARGET = Target(label="web1", hostname="127.0.0.1", port=2222, user="ops")


def _keys(count: int) -> list[paramiko.PKey]:
    return [paramiko.ECDSAKey.generate() for _ in range(count)]


def test_a_known_hosts_file_is_parsed_once_for_many_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    keys = _keys(3)
    known = tmp_path / "known_hosts"
    known.write_text("".join(f"[127.0.0.1]:{2200 + i} {k.get_name()} {k.get_base64()}\n"
                             for i, k in enumerate(keys)))
    loads: list[str] = []
    real_parse = known_hosts._parse_known_hosts

    def counting_parse(path: Path) -> list[Any]:
        loads.append(str(path))
        return real_parse(path)

    monkeypatch.setattr(known_hosts, "_parse_known_hosts", counting_parse)
    files = KnownHosts(user_file=tmp_path / "absent", extra_file=known)
    for _ in range(20):
        client, _policy = new_client(files, replace(TARGET, port=2201))
        found = client.get_host_keys().lookup("[127.0.0.1]:2201")
        assert found is not None and found[keys[1].get_name()] == keys[1]
    assert loads == [str(known)]

    # accept-new appends a line: the next client parses the file again and knows the host
    extra = _keys(1)[0]
    with known.open("a") as file:
        file.write(f"[127.0.0.1]:2299 {extra.get_name()} {extra.get_base64()}\n")
    client, _policy = new_client(files, replace(TARGET, port=2299))
    assert client.get_host_keys().lookup("[127.0.0.1]:2299") is not None
    assert loads == [str(known), str(known)]


def test_an_unreadable_known_hosts_file_is_one_clear_error(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_bytes(b"\xff\xfe not text\n")
    with pytest.raises(ConnectError, match=r"^cannot read known_hosts file .*known_hosts: "):
        new_client(KnownHosts(user_file=known, extra_file=None), TARGET)
