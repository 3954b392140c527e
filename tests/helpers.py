"""Shared test helpers: run the real CLI in a subprocess, read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOKCTL_")}
    env.update(RUNBOOKCTL_STATE_DIR=str(state), NO_COLOR="1", COLUMNS="200",
               RUNBOOKCTL_OPERATOR="tester")
    env.update(extra)
    return env


def run_cli(args: list[str], cwd: Path, state: Path, timeout: float = 120,
            stdin: str | None = None, **env: str) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "runbookctl", *args], cwd=cwd, env=cli_env(state, **env),
        capture_output=True, text=True, timeout=timeout,
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def validate_refusals(book: Path, cwd: Path) -> list[tuple[int, int, str]]:
    """`runbookctl validate BOOK` refuses it (exit 2): (line, column, message) of each
    problem reported in BOOK, in order."""
    import re

    result = run_cli(["validate", str(book)], cwd=cwd, state=cwd / "state")
    assert result.code == 2, result.output
    found = re.findall(rf"^{re.escape(str(book))}:(\d+):(\d+): (.*)$", result.output, re.M)
    return [(int(line), int(col), message) for line, col, message in found]


def assert_refused_before_any_step(book: Path, cwd: Path, *args: str) -> None:
    """`runbookctl run BOOK ARGS --no-input` stops with exit 2 before its first step (which
    would create `first-step-ran`), and no PWNED file was made by an injected payload."""
    result = run_cli(["run", str(book), *args, "--no-input", "--report-dir", str(cwd / "r")],
                     cwd=cwd, state=cwd / "state")
    assert result.code == 2, result.output
    assert not (cwd / "first-step-ran").exists()
    assert not list(cwd.rglob("PWNED*"))


def only_run_dir(state: Path) -> Path:
    runs = sorted((state / "runs").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def journal_events(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def prompt_re(text: str) -> str:
    """A regex for questionary's prompt line `? TEXT` (styles between the two): the prompt
    itself, drawn after typed-ahead keys were flushed — never the same words printed
    earlier (a listing, an instruction), where keys sent would be thrown away."""
    import re

    return r"\?(?:\x1b\[[0-9;]*m)* " + re.escape(text)


def only_report(report_dir: Path) -> str:
    reports = sorted(report_dir.rglob("*.md"))
    assert len(reports) == 1, reports
    return reports[0].read_text()


def spawn_cli(args: list[str], cwd: Path, state: Path, **extra: str) -> Any:
    """The real CLI in a real pseudo-terminal (pexpect), colours and prompts as for a person."""
    import pexpect

    env = cli_env(state, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", **extra)
    env.pop("NO_COLOR", None)
    return pexpect.spawn(sys.executable, ["-m", "runbookctl", *args], cwd=str(cwd), env=env,
                         dimensions=(40, 250), timeout=20, encoding="utf-8")


def expect_completed(child: Any) -> None:
    """The run ends completed, exit 0."""
    import pexpect

    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def write(path: Path, text: str) -> Path:
    """Write `text` dedented, so a test can indent a file's content with its code."""
    path.write_text(textwrap.dedent(text))
    return path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def postmortem_repo(repo: Path) -> Path:
    """A new git repository (branch main) with the identity `--commit` needs."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "oncall@example.com")
    git(repo, "config", "user.name", "On Call")
    return repo
