"""What a run was asked for (RunRequest), and the names it runs under: its id,
its operator (one line of plain text) and the runbook's git commit.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import UsageError

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session


@dataclass
class RunRequest:
    """What the command line asked for."""

    runbook: str
    variables: list[str] = field(default_factory=list)
    vars_file: Path | None = None
    answers: Path | None = None
    yes: bool = False
    no_input: bool = False
    dry_run: bool = False
    from_step: str | None = None
    report_dir: Path | None = None
    operator: str | None = None
    incident: str | None = None
    commit: bool = False
    hosts: list[str] = field(default_factory=list)


def new_run_id(runbook_id: str) -> str:
    now = datetime.now(UTC)
    # os.urandom, not the secrets module: the same bytes, without its ~7 ms import.
    return f"{now:%Y%m%dT%H%M%SZ}-{runbook_id}-{os.urandom(2).hex()}"


def operator_name(req: RunRequest, session: Session) -> str:
    if req.operator:
        return one_line("--operator", req.operator)
    if session.config.operator:
        return one_line("operator (runbookctl.yaml)", str(session.config.operator))
    env = os.environ.get("RUNBOOKCTL_OPERATOR")
    if env:
        return one_line("RUNBOOKCTL_OPERATOR", env)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def check_recordable(req: RunRequest) -> None:
    """Refuse (exit 2) a name or path of the request that is not UTF-8 (a Latin-1 file name,
    bytes pasted into --hosts): the journal records each, and could not — before any run
    folder is made. --var values: values.parse_var_options; --operator, --incident: one_line."""
    from runbookctl.safety.plain_text import not_utf8

    given = [("the runbook", req.runbook), ("--vars-file", req.vars_file),
             ("--answers", req.answers), ("--report-dir", req.report_dir),
             ("--from", req.from_step), *(("--hosts", value) for value in req.hosts)]
    for what, value in given:
        problem = None if value is None else not_utf8(
            what, str(value), "the journal records it and keeps UTF-8 text only")
        if problem:
            raise UsageError(problem)


def one_line(what: str, value: str) -> str:
    """`value`, refused (exit 2) if it is not UTF-8 (the journal cannot hold it) or holds a
    control character: operator and incident land in the journal, the report and the
    commit message, where a newline forges lines."""
    from runbookctl.safety.masking import first_control
    from runbookctl.safety.plain_text import not_utf8

    undecodable = not_utf8(what, value)
    if undecodable:
        raise UsageError(undecodable)
    bad = first_control(value)
    if bad is not None:
        raise UsageError(f"{what}: {value!r} contains a control character ({bad}); give one "
                         "line of plain text")
    return value


def git_commit_of(path: Path) -> str | None:
    """The commit of the repository holding `path`, if any (for the report)."""
    try:
        out = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None
