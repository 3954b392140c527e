"""--commit in a throwaway post-mortem repo: one commit per run with only the report, its
journal and its logs, whatever else is dirty; verify accepts the committed copies; never
pushes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, git, postmortem_repo, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = postmortem_repo(tmp_path / "postmortems")
    (repo / "README.md").write_text("post-mortems\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "init")
    return repo


def _run(tmp_path: Path, repo: Path) -> str:
    out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
    out.mkdir()
    (tmp_path / "answers.yaml").write_text("gate: yes\n")
    result = run_cli(["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var",
                      f"out={out}", "--no-input", "--answers", str(tmp_path / "answers.yaml"),
                      "--report-dir", str(repo / "incidents"), "--commit", "--incident", "INC-7"],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    return result.output


def test_each_run_is_one_commit_of_only_its_report_journal_and_logs(tmp_path: Path,
                                                                    repo: Path) -> None:
    (repo / "draft.md").write_text("work in progress\n")  # untracked
    (repo / "README.md").write_text("edited, not staged\n")  # dirty
    (repo / "staged.md").write_text("staged by the user\n")
    git(repo, "add", "staged.md")
    _run(tmp_path, repo)
    _run(tmp_path, repo)
    log = git(repo, "log", "--format=%s").splitlines()
    assert len(log) == 3
    assert log[0].startswith("runbookctl: counted completed in ")
    for rev in ("HEAD", "HEAD~1"):
        files = git(repo, "show", "--name-only", "--format=", rev).split()
        stem = files[-1].removesuffix(".md")
        assert files[-1].startswith("incidents/") and files[-1].endswith(".md")
        # the journal copy and the logs of the run's three commands (#14.4), nothing else
        assert files == [f"{stem}.journal.jsonl", f"{stem}.logs/0001-one.log",
                         f"{stem}.logs/0002-two.log", f"{stem}.logs/0003-three.log",
                         f"{stem}.logs/manifest.json", f"{stem}.md"]
    status = git(repo, "status", "--porcelain")
    assert "A  staged.md" in status and " M README.md" in status and "?? draft.md" in status
    assert git(repo, "branch", "-r") == ""  # nothing pushed anywhere
    body = git(repo, "log", "-1", "--format=%b")
    assert "INC-7" in body


def test_verify_accepts_the_committed_copy(tmp_path: Path, repo: Path) -> None:
    _run(tmp_path, repo)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    report = next((clone / "incidents").glob("*.md"))
    result = run_cli(["verify", str(report)], cwd=tmp_path, state=tmp_path / "empty-state")
    assert result.code == 0, result.output
    assert "intact" in result.output


def test_report_dir_outside_a_repository_is_refused_before_the_run(tmp_path: Path) -> None:
    """Before, the steps ran and the run ended with a warning and exit 0, uncommitted."""
    outside = tmp_path / "plain"
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var",
                      f"out={out}", "--no-input", "--report-dir", str(outside / "incidents"),
                      "--commit"], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert result.stderr == (f"runbookctl: --commit: {outside / 'incidents'} is not inside a git "
                             "repository (git init it, or use --report-dir inside your "
                             "post-mortem repo)\n")
    assert not list(out.iterdir()) and not (tmp_path / "state").exists()  # nothing ran


def test_a_note_after_the_commit_keeps_the_committed_record_whole(tmp_path: Path,
                                                                  repo: Path) -> None:
    """The note rewrites the report; the journal copy beside it follows (a `verify` of the
    repository's copy found it cut before), and `note --commit` commits both again."""
    _run(tmp_path, repo)
    (report,) = (repo / "incidents").glob("*.md")
    state = tmp_path / "state"
    noted = run_cli(["note", "rolled back the deploy"], cwd=tmp_path, state=state)
    assert noted.code == 0, noted.output
    assert "commit it with runbookctl note --commit, or git" in noted.output
    changed = [line.split() for line in git(repo, "status", "--porcelain", "--", "incidents")
               .splitlines()]
    assert sorted(changed) == [["M", f"incidents/{report.stem}.journal.jsonl"],
                               ["M", f"incidents/{report.name}"]]
    checked = run_cli(["verify", str(report)], cwd=tmp_path, state=state)
    assert checked.code == 0, checked.output
    again = run_cli(["note", "--as", "bob", "--commit", "error rate back to normal"],
                    cwd=tmp_path, state=state)
    assert again.code == 0, again.output
    assert git(repo, "status", "--porcelain", "--", "incidents") == ""
    assert git(repo, "log", "-1", "--format=%s").strip().endswith(", a note by bob")
    committed = git(repo, "show", f"HEAD:incidents/{report.name}")
    assert "rolled back the deploy" in committed and "error rate back to normal" in committed
    assert run_cli(["verify", str(report)], cwd=tmp_path, state=state).code == 0
