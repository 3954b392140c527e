"""Logs travel with the record (#14.4) and the front page names the signer (#14.5), through
the CLI into a real git repository: a run of several steps, one printing more than the
per-log cap, committed with --commit and signed with the key `ssh.signing_key` names. Every
log link of the committed report resolves to a committed file of the repository, the cut
log and the report say what was cut, `verify` in a clone accepts the record and finds an
edited log; an interrupted run committed, resumed and committed again keeps each log once."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.helpers import CliResult, git, only_run_dir, run_cli
from tests.integration import test_commit
from tests.signing_keys import allowed_signers, make_key

pytestmark = pytest.mark.integration

BIG_LINES = 150_000  # "line 000001\n"… 12 bytes each: 1.8 MB, over the 1 MiB default cap
RUNBOOK = f"""\
id: noisy
title: Noisy incident
steps:
  - id: look
    title: Look at the service
    run: echo service is degraded
  - id: dump
    title: Dump the slow queries
    run: for i in $(seq 1 {BIG_LINES}); do printf 'line %06d\\n' $i; done
  - id: gate
    confirm: Restart it?
  - id: restart
    title: Restart the service
    run: echo restarted
"""
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


repo = test_commit.repo  # the same throwaway post-mortem repository (a fixture)


def _setup(tmp_path: Path, repo: Path) -> Path:
    (tmp_path / "noisy.yaml").write_text(RUNBOOK)
    (repo / ".gitignore").write_text("*.log\n")  # a common ignore: the record's logs go in
    key = make_key(tmp_path, "alice")
    (tmp_path / "runbookctl.yaml").write_text(f"ssh:\n  signing_key: {key}\n")
    signers = allowed_signers(repo / ".runbookctl" / "allowed_signers", key)
    git(repo, "add", str(signers), ".gitignore")
    git(repo, "commit", "-qm", "allowed signers, ignores")
    return key


def _run(tmp_path: Path, repo: Path, *args: str, answers: str) -> CliResult:
    (tmp_path / "answers.yaml").write_text(answers)
    return run_cli([*args, "--no-input", "--answers", str(tmp_path / "answers.yaml"),
                    "--commit"], cwd=tmp_path, state=tmp_path / "state", SSH_AUTH_SOCK="",
                   timeout=300)


def _log_links(report: Path) -> list[tuple[str, str]]:
    return [(text, href) for text, href in LINK.findall(report.read_text())
            if href.endswith(".log")]


def _committed(repo: Path) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split())


def test_a_committed_report_links_only_logs_committed_beside_it(tmp_path: Path,
                                                                repo: Path) -> None:
    key = _setup(tmp_path, repo)
    result = _run(tmp_path, repo, "run", str(tmp_path / "noisy.yaml"), "--report-dir",
                  str(repo / "incidents"), answers="gate: yes\n")
    assert result.code == 0, result.output
    report = next((repo / "incidents").glob("*.md"))
    links = _log_links(report)
    assert [text for text, _href in links] == ["0001-look.log", "0002-dump.log",
                                                "0003-restart.log"]
    committed = _committed(repo)
    for _text, href in links:
        assert not href.startswith(("/", "file:")) and "://" not in href
        target = (report.parent / unquote(href)).resolve()
        assert target.is_file() and target.is_relative_to(repo.resolve())
        assert str(target.relative_to(repo.resolve())) in committed  # in git, not just on disk
    assert str(report.relative_to(repo)) in committed

    # the cut log and the report both say what was cut, with the full log's sha256
    run_dir = only_run_dir(tmp_path / "state")
    full = (run_dir / "logs" / "0002-dump.log").read_bytes()
    assert len(full) == BIG_LINES * 12
    sha = hashlib.sha256(full).hexdigest()
    cut = (report.parent / unquote(links[1][1])).read_bytes()
    note = re.match(rb"\[runbookctl: this log was cut for the repository: (\d+) of (\d+) bytes "
                    rb"kept \(the first (\d+) and the last (\d+)\); the full log, sha256 (\w+),",
                    cut)
    assert note, cut[:300]
    kept, total, head, tail = (int(n) for n in note.groups()[:4])
    assert total == len(full) and kept == head + tail and 1024 * 1024 - 24 <= kept <= 1024 * 1024
    assert note.group(5).decode() == sha
    assert b"line 000001\n" in cut and cut.endswith(b"line %06d\n" % BIG_LINES)
    assert b"bytes cut here]" in cut
    text = report.read_text()
    assert (f"0002-dump.log) — this log was cut for the repository: {kept} of {total} bytes "
            f"kept") in text
    assert sha in text
    # the small logs are copied byte for byte, as the journal hashed them
    assert (report.parent / unquote(links[0][1])).read_bytes() == b"service is degraded\n"

    # the front page names the signer; a clone of the repository verifies it all
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], capture_output=True,
                                 text=True, check=True).stdout.split()[1]
    assert f"| **Record** | Signed by tester (ssh-ed25519 {fingerprint}) |" in text
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    copy = clone / report.relative_to(repo)
    verified = run_cli(["verify", str(copy)], cwd=clone, state=tmp_path / "empty")
    assert verified.code == 0, verified.output
    assert "intact (hash chain verified; signed by alice@example)" in verified.stdout
    small = copy.with_name(f"{copy.stem}.logs") / "0001-look.log"
    small.write_text("service is fine\n")
    tampered = run_cli(["verify", str(copy)], cwd=clone, state=tmp_path / "empty")
    assert tampered.code == 1
    assert (f"TAMPERED: {copy.stem}.logs/0001-look.log: its content differs from the sha256 "
            "the journal holds for this log") in tampered.stderr


def test_an_uncommitted_report_names_the_local_logs_as_before(tmp_path: Path) -> None:
    (tmp_path / "noisy.yaml").write_text(RUNBOOK.replace(str(BIG_LINES), "3"))
    (tmp_path / "answers.yaml").write_text("gate: yes\n")
    result = run_cli(["run", str(tmp_path / "noisy.yaml"), "--no-input", "--answers",
                      str(tmp_path / "answers.yaml"), "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state", SSH_AUTH_SOCK="")
    assert result.code == 0, result.output
    report = next((tmp_path / "r").glob("*.md"))
    assert _log_links(report) == []
    run_dir = only_run_dir(tmp_path / "state")
    assert f"full log <code>{run_dir / 'logs' / '0001-look.log'}</code>" in report.read_text()
    assert "| **Record** | Unsigned |" in report.read_text()
    assert not list((tmp_path / "r").glob("*.logs"))


def test_resume_and_commit_again_keep_each_log_once(tmp_path: Path, repo: Path) -> None:
    _setup(tmp_path, repo)
    (tmp_path / "runbookctl.yaml").write_text(
        (tmp_path / "runbookctl.yaml").read_text() + "commit_log_cap: 64 KiB\n")
    first = _run(tmp_path, repo, "run", str(tmp_path / "noisy.yaml"), "--report-dir",
                 str(repo / "incidents"), answers="{}\n")
    assert first.code == 2, first.output  # the gate had no answer: interrupted, resumable
    report = next((repo / "incidents").glob("*.md"))
    folder = report.with_name(f"{report.stem}.logs")
    assert sorted(p.name for p in folder.iterdir()) == ["0001-look.log", "0002-dump.log",
                                                        "manifest.json"]
    run_id = only_run_dir(tmp_path / "state").name
    resumed = _run(tmp_path, repo, "resume", run_id, answers="gate: yes\n")
    assert resumed.code == 0, resumed.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "0001-look.log", "0002-dump.log", "0003-restart.log", "manifest.json"]
    assert [r.name for r in (repo / "incidents").glob("*.md")] == [report.name]  # one report
    manifest = json.loads((folder / "manifest.json").read_text())
    kept = {e["name"]: e["head"] + e["tail"] for e in manifest["logs"]}
    assert kept["0001-look.log"] == 20 and kept["0003-restart.log"] == 10
    assert 65536 - 24 <= kept["0002-dump.log"] <= 65536  # whole lines of 12 bytes
    second = git(repo, "show", "--name-status", "--format=", "HEAD").splitlines()
    stem = f"incidents/{report.stem}"
    assert f"A\t{stem}.logs/0003-restart.log" in second
    assert f"M\t{stem}.md" in second
    assert not [line for line in second if "0001-look" in line or "0002-dump" in line]
    assert len(_log_links(report)) == 3
    verified = run_cli(["verify", str(report)], cwd=repo, state=tmp_path / "state")
    assert verified.code == 0, verified.output
