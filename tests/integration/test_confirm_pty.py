"""Confirmations through the real CLI in a pseudo-terminal: a mistyped step id is not an
answer, and every gate says what 'no' does (derived from the step's on_no)."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import cli_env, journal_events, only_report, only_run_dir

pytestmark = pytest.mark.integration

ENTER = "\r"
CTRL_C = "\x03"
NO_MEANS = {"abort": "abort the run", "skip": "skip this step", "other": "go to other"}


def _spawn(tmp_path: Path, kill_step: str) -> pexpect.spawn:
    (tmp_path / "rb.yaml").write_text(
        "id: rb\ntitle: Gates\nsteps:\n" + kill_step +
        "  - id: after\n    run: echo after >> log\n"
        "  - id: other\n    run: echo other >> log\n")
    env = cli_env(tmp_path / "state", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    return pexpect.spawn(
        sys.executable, ["-m", "runbookctl", "run", str(tmp_path / "rb.yaml"),
                         "--report-dir", str(tmp_path / "r")],
        cwd=str(tmp_path), env=env, dimensions=(40, 160), timeout=20, encoding="utf-8")


def _finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus)


def _log(tmp_path: Path) -> list[str]:
    log = tmp_path / "log"
    return log.read_text().split() if log.exists() else []


def _answers(tmp_path: Path) -> list[object]:
    events = journal_events(only_run_dir(tmp_path / "state"))
    return [e["data"]["value"] for e in events if e["type"] == "answer" and e["step"] == "kill"]


DANGEROUS = ("  - id: kill\n    confirm: Terminate the long queries?\n    dangerous: true\n"
             "    run: touch killed\n")


@pytest.mark.parametrize("typed", ["yes", "y", "kil", ""])
def test_a_mistyped_step_id_asks_again_and_does_not_end_the_run(
        tmp_path: Path, typed: str) -> None:
    child = _spawn(tmp_path, DANGEROUS)
    prompt = "Type the step id 'kill' to run it, or no (no: abort the run):"
    child.expect_exact(prompt)
    child.send(typed + ENTER)
    why = f"{typed!r} is not 'kill'" if typed else "nothing typed"
    child.expect_exact(f"{why} — type the step id to run it, or choose no (abort the run)")
    child.expect_exact(prompt)
    child.send("kill" + ENTER)
    assert _finish(child) == 0
    assert (tmp_path / "killed").exists()
    assert _log(tmp_path) == ["after", "other"]
    assert _answers(tmp_path) == [True]  # the slip was never journaled as an answer
    assert 'status: "completed"' in only_report(tmp_path / "r")


def _gate(on_no: str, dangerous: bool, human: bool) -> str:
    step = "  - id: kill\n    confirm: Terminate the long queries?\n"
    step += "    dangerous: true\n" if dangerous else ""
    step += "" if human else "    run: touch killed\n"
    return step + ("" if on_no == "abort" else f"    on_no: {on_no}\n")


@pytest.mark.parametrize("on_no", ["abort", "skip", "other"])
@pytest.mark.parametrize(("dangerous", "human"), [(True, False), (False, False), (True, True),
                                                  (False, True)])
def test_every_gate_says_what_no_does_and_no_does_it(
        tmp_path: Path, on_no: str, dangerous: bool, human: bool) -> None:
    child = _spawn(tmp_path, _gate(on_no, dangerous, human))
    shown = f"(no: {NO_MEANS[on_no]})"
    child.expect_exact(shown)
    if not dangerous:
        child.expect_exact("(y/N)")
    child.send(("no" if dangerous else "n") + ENTER)
    code = _finish(child)
    assert _answers(tmp_path) == [False]
    assert not (tmp_path / "killed").exists()
    assert code == (1 if on_no == "abort" else 0)
    assert _log(tmp_path) == {"abort": [], "skip": ["after", "other"], "other": ["other"]}[on_no]


def test_ctrl_c_at_a_dangerous_gate_after_a_slip_interrupts_the_run(tmp_path: Path) -> None:
    child = _spawn(tmp_path, DANGEROUS)
    child.expect_exact("Type the step id 'kill'")
    child.send("yes" + ENTER)
    child.expect_exact("'yes' is not 'kill'")
    child.expect_exact("Type the step id 'kill'")
    child.send(CTRL_C)
    assert _finish(child) == 130
    assert _answers(tmp_path) == []
    assert 'status: "interrupted"' in only_report(tmp_path / "r")
