"""`--commit`: add the report and a copy of its journal to the post-mortem repo.

Only those two files are staged and committed, whatever else is dirty or staged
in the repository; nothing is ever pushed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.state import RunState
    from runbookctl.ui import UI


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          timeout=60, check=False)


def repo_root(folder: Path) -> Path | None:
    out = _git(folder, "rev-parse", "--show-toplevel")
    return Path(out.stdout.strip()) if out.returncode == 0 else None


def commit_message(state: RunState) -> str:
    from runbookctl.report import human_duration

    head = f"runbookctl: {state.runbook} {state.status} in {human_duration(state.duration)}"
    body = [f"Run {state.run_id} by {state.operator}.", f"{state.title}"]
    if state.incident:
        body.append(f"Incident: {state.incident}")
    if state.reason:
        body.append(f"Outcome: {state.reason}")
    return head + "\n\n" + "\n".join(body) + "\n"


def commit_report(report: Path, run_dir: Path, state: RunState, ui: UI) -> bool:
    """Stage only the report and its journal copy, commit, never push."""
    from runbookctl.redact import mask_active

    folder = report.parent
    root = repo_root(folder)
    if root is None:
        ui.warn(f"--commit: {folder} is not inside a git repository; the report was written but "
                "not committed (git init it, or use --report-dir inside your post-mortem repo)")
        return False
    journal_copy = report.with_suffix(".journal.jsonl")
    shutil.copyfile(run_dir / "journal.jsonl", journal_copy)
    paths = [str(report.resolve()), str(journal_copy.resolve())]
    added = _git(root, "add", "--", *paths)
    if added.returncode != 0:
        ui.warn(f"--commit: git add failed: {added.stderr.strip()}")
        return False
    message = mask_active(commit_message(state))
    done = _git(root, "commit", "--quiet", "--no-verify", "--only", "-m", message, "--", *paths)
    if done.returncode != 0:
        ui.warn(f"--commit: git commit failed: {(done.stderr or done.stdout).strip()}")
        return False
    ui.info(f"committed to {root}: {message.splitlines()[0]}")
    return True
