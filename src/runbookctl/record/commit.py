"""`--commit`: add the report, a copy of its journal, the journal's signatures
(record/signing.py) and the step logs it links (record/log_copies.py) to the
post-mortem repo.

Only those files are staged and committed, whatever else is dirty or staged
in the repository; nothing is ever pushed. The repository's hooks run (a failing
hook fails the commit); a commit that does not happen is an error, and what was
staged for it is put back as it was.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import RunbookctlError, UsageError

if TYPE_CHECKING:
    from runbookctl.record.log_copies import LogCaps
    from runbookctl.record.notices import Notices as UI
    from runbookctl.record.run_state import RunState

# A commit runs the repository's hooks, which may be slow (linters, signing).
GIT_TIMEOUT = 300


class CommitError(RunbookctlError):
    """--commit did not commit (a hook, signing, identity, a merge in progress…)."""


def _git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              input=stdin, timeout=GIT_TIMEOUT, check=False,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CommitError(f"--commit: git {args[0]} did not finish within {GIT_TIMEOUT}s") from None
    except OSError as exc:
        raise CommitError(f"--commit: cannot run git: {exc.strerror or exc}") from None


def repo_root(folder: Path) -> Path | None:
    out = _git(folder, "rev-parse", "--show-toplevel")
    return Path(out.stdout.strip()) if out.returncode == 0 else None


def require_repository(folder: Path, existing: Path) -> None:
    """Before a run with --commit begins: the report folder (`existing`: it, or the nearest
    folder of it that exists) is inside a git repository, else a UsageError — asked to
    commit, a run must not end with its record uncommitted and exit 0."""
    if repo_root(existing) is None:
        raise UsageError(f"--commit: {folder} is not inside a git repository (git init it, or "
                         "use --report-dir inside your post-mortem repo)")


def _one_line(value: object) -> str:
    # The journal may predate the checks on --operator/--incident: never let a value
    # break a line of the message (a second line can forge a trailer).
    return " ".join(str(value).split())


def commit_message(state: RunState, since: str = "") -> str:
    """`since`: what changed the record after its run (`a note by ana`), said in the head."""
    head = _one_line(f"runbookctl: {state.runbook} {state.status} in {state.took}"
                     + (f", {since}" if since else ""))
    body = [f"Run {_one_line(state.run_id)} by {_one_line(state.operator)}.", _one_line(state.title)]
    if state.incident:
        body.append(f"Incident: {_one_line(state.incident)}")
    if state.reason:
        body.append(f"Outcome: {_one_line(state.reason)}")
    return head + "\n\n" + "\n".join(body) + "\n"


def commit_report(report: Path, run_dir: Path, state: RunState, ui: UI,
                  caps: LogCaps | None = None, template_dirs: list[Path] | None = None,
                  since: str = "") -> bool:
    """Stage only the report, its journal copy and signatures and its logs folder, commit
    (hooks run), never push.

    False when the folder is not in a repository (a warning); CommitError when the
    commit fails, after unstaging what was staged for it.
    """
    from runbookctl.safety.masking import mask_active

    folder = report.parent
    root = repo_root(folder)
    if root is None:
        ui.warn(f"--commit: {folder} is not inside a git repository; the report was written but "
                "not committed (git init it, or use --report-dir inside your post-mortem repo)")
        return False
    paths = [str(report.resolve()), *[str(p.resolve()) for p in _copy_journal(report, run_dir)],
             *_with_logs(report, run_dir, state, caps, template_dirs)]
    before = _index_entries(root, paths)
    message = mask_active(commit_message(state, since))
    # -f: these exact files are the record; a `*.log` in .gitignore must not drop its logs
    added = _git(root, "add", "-f", "--", *paths)
    done = added if added.returncode != 0 else _git(
        root, "commit", "--quiet", "--only", "-F", "-", "--", *paths, stdin=message)
    if done.returncode != 0:
        _restore_index(root, paths, before)
        what = "git add" if done is added else "git commit"
        output = mask_active((done.stderr + done.stdout).strip()) or f"exit {done.returncode}"
        raise CommitError(f"--commit: {what} failed; nothing was committed and nothing is left "
                          f"staged (the report stays at {report}):\n{output}")
    _warn_if_detached(root, ui)
    ui.info(f"committed to {root}: {message.splitlines()[0]}")
    return True


def _with_logs(report: Path, run_dir: Path, state: RunState, caps: LogCaps | None,
               template_dirs: list[Path] | None) -> list[str]:
    """Copy the logs beside the report and rewrite it linking them: the folder to commit
    (with what it held before: a re-commit replaces it), or nothing when no log is named."""
    from runbookctl.record import report_file
    from runbookctl.record.log_copies import LogCaps, copy_logs
    from runbookctl.record.writeup import final_text

    try:
        logs = copy_logs(report, state, run_dir, caps or LogCaps())
        if logs is None:
            return []
        report_file.write_report(report, final_text(state, template_dirs, report)[0])
    except OSError as exc:
        raise CommitError(f"--commit: cannot copy the logs beside {report}: "
                          f"{exc.strerror or exc}") from None
    return [str(logs.resolve())]


def refresh_copies(report: Path, run_dir: Path) -> bool:
    """A report committed before (its journal copy is beside it) whose run went on (a
    note): the journal copy and signatures beside it follow the journal, so the folder
    verifies as the record it is. False when the report was never committed."""
    if not report.with_suffix(".journal.jsonl").is_file():
        return False
    _copy_journal(report, run_dir)
    return True


def _copy_journal(report: Path, run_dir: Path) -> list[Path]:
    """The journal and its signatures copied beside the report, under its name."""
    journal_copy = report.with_suffix(".journal.jsonl")
    shutil.copyfile(run_dir / "journal.jsonl", journal_copy)
    return [journal_copy, *_copy_signatures(run_dir / "journal.jsonl", journal_copy)]


def _copy_signatures(journal: Path, journal_copy: Path) -> list[Path]:
    """Each signature of the journal, beside its copy under the copy's name."""
    from runbookctl.record.signing import signature_files, signature_path

    copies = []
    for events, path in signature_files(journal):
        copy = signature_path(journal_copy, events)
        shutil.copyfile(path, copy)
        copies.append(copy)
    return copies


def _index_entries(root: Path, paths: list[str]) -> str:
    """The index entries of `paths` now (`mode sha stage\\tpath` lines), to put back."""
    return _git(root, "ls-files", "--stage", "--full-name", "--", *paths).stdout


def _restore_index(root: Path, paths: list[str], entries: str) -> None:
    """Unstage what --commit staged: drop the paths (a folder: each file in it) from the
    index, re-add the old entries."""
    staged = _git(root, "ls-files", "--full-name", "-z", "--", *paths).stdout.split("\0")
    files = [p for p in paths if not Path(p).is_dir()]
    _git(root, "update-index", "--force-remove", "--", *files, *filter(None, staged))
    if entries:
        _git(root, "update-index", "--index-info", stdin=entries)


def _warn_if_detached(root: Path, ui: UI) -> None:
    if _git(root, "symbolic-ref", "--quiet", "HEAD").returncode == 0:
        return
    sha = _git(root, "rev-parse", "--short=12", "HEAD").stdout.strip()
    ui.warn(f"--commit: HEAD is detached in {root}: the report was committed as {sha}, on no "
            f"branch (`git branch NAME {sha}` keeps it)")
