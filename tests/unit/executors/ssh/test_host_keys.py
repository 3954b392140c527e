"""The host's known keys: any of them is the host's (is_known), a revoked one never is."""

from __future__ import annotations

from pathlib import Path

import paramiko

from runbookctl.executors.ssh.host_keys import KnownHosts, host_entries, is_known
from runbookctl.executors.ssh.known_hosts import key_of
from runbookctl.executors.ssh.targets import Target

TARGET = Target(label="web1", hostname="127.0.0.1", port=2222, user="ops")


def test_any_known_key_of_the_host_is_known_but_not_a_revoked_one_nor_another_hosts(
        tmp_path: Path) -> None:
    old, new, revoked, elsewhere = (paramiko.ECDSAKey.generate() for _ in range(4))
    known = tmp_path / "known_hosts"
    known.write_text("".join(f"{name} {k.get_name()} {k.get_base64()}\n" for name, k in (
        ("[127.0.0.1]:2222", old), ("[127.0.0.1]:2222", new), ("[127.0.0.1]:2222", revoked),
        ("@revoked *", revoked), ("[127.0.0.1]:2223", elsewhere))))
    lines, policy = host_entries(KnownHosts(user_file=known, extra_file=None), TARGET)
    assert [line.key for line in lines] == [key_of(old), key_of(new)]
    assert is_known(key_of(old), policy.keys) and is_known(key_of(new), policy.keys)
    assert not is_known(key_of(revoked), policy.keys)
    assert not is_known(key_of(elsewhere), policy.keys)
