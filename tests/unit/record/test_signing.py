"""Signing a journal's head with the real ssh-keygen: the message, where signatures
live, a key file, a key in a real ssh-agent, and every way no signature can be made
(each one reason, never a prompt)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runbookctl.record.signing import (
    NAMESPACE,
    SigningSetup,
    SigningUnavailable,
    message,
    sign_head,
    signature_files,
    signature_path,
)
from tests.signing_keys import make_key, ssh_agent

HEAD = "ab" * 32


def _verifies(sig: Path, key: Path, signed: bytes) -> bool:
    allowed = sig.with_name("allowed")
    allowed.write_text("op@example " + " ".join(Path(f"{key}.pub").read_text().split()[:2]))
    done = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "op@example",
                           "-n", NAMESPACE, "-s", str(sig)], input=signed, capture_output=True)
    return done.returncode == 0


def test_the_message_names_the_run_the_event_count_and_the_head() -> None:
    assert message("RUN-1", 42, HEAD) == (
        b"runbookctl-journal-signature v1\nrun_id: RUN-1\nevents: 42\nhead: " + HEAD.encode()
        + b"\n")


def test_signatures_live_beside_the_journal_and_its_committed_copy(tmp_path: Path) -> None:
    assert signature_path(tmp_path / "journal.jsonl", 7) == tmp_path / "journal.7.sig"
    copy = tmp_path / "2026-01-01-x.journal.jsonl"
    assert signature_path(copy, 12) == tmp_path / "2026-01-01-x.journal.12.sig"
    for name in ("journal.12.sig", "journal.7.sig", "journal.x.sig", "other.3.sig"):
        (tmp_path / name).write_text("")
    assert signature_files(tmp_path / "journal.jsonl") == [
        (7, tmp_path / "journal.7.sig"), (12, tmp_path / "journal.12.sig")]


def test_a_key_file_signs_the_head_and_the_signature_verifies(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    key = make_key(tmp_path, "op")
    sig = sign_head(tmp_path / "journal.jsonl", "RUN-1", 5, HEAD, SigningSetup(key=str(key)))
    assert sig.path == tmp_path / "journal.5.sig"
    assert sig.key_type == "ED25519" and sig.fingerprint.startswith("SHA256:")
    assert _verifies(sig.path, key, message("RUN-1", 5, HEAD))
    assert not _verifies(sig.path, key, message("RUN-1", 5, "cd" * 32))
    assert sig.record()["fingerprint"] == sig.fingerprint and sig.record()["events"] == 5


def test_the_agent_signs_with_its_first_key(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_key(tmp_path, "op")
    with ssh_agent(key) as sock:
        monkeypatch.setenv("SSH_AUTH_SOCK", sock)
        key.unlink()  # only the agent holds the private half now
        sig = sign_head(tmp_path / "journal.jsonl", "RUN-1", 3, HEAD, SigningSetup())
    assert _verifies(sig.path, key, message("RUN-1", 3, HEAD))


def test_a_key_with_a_passphrase_is_refused_with_a_hint_never_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    key = make_key(tmp_path, "op", passphrase="correct horse")
    with pytest.raises(SigningUnavailable, match=r"needs its passphrase.*ssh-add"):
        sign_head(tmp_path / "journal.jsonl", "RUN-1", 3, HEAD, SigningSetup(key=str(key)))
    assert signature_files(tmp_path / "journal.jsonl") == []


@pytest.mark.parametrize(("setup", "sock", "reason"), [
    (SigningSetup(), None, r"no ssh-agent \(\$SSH_AUTH_SOCK is not set\) and no ssh.signing_key"),
    (SigningSetup(use_agent=False), None, "ssh.use_agent is false"),
    (SigningSetup(key="/nonexistent/key"), None, "ssh.signing_key /nonexistent/key is not a file"),
    (SigningSetup(), "/nonexistent/agent.sock", "cannot reach the ssh-agent"),
])
def test_no_key_to_sign_with_is_one_clear_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 setup: SigningSetup, sock: str | None,
                                                 reason: str) -> None:
    if sock is None:
        monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    else:
        monkeypatch.setenv("SSH_AUTH_SOCK", sock)
    with pytest.raises(SigningUnavailable, match=reason):
        sign_head(tmp_path / "journal.jsonl", "RUN-1", 3, HEAD, setup)


def test_an_empty_agent_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ssh_agent() as sock:
        monkeypatch.setenv("SSH_AUTH_SOCK", sock)
        with pytest.raises(SigningUnavailable, match="the ssh-agent holds no key"):
            sign_head(tmp_path / "journal.jsonl", "RUN-1", 3, HEAD, SigningSetup())


def test_setup_from_the_config_ssh_mapping() -> None:
    assert SigningSetup.from_ssh({}) == SigningSetup(None, True)
    assert SigningSetup.from_ssh({"signing_key": "/k", "use_agent": False}) == SigningSetup("/k",
                                                                                           False)
