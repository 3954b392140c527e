"""The every-action runbook driven through a real pseudo-terminal, answered by keystrokes."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import FIXTURES, cli_env, only_report, prompt_re
from tests.integration.test_run_e2e import EXPECTED_LOG

pytestmark = pytest.mark.integration

ENTER = "\r"
CTRL_C = "\x03"


def _spawn(work: Path, *args: str) -> pexpect.spawn:
    env = cli_env(work / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1",
                  RB_TEST_TOKEN="tok-pty-93be1d")
    env.pop("NO_COLOR", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "runbookctl", "--runbooks", str(work / "e2e" / "runbooks"), "run", "everything",
         "--var", f"out={work / 'out'}", "--report-dir", str(work / "reports"), *args],
        cwd=str(work), env=env, dimensions=(40, 120), timeout=20, encoding="utf-8",
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "e2e", tmp_path / "e2e")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "scratch").write_text("x")
    return tmp_path


def test_every_prompt_answered_by_keystrokes(work: Path) -> None:
    child = _spawn(work)
    child.expect_exact("Use these defaults?")  # inputs with defaults are offered at start
    child.expect_exact("mode = 'fast'")
    child.send("y" + ENTER)
    child.expect_exact("Proceed with 3 items?")
    child.send("y" + ENTER)
    child.expect_exact("Who is on call?")
    child.send("'; touch CANARY #" + ENTER)
    child.expect_exact("Run the optional clean-up?")
    child.send("n" + ENTER)
    child.expect_exact("Type the step id 'wipe'")
    child.send("wipe" + ENTER)
    child.expect_exact("Check the dashboard shows")  # the instruction, printed before the prompt
    child.expect_exact("done, skipped or failed?")  # the prompt itself
    child.send(ENTER)  # first choice: done
    child.expect_exact("Acknowledge the child runbook?")
    child.send("y" + ENTER)
    child.expect_exact("What was the root cause?")
    child.send("$(touch CANARY)" + ENTER)
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (work / "out" / "log").read_text().splitlines() == EXPECTED_LOG
    assert not list(work.rglob("CANARY"))
    report = only_report(work / "reports")
    # every answer records its origin: in its timeline row and in its step's detail
    assert "(terminal) |" in report and "via terminal" in report
    assert "answers-file" not in report


def test_ctrl_c_at_a_prompt_is_never_a_yes(work: Path) -> None:
    child = _spawn(work)
    child.expect_exact("Use these defaults?")
    child.send("n")  # no (one key; Enter alone takes the defaults): each input is asked
    # "count" and "mode" are in the listing above too: keys sent on seeing those words came
    # before the next prompt and were flushed as type-ahead. Wait for each prompt itself.
    child.expect(prompt_re("count"))
    child.send(ENTER)
    child.expect(prompt_re("mode"))
    child.send(ENTER)
    child.expect_exact("Proceed with 3 items?")
    child.send(CTRL_C)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    log = (work / "out" / "log").read_text().splitlines()
    assert log == ["start"]
    report = only_report(work / "reports")
    assert 'status: "interrupted"' in report
    assert os.path.exists(work / "out" / "scratch")
