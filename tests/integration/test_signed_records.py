"""Signed records end to end (issue #14.5): runs through the CLI signed by a real
ssh-agent, then `verify`: who signed; a journal edited and re-hashed with the project's
own event_hash fails; a signer not allowed fails; no key leaves an unsigned record and
one warning; resume signs again; --commit carries the signatures and verify in the
post-mortem repository uses its .runbookctl/allowed_signers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from runbookctl.record.journal import GENESIS, event_hash
from tests.helpers import FIXTURES, CliResult, only_run_dir, run_cli
from tests.signing_keys import allowed_signers, make_key, ssh_agent

pytestmark = pytest.mark.integration


def run_counted(tmp_path: Path, sock: str, *extra: str, answers: str = "gate: yes\n") -> CliResult:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    (tmp_path / "answers.yaml").write_text(answers)
    return run_cli(["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var",
                    f"out={out}", "--no-input", "--answers", str(tmp_path / "answers.yaml"),
                    "--report-dir", str(tmp_path / "reports"), *extra],
                   cwd=tmp_path, state=tmp_path / "state", SSH_AUTH_SOCK=sock)


def verify(tmp_path: Path, target: Path | str, cwd: Path | None = None) -> CliResult:
    return run_cli(["verify", str(target)], cwd=cwd or tmp_path, state=tmp_path / "state",
                   SSH_AUTH_SOCK="")


def config(tmp_path: Path, text: str) -> None:
    (tmp_path / "runbookctl.yaml").write_text(text)


def rehash_journal(journal: Path, step: str, reason: str) -> None:
    """The attack: change what a step's end says, recompute the whole chain."""
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    edited = [e for e in events if e["type"] == "step_finished" and e["step"] == step]
    edited[0]["data"]["reason"] = reason
    prev = GENESIS
    for event in events:
        event["hash"] = prev = event_hash(prev, event)
    journal.write_text("".join(json.dumps(e, sort_keys=True, separators=(",", ":"),
                                          ensure_ascii=False) + "\n" for e in events))


def test_a_run_signed_by_the_agent_verifies_naming_its_signer(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    config(tmp_path, f"allowed_signers: {allowed_signers(tmp_path / 'signers', alice)}\n")
    with ssh_agent(alice) as sock:
        result = run_counted(tmp_path, sock)
    assert result.code == 0, result.output
    assert "signed the record (events 1–21) with ED25519 key SHA256:" in result.output
    run_dir = only_run_dir(tmp_path / "state")
    assert (run_dir / "journal.21.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")
    last = json.loads((run_dir / "journal.jsonl").read_text().splitlines()[-1])
    assert last["type"] == "record_signed" and last["actor"] == "tester"
    assert last["data"]["events"] == 21 and last["data"]["fingerprint"].startswith("SHA256:")
    report = next((tmp_path / "reports").glob("*.md"))
    # the front page names the key (the journal's fingerprint); verify names its principal
    assert (f"| **Record** | Signed by tester (ssh-ed25519 {last['data']['fingerprint']}) |"
            in report.read_text())
    verified = verify(tmp_path, report)
    assert verified.code == 0, verified.output
    assert "signed: events 1–21 by alice@example (ED25519 key SHA256:" in verified.stdout
    assert "intact (hash chain verified; signed by alice@example)" in verified.stdout

    # the attacker edits the journal, re-hashes it and re-renders the report
    rehash_journal(run_dir / "journal.jsonl", "three", "never ran")
    rerendered = run_cli(["report", run_dir.name], cwd=tmp_path, state=tmp_path / "state")
    assert rerendered.code == 0, rerendered.output
    tampered = verify(tmp_path, report)
    assert tampered.code == 1, tampered.output
    assert ("TAMPERED: journal.21.sig: the signature does not match events 1–21 of the journal"
            in tampered.stderr)
    assert "the journal was changed after it was signed" in tampered.stderr


def test_a_signer_who_is_not_allowed_fails_verify(tmp_path: Path) -> None:
    alice, mallory = make_key(tmp_path, "alice"), make_key(tmp_path, "mallory")
    config(tmp_path, f"allowed_signers: {allowed_signers(tmp_path / 'signers', alice)}\n")
    with ssh_agent(mallory) as sock:
        assert run_counted(tmp_path, sock).code == 0
    verified = verify(tmp_path, only_run_dir(tmp_path / "state").name)
    assert verified.code == 1
    assert "journal.21.sig: signed with ED25519 key SHA256:" in verified.stderr
    assert "which is not an allowed signer in" in verified.stderr


def test_no_key_ends_the_run_normally_unsigned_with_one_warning(tmp_path: Path) -> None:
    result = run_counted(tmp_path, "")
    assert result.code == 0, result.output
    assert result.output.count("not signed") == 1
    assert "the record is not signed: no key to sign with: no ssh-agent" in result.output
    report = next((tmp_path / "reports").glob("*.md")).read_text()
    assert "| **Record** | Unsigned |" in report  # the front page says so too
    run_id = only_run_dir(tmp_path / "state").name
    verified = verify(tmp_path, run_id)
    assert verified.code == 0, verified.output
    assert "unsigned: no signature beside journal.jsonl" in verified.stdout
    assert "intact (hash chain verified; unsigned)" in verified.stdout
    config(tmp_path, "require_signatures: true\n")
    required = verify(tmp_path, run_id)
    assert required.code == 1
    assert "NOT SIGNED:" in required.stderr and "requires signatures" in required.stderr


def test_each_session_of_a_resumed_run_is_signed(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    config(tmp_path, f"allowed_signers: {allowed_signers(tmp_path / 'signers', alice)}\n")
    with ssh_agent(alice) as sock:
        stopped = run_counted(tmp_path, sock, answers="{}\n")  # the gate has no answer
        assert stopped.code == 2, stopped.output
        run_id = only_run_dir(tmp_path / "state").name
        (tmp_path / "answers.yaml").write_text("gate: yes\n")
        resumed = run_cli(["resume", run_id, "--no-input", "--answers",
                           str(tmp_path / "answers.yaml")], cwd=tmp_path,
                          state=tmp_path / "state", SSH_AUTH_SOCK=sock)
        assert resumed.code == 0, resumed.output
    sigs = sorted(p.name for p in only_run_dir(tmp_path / "state").glob("*.sig"))
    assert len(sigs) == 2
    verified = verify(tmp_path, run_id)
    assert verified.code == 0, verified.output
    signed = [line for line in verified.stdout.splitlines() if line.startswith("signed: events")]
    assert len(signed) == 2 and all("by alice@example" in line for line in signed)
    assert "not signed" not in verified.stdout  # the second signature covers the first session


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def test_commit_carries_the_signature_and_the_repo_names_the_signers(tmp_path: Path) -> None:
    repo = tmp_path / "pm"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "oncall@example.com")
    git(repo, "config", "user.name", "On Call")
    alice = make_key(tmp_path, "alice")
    allowed_signers(repo / ".runbookctl" / "allowed_signers", alice)
    git(repo, "add", ".runbookctl")
    git(repo, "commit", "-qm", "who may sign")
    with ssh_agent(alice) as sock:
        result = run_counted(tmp_path, sock, "--report-dir", str(repo / "incidents"), "--commit")
    assert result.code == 0, result.output
    files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(Path(f).suffix for f in files) == [".json", ".jsonl", ".log", ".log", ".log",
                                                     ".md", ".sig"]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    report = next((clone / "incidents").glob("*.md"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    verified = run_cli(["verify", str(report)], cwd=elsewhere, state=tmp_path / "empty-state")
    assert verified.code == 0, verified.output
    assert "signed by alice@example" in verified.stdout
