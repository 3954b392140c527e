"""verify's check of signatures, on real journals signed by the real ssh-keygen: who
signed; a journal edited and re-hashed after it was signed; a signer not allowed; a
removed signature; events after the last signature; where the allowed signers are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbookctl.record import events as ev
from runbookctl.record.journal import GENESIS, Journal, event_hash, read_journal
from runbookctl.record.signature_check import check_signatures, find_allowed_signers
from runbookctl.record.signing import SigningSetup, sign_head
from tests.signing_keys import allowed_signers, make_key


@pytest.fixture(autouse=True)
def _no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


def signed_journal(folder: Path, key: Path, extra: int = 0) -> Path:
    """A journal of 4 events, signed by `key` with its record_signed event, then `extra`
    notes appended after the signature."""
    path = folder / "journal.jsonl"
    with Journal.create(path) as journal:
        journal.append(ev.RUN_STARTED, None, "alice", {"run_id": "RUN-1"})
        journal.append(ev.STEP_FINISHED, "kill", "runbookctl", {"status": "ok", "reason": "done"})
        journal.append(ev.STEP_FINISHED, "check", "runbookctl", {"status": "ok", "reason": "0"})
        journal.append(ev.RUN_FINISHED, None, "runbookctl", {"status": "completed", "reason": ""})
        sig = sign_head(path, "RUN-1", journal.seq, journal.head_hash, SigningSetup(str(key)))
        journal.append(ev.RECORD_SIGNED, None, "alice", sig.record())
        for n in range(extra):
            journal.append("note", None, "bob", {"text": f"note {n}"})
    return path


def rehash(path: Path, edit: dict[str, object], seq: int) -> None:
    """What an attacker does: edit one event's data, recompute every hash after it."""
    events = [json.loads(line) for line in path.read_text().splitlines()]
    events[seq - 1]["data"].update(edit)
    prev = GENESIS
    for event in events:
        event["hash"] = prev = event_hash(prev, event)
    path.write_text("".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n"
                            for e in events))


def check(path: Path, allowed: Path | None):  # type: ignore[no-untyped-def]
    return check_signatures(path, read_journal(path).events, allowed)


def test_a_signed_journal_names_who_signed_and_with_which_key(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    result = check(signed_journal(tmp_path, alice), allowed_signers(tmp_path / "as", alice))
    assert result.problems == []
    assert result.signers == ["alice@example"]
    assert result.summary == "signed by alice@example"
    (line,) = result.lines
    assert line.startswith("signed: events 1–4 by alice@example (ED25519 key SHA256:")


def test_an_edited_and_rehashed_journal_fails_its_signature(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    path = signed_journal(tmp_path, alice)
    rehash(path, {"reason": "nothing was killed"}, seq=2)
    from runbookctl.record.chain import verify_journal

    assert verify_journal(path) == []  # the chain alone cannot tell
    result = check(path, allowed_signers(tmp_path / "as", alice))
    (problem,) = result.problems
    assert problem.startswith("journal.4.sig: the signature does not match events 1–4")
    assert "changed after it was signed" in problem


def test_a_signer_not_in_the_allowed_signers_fails(tmp_path: Path) -> None:
    alice, mallory = make_key(tmp_path, "alice"), make_key(tmp_path, "mallory")
    result = check(signed_journal(tmp_path, mallory), allowed_signers(tmp_path / "as", alice))
    (problem,) = result.problems
    assert "which is not an allowed signer in" in problem and "ED25519 key SHA256:" in problem
    assert result.signers == []


def test_a_removed_signature_is_named_by_the_event_that_recorded_it(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    path = signed_journal(tmp_path, alice)
    (tmp_path / "journal.4.sig").unlink()
    result = check(path, allowed_signers(tmp_path / "as", alice))
    assert result.problems == ["event seq 5 says events 1–4 were signed (journal.4.sig), but "
                               "that signature file is missing (removed?)"]


def test_an_unsigned_journal_is_shown_unsigned(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal.create(path) as journal:
        journal.append(ev.RUN_STARTED, None, "alice", {"run_id": "RUN-1"})
    result = check(path, None)
    assert result.problems == [] and result.unsigned == "unsigned"
    assert result.lines == ["unsigned: no signature beside journal.jsonl"]


def test_events_after_the_last_signature_are_said_not_signed(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    result = check(signed_journal(tmp_path, alice, extra=2),
                   allowed_signers(tmp_path / "as", alice))
    assert result.problems == []
    assert result.unsigned == "events 5–7 unsigned"
    assert result.lines[-1] == ("not signed: events 5–7 (note) were written after the last "
                                "signature")


def test_without_allowed_signers_the_key_is_shown_and_the_signer_unchecked(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    result = check(signed_journal(tmp_path, alice), None)
    assert result.problems == [] and result.signers == []
    assert "who signed is not checked: no allowed signers file" in result.lines[0]
    assert result.unsigned is not None


def test_allowed_signers_from_the_config_else_the_post_mortem_repo(tmp_path: Path) -> None:
    repo = tmp_path / "pm"
    (repo / ".git").mkdir(parents=True)
    (repo / "incidents" / "2026").mkdir(parents=True)
    assert find_allowed_signers(None, repo / "incidents" / "2026") is None
    (repo / ".runbookctl").mkdir()
    (repo / ".runbookctl" / "allowed_signers").write_text("")
    assert find_allowed_signers(None, repo / "incidents" / "2026") == (
        repo / ".runbookctl" / "allowed_signers")
    assert find_allowed_signers("/etc/signers", repo / "incidents") == Path("/etc/signers")
    # not above the repository: a file in a folder that holds the repo is not the repo's
    (tmp_path / ".runbookctl").mkdir()
    (tmp_path / ".runbookctl" / "allowed_signers").write_text("")
    (repo / ".runbookctl" / "allowed_signers").unlink()
    assert find_allowed_signers(None, repo / "incidents") is None
