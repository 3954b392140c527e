"""The run's view (#15.5, #15.6) as an operator sees it: in a real pseudo-terminal
(header, [n/N] with an include's steps counted, a live running time, attempt and poll
counters, a jump notice, the command shown once around its confirmation, one-key
y/n, the summary), and off a terminal (NO_COLOR, a pipe) the same facts as plain lines."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import cli_env, prompt_re, run_cli

pytestmark = pytest.mark.integration

VIEW = """\
id: view
title: Database down
severity: P1
steps:
  - id: check
    title: Check the primary
    run: sleep 1.5; echo checked
  - id: child
    include: child
  - id: flaky
    run: test -e flaky.mark || { touch flaky.mark; exit 1; }
    retries: 2
    retry_delay: 0.1s
  - id: settle
    run: test -e settle.mark || { touch settle.mark; exit 1; }
    until: result.exit_code == 0
    every: 0.1s
    within: 10m
  - id: restart
    run: echo $((40+2))
    confirm: true
  - id: optional
    run: echo optional-$((1+1))
    confirm: true
    on_no: skip
  - id: boom
    run: exit 3
    on_failure: recover
  - id: skipped
    run: echo never
  - id: recover
    title: Recover
    run: echo recovered
"""

CHILD = """\
id: child
title: Child
steps:
  - {id: one, run: echo one}
  - {id: two, run: echo two}
"""

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "view.yaml").write_text(VIEW)
    (books / "child.yaml").write_text(CHILD)
    return tmp_path


def _args(work: Path) -> list[str]:
    return ["--runbooks", str(work / "runbooks"), "run", "view",
            "--report-dir", str(work / "reports")]


def _lines(text: str) -> list[str]:
    """The lines as the screen keeps them: what a line erase (the live line making way
    for output) wiped is gone, then the styles."""
    return [ANSI.sub("", line.rsplit("\x1b[2K", 1)[-1]).rstrip() for line in text.split("\n")]


def test_the_view_in_a_terminal(work: Path) -> None:
    env = cli_env(work / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "runbookctl", *_args(work)], cwd=str(work),
                          env=env, dimensions=(40, 200), timeout=20, encoding="utf-8")
    seen = io.StringIO()
    child.logfile_read = seen
    child.expect(prompt_re("Run this command? (no: abort the run)"))
    child.send("y")  # one key: no Enter
    child.expect(prompt_re("Run this command? (no: skip this step)"))
    child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    lines = _lines(seen.getvalue())
    assert lines[0] == "Runbook view — Database down · severity P1 · 10 steps"
    assert "[1/10] ▶ check Check the primary (run)" in lines
    assert "check running 1s" in seen.getvalue()  # the live running time, while it runs
    assert "[2/10] ▶ child/one (run)" in lines  # the include's steps are counted
    assert "  ↻ attempt 2/3" in lines
    assert any(re.fullmatch(r"  ↻ poll 2, \d+s of 10m", line) for line in lines)
    assert "  → on_failure: recover" in lines
    assert "[10/10] ▶ recover Recover (run)" in lines
    assert "Journal: " in "\n".join(lines) and f"Reports go to: {work / 'reports'}" in lines
    # the confirmed command: shown once, indented, before its question; its output after
    assert sum("echo $((40+2))" in line for line in lines) == 1
    assert "  $ echo $((40+2))" in lines
    assert "  42" in lines
    assert "  optional-2" not in lines and "  ↷ no (terminal)" in lines  # n: declined
    assert any(re.fullmatch(r"  ✘ exit code 3 · \d+\.\ds", line) for line in lines)
    assert "Failed steps: boom" in lines
    assert any(re.fullmatch(r"Duration: \d+\.\ds", line) for line in lines)
    assert any(line.startswith(f"Report: {work / 'reports'}") for line in lines)


def test_the_view_off_a_terminal_in_plain_lines(work: Path) -> None:
    result = run_cli([*_args(work), "--yes"], work, work / "state")
    assert result.code == 0, result.output
    out = result.stdout
    assert "\x1b" not in out  # NO_COLOR into a pipe: no colours, no live redraw
    assert "running" not in out
    lines = out.splitlines()
    assert lines[0] == "Runbook view — Database down · severity P1 · 10 steps"
    assert lines[1].startswith("Run ") and lines[2].startswith("Journal: ")
    assert "[1/10] ▶ check Check the primary (run)" in lines
    assert "[2/10] ▶ child/one (run)" in lines
    assert "  ↻ attempt 2/3" in lines
    assert any(re.fullmatch(r"  ↻ poll 2, \d+s of 10m", line) for line in lines)
    assert "  → on_failure: recover" in lines
    assert "[10/10] ▶ recover Recover (run)" in lines
    assert sum("echo $((40+2))" in line for line in lines) == 1
    assert "Failed steps: boom" in lines
    assert any(re.fullmatch(r"Duration: \d+\.\ds", line) for line in lines)


def test_enter_takes_the_offered_defaults(work: Path) -> None:
    (work / "runbooks" / "inputs.yaml").write_text("""\
id: inputs
title: Inputs
inputs:
  count: {type: int, default: 3}
  mode: {default: fast}
steps:
  - {id: show, run: "echo got-{{ count }}-{{ mode }}"}
""")
    env = cli_env(work / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "runbookctl", "--runbooks", str(work / "runbooks"),
                                           "run", "inputs", "--report-dir", str(work / "reports")],
                          cwd=str(work), env=env, dimensions=(40, 200), timeout=20,
                          encoding="utf-8")
    child.expect(prompt_re("Use these defaults?"))
    child.expect_exact("(Y/n)")  # yes is the default
    child.send("\r")
    child.expect_exact("got-3-fast")  # nothing else was asked
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
