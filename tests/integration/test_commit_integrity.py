"""The record's integrity in git (#12.10), with real repositories: --operator/--incident
cannot forge commit trailers nor inject Markdown; the repository's hooks run; a detached
HEAD is said; a blocked commit (hook, gpg, identity, merge) is an error that leaves
nothing staged and the report on disk."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, CliResult, run_cli
from tests.integration import test_commit

pytestmark = pytest.mark.integration

# No global or system git config: each repository says exactly what it has.
GIT_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
repo = test_commit.repo  # the same throwaway post-mortem repository (a fixture)


def git(repo: Path, *args: str, check: bool = True) -> str:
    import os

    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=check, env=env).stdout


def _run(tmp_path: Path, repo: Path, *extra: str, **env: str) -> CliResult:
    out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
    out.mkdir()
    (tmp_path / "answers.yaml").write_text("gate: yes\n")
    return run_cli(["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var",
                    f"out={out}", "--no-input", "--answers", str(tmp_path / "answers.yaml"),
                    "--report-dir", str(repo / "incidents"), "--commit", *extra],
                   cwd=tmp_path, state=tmp_path / "state", **{**GIT_ENV, **env})


def _hook(repo: Path, name: str, body: str) -> None:
    hook = repo / ".git" / "hooks" / name
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(0o755)


def _assert_not_committed(repo: Path, result: CliResult) -> None:
    """A failed commit: exit 1 with the reason, only `init` in the log, the report files on
    disk and untracked (nothing left staged)."""
    assert result.code == 1, result.output
    assert "--commit: git commit failed; nothing was committed and nothing is left staged" \
           in result.output
    assert git(repo, "log", "--format=%s").splitlines() == ["init"]
    files = sorted(str(p.relative_to(repo)) for p in (repo / "incidents").rglob("*")
                   if p.is_file())
    stem = files[-1].removesuffix(".md")
    assert files == [f"{stem}.journal.jsonl", f"{stem}.logs/0001-one.log",
                     f"{stem}.logs/0002-two.log", f"{stem}.logs/0003-three.log",
                     f"{stem}.logs/manifest.json", f"{stem}.md"]
    assert git(repo, "diff", "--cached", "--name-only") == ""
    assert git(repo, "status", "--porcelain", "-uall").splitlines() == [
        f"?? {name}" for name in files]


# --- control characters and Markdown in --operator / --incident ----------------------------

CONTROLS = {"newline": "alice\nSigned-off-by: mallory", "carriage return": "INC-1\rX",
            "escape": "\x1b[31mred", "tab": "a\tb", "right-to-left override": "INC-\u202e42",
            "line separator": "a\u2028b", "C1": "a\x9bb"}


@pytest.mark.parametrize("option", ["--operator", "--incident"])
@pytest.mark.parametrize("kind", sorted(CONTROLS))
def test_control_characters_in_operator_or_incident_are_refused(
    option: str, kind: str, tmp_path: Path, repo: Path,
) -> None:
    result = _run(tmp_path, repo, option, CONTROLS[kind])
    assert result.code == 2, result.output
    assert f"runbookctl: {option}: " in result.stderr
    assert "contains a control character (U+" in result.stderr
    assert "Traceback" not in result.output
    assert not (repo / "incidents").exists()  # refused before anything ran
    assert git(repo, "log", "--format=%s").splitlines() == ["init"]


def test_a_newline_in_the_operator_from_the_environment_is_refused(tmp_path: Path, repo: Path) -> None:
    result = _run(tmp_path, repo, RUNBOOKCTL_OPERATOR="alice\nReviewed-by: boss")
    assert result.code == 2, result.output
    assert "RUNBOOKCTL_OPERATOR: 'alice\\nReviewed-by: boss' contains a control character " \
           "(U+000A)" in result.stderr


def test_a_newline_in_resume_operator_is_refused(tmp_path: Path) -> None:
    result = run_cli(["resume", "--operator", "a\nb", "--no-input"], cwd=tmp_path,
                     state=tmp_path / "state")
    assert result.code == 2, result.output
    assert "--operator: 'a\\nb' contains a control character (U+000A)" in result.stderr


def test_markdown_in_operator_and_incident_shows_as_typed(tmp_path: Path, repo: Path) -> None:
    operator = "[boss](https://evil.example) **root** <img src=x> |x|"
    incident = "INC-7 `rm` _x_ #1"
    result = _run(tmp_path, repo, "--operator", operator, "--incident", incident)
    assert result.code == 0, result.output
    report = next((repo / "incidents").glob("*.md")).read_text()
    body = report.split("\n---\n", 1)[1]
    escaped_op = r"\[boss\](https://evil.example) \*\*root\*\* \<img src=x\> \|x\|"
    assert f"| **Operator** | {escaped_op} |" in report
    assert r"— INC-7 \`rm\` \_x\_ \#1" in report
    assert not re.search(r"(?<!\\)(\[boss\]|<img|\*\*root)", body)  # nothing unescaped
    assert f"operator: \"{operator}\"" in report  # the front matter keeps the value
    message = git(repo, "log", "-1", "--format=%B")
    assert f"by {operator}." in message
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)").strip().splitlines()
    assert all(t.split(":")[0] in ("Incident", "Outcome") for t in trailers), trailers
    verified = run_cli(["verify", str(next((repo / "incidents").glob("*.md")))], cwd=tmp_path,
                       state=tmp_path / "state")
    assert verified.code == 0, verified.output


# --- hooks run --------------------------------------------------------------------------


def test_the_repository_hooks_run(tmp_path: Path, repo: Path) -> None:
    _hook(repo, "pre-commit", f"echo ran > {tmp_path / 'pre-commit-ran'}\n")
    _hook(repo, "commit-msg", f"cp \"$1\" {tmp_path / 'message'}\n")
    result = _run(tmp_path, repo, "--incident", "INC-9")
    assert result.code == 0, result.output
    assert (tmp_path / "pre-commit-ran").read_text() == "ran\n"
    assert "Incident: INC-9" in (tmp_path / "message").read_text()
    assert len(git(repo, "log", "--format=%s").splitlines()) == 2


def test_a_failing_hook_fails_the_commit_with_its_output(tmp_path: Path, repo: Path) -> None:
    _hook(repo, "pre-commit", "echo 'lint: incidents/ needs an owner' >&2\nexit 1\n")
    result = _run(tmp_path, repo)
    _assert_not_committed(repo, result)
    assert "lint: incidents/ needs an owner" in result.output


# --- blocked commits --------------------------------------------------------------------


def test_a_gpg_signing_failure_is_an_error(tmp_path: Path, repo: Path) -> None:
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", "/bin/false")
    result = _run(tmp_path, repo)
    _assert_not_committed(repo, result)
    assert "gpg failed to sign" in result.output


def test_a_missing_identity_is_an_error(tmp_path: Path, repo: Path) -> None:
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "user.useConfigOnly", "true")
    result = _run(tmp_path, repo, HOME=str(tmp_path), EMAIL="", GIT_AUTHOR_EMAIL="",
                  GIT_COMMITTER_EMAIL="")
    _assert_not_committed(repo, result)
    assert "Please tell me who you are" in result.output or "email" in result.output


def test_a_merge_in_progress_is_an_error_and_keeps_the_merge(tmp_path: Path, repo: Path) -> None:
    git(repo, "checkout", "-qb", "other")
    (repo / "README.md").write_text("theirs\n")
    git(repo, "commit", "-qam", "theirs")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("ours\n")
    git(repo, "commit", "-qam", "ours")
    git(repo, "merge", "other", check=False)  # conflicts: the merge stays in progress
    assert (repo / ".git" / "MERGE_HEAD").exists()
    result = _run(tmp_path, repo)
    assert result.code == 1, result.output
    assert "partial commit during a merge" in result.output
    assert (repo / ".git" / "MERGE_HEAD").exists()
    assert git(repo, "log", "-1", "--format=%s").strip() == "ours"
    status = git(repo, "status", "--porcelain", "-uall").splitlines()
    assert "UU README.md" in status
    # the report, its journal, its three logs and their manifest: all untracked, none staged
    assert sum(line.startswith("?? incidents/") for line in status) == 6


def test_a_detached_head_commit_is_said_with_its_commit(tmp_path: Path, repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    result = _run(tmp_path, repo)
    assert result.code == 0, result.output
    sha = git(repo, "rev-parse", "--short=12", "HEAD").strip()
    assert f"--commit: HEAD is detached in {repo}: the report was committed as {sha}, on no " \
           f"branch (`git branch NAME {sha}` keeps it)" in " ".join(result.output.split())
    assert git(repo, "log", "-1", "--format=%s", sha).startswith("runbookctl: counted completed")


def test_a_failed_commit_puts_back_what_the_user_had_staged(tmp_path: Path, repo: Path) -> None:
    """The user had staged other content at the journal copy's path: a failed commit leaves
    that staged entry as it was."""
    from runbookctl.record.commit import _index_entries, _restore_index

    (repo / "notes.md").write_text("the user's staged text\n")
    git(repo, "add", "notes.md")
    before = _index_entries(repo, [str(repo / "notes.md")])
    (repo / "notes.md").write_text("runbookctl's text\n")
    git(repo, "add", "notes.md")
    _restore_index(repo, [str(repo / "notes.md")], before)
    assert git(repo, "show", ":notes.md") == "the user's staged text\n"
