"""`--commit`: add the report and a copy of its journal to the post-mortem repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.ui import UI


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          timeout=30, check=False)


def repo_root(folder: Path) -> Path | None:
    out = _git(folder, "rev-parse", "--show-toplevel")
    return Path(out.stdout.strip()) if out.returncode == 0 else None


def commit_report(report: Path, run_dir: Path, ui: UI, message: str | None = None) -> bool:
    """Stage only the report and its journal copy, commit, never push."""
    folder = report.parent
    root = repo_root(folder)
    if root is None:
        ui.warn(f"--commit: {folder} is not inside a git repository; the report was not committed")
        return False
    journal_copy = report.with_suffix(".journal.jsonl")
    shutil.copyfile(run_dir / "journal.jsonl", journal_copy)
    paths = [str(report.resolve()), str(journal_copy.resolve())]
    added = _git(root, "add", "--", *paths)
    if added.returncode != 0:
        ui.warn(f"--commit: git add failed: {added.stderr.strip()}")
        return False
    msg = message or f"runbookctl: {report.stem}"
    done = _git(root, "commit", "--only", "-m", msg, "--", *paths)
    if done.returncode != 0:
        ui.warn(f"--commit: git commit failed: {(done.stderr or done.stdout).strip()}")
        return False
    ui.info(f"committed to {root}: {msg.splitlines()[0]}")
    return True
