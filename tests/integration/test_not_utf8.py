"""Bytes that are not UTF-8 on the command line, in the environment or on stdin (a
Latin-1 `é`): refused with exit 2 naming the byte — before any run folder is made — or,
for a playbook on stdin, read as a file with the same bytes is. Never an internal error,
never a run folder whose journal could not be written. Through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env, only_run_dir, run_cli

pytestmark = pytest.mark.integration

E = os.fsdecode(b"caf\xe9")  # as Python hands such an argument over: a lone surrogate
HINT = "the journal records it and keeps UTF-8 text only"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "ok.yaml").write_text(
        "id: ok\ntitle: t\nhosts:\n  web: localhost\ninputs:\n  who: {default: x}\n"
        "steps:\n  - {id: a, run: 'echo {{ who }}'}\n  - {id: gate, confirm: go?}\n")
    return tmp_path


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--incident", f"INC-{E}"], {}, "--incident is not UTF-8 text (byte 0xe9); give one line of "
     "plain text"),
    (["--operator", E], {}, "--operator is not UTF-8 text (byte 0xe9); give one line of plain text"),
    ([], {"RUNBOOKCTL_OPERATOR": E}, "RUNBOOKCTL_OPERATOR is not UTF-8 text (byte 0xe9); give "
     "one line of plain text"),
    (["--var", f"who={E}"], {}, f"--var who is not UTF-8 text (byte 0xe9); {HINT}"),
    (["--hosts", f"web={E}"], {}, f"--hosts is not UTF-8 text (byte 0xe9); {HINT}"),
    (["--report-dir", E], {}, f"--report-dir is not UTF-8 text (byte 0xe9); {HINT}"),
    (["--from", E], {}, f"--from is not UTF-8 text (byte 0xe9); {HINT}"),
])
def test_run_refuses_text_not_in_utf8_before_making_a_run(
        work: Path, args: list[str], env: dict[str, str], message: str) -> None:
    result = run_cli(["run", "ok.yaml", "--no-input", *args], cwd=work, state=work / "state", **env)
    assert (result.code, result.stderr) == (2, f"runbookctl: {message}\n")
    assert not (work / "state").exists()


def test_a_note_approval_or_discard_not_in_utf8_is_refused(work: Path) -> None:
    stopped = run_cli(["run", "ok.yaml", "--no-input"], cwd=work, state=work / "state")
    assert stopped.code == 2, stopped.output
    run_id = only_run_dir(work / "state").name
    journal = (work / "state" / "runs" / run_id / "journal.jsonl").read_bytes()
    for args, message in [
        (["note", run_id, E], "the note is not UTF-8 text (byte 0xe9); give one line of plain text"),
        (["note", run_id, "hi", "--as", E], "--as is not UTF-8 text (byte 0xe9); give one line "
         "of plain text"),
        (["reject", run_id, "gate", "--as", "bob", "--reason", E], "the reason is not UTF-8 text "
         "(byte 0xe9); give one line of plain text"),
        (["discard", run_id, "--reason", E], f"--reason is not UTF-8 text (byte 0xe9); {HINT}"),
    ]:
        result = run_cli(args, cwd=work, state=work / "state")
        assert (result.code, result.stderr) == (2, f"runbookctl: {message}\n"), args
    assert (work / "state" / "runs" / run_id / "journal.jsonl").read_bytes() == journal


def test_import_from_stdin_reads_bytes_as_from_a_file(work: Path) -> None:
    playbook = b"# Disk full\n\nCaf\xe9 procedure\n\n1. check df\n"
    (work / "stdin.md").write_bytes(playbook)
    from_file = run_cli(["import", "stdin.md"], cwd=work, state=work / "state")
    from_stdin = subprocess.run([sys.executable, "-m", "runbookctl", "import", "-"], cwd=work,
                                env=cli_env(work / "state"), input=playbook, capture_output=True,
                                timeout=120)
    assert from_file.code == from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout.decode() == from_file.stdout
    assert "  Café procedure\n" in from_file.stdout
