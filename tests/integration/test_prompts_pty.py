"""The terminal prompter in a real pseudo-terminal, answered by keystrokes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

pytestmark = pytest.mark.integration

DRIVER = Path(__file__).with_name("prompt_driver.py")
DOWN = "\x1b[B"
ENTER = "\r"
BACKSPACE = "\x7f"
CTRL_C = "\x03"
ESC = "\x1b"
PROMPT = "Type the step id 'kill-queries' to run it, or no (no: skip this step):"


def _env() -> dict[str, str]:
    # A real terminal answers prompt_toolkit's cursor-position request; pexpect
    # does not, and each prompt would wait a second for it.
    return dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")


def spawn(mode: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        [str(DRIVER), mode],
        env=_env(),
        dimensions=(24, 80),
        timeout=10,
        encoding="utf-8",
    )


def spawn_shell(command: str) -> pexpect.spawn:
    return pexpect.spawn(
        "bash", ["-c", command], env=_env(), dimensions=(24, 80), timeout=10, encoding="utf-8"
    )


def answer(child: pexpect.spawn) -> dict[str, Any]:
    child.expect(r"ANSWER (\{[^\r\n]*\})")
    result: dict[str, Any] = json.loads(child.match.group(1))
    return result


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    status: int = child.exitstatus
    return status


def test_every_kind_of_prompt_answered_by_keystrokes() -> None:
    child = spawn("sequence")
    child.expect_exact("$ restart worker")  # the detail is shown before the gate
    child.expect_exact("Restart the worker? (no: skip this step)")
    child.send("y" + ENTER)
    assert answer(child) == {"value": True, "origin": "terminal", "actor": "alice", "note": None}

    child.expect_exact(PROMPT)
    child.send("kill-queries" + ENTER)
    assert answer(child)["value"] is True

    child.expect_exact("How many workers?")
    child.send(BACKSPACE + "x" + ENTER)  # replaces the default 4 with a non-number
    child.expect_exact("is not an integer")
    child.send(BACKSPACE + "12" + ENTER)
    assert answer(child)["value"] == 12

    child.expect_exact("Which environment?")
    child.send(DOWN + ENTER)
    assert answer(child)["value"] == "production"

    child.expect_exact("sentry: done, skipped or failed?")  # the engine shows the instruction itself
    child.send(DOWN + ENTER)
    child.expect_exact("Why is it skipped?")
    child.send("   " + ENTER)  # a blank reason is refused
    child.expect_exact("a reason is required")
    child.send("sentry is down" + ENTER)
    assert answer(child) | {"actor": "-"} == {
        "value": "skipped",
        "origin": "terminal",
        "actor": "-",
        "note": "sentry is down",
    }

    child.expect_exact("ready failed: exit 1")
    child.expect_exact("go to step db-down")
    child.send(DOWN * 3 + ENTER)
    assert answer(child)["value"] == "goto:db-down"
    assert finish(child) == 0


def test_enter_alone_at_a_gate_is_no() -> None:
    child = spawn("gate")
    child.expect_exact("Restart the worker?")
    child.send(ENTER)
    assert answer(child)["value"] is False
    assert finish(child) == 0


def test_escape_at_a_gate_is_not_a_yes() -> None:
    child = spawn("gate")
    child.expect_exact("Restart the worker?")
    child.send(ESC)
    time.sleep(0.7)  # past prompt_toolkit's escape timeout: a lone Esc
    child.send(ENTER)
    assert answer(child)["value"] is False
    assert finish(child) == 0


def test_ctrl_c_at_a_gate_interrupts_and_is_never_a_yes() -> None:
    child = spawn("gate")
    child.expect_exact("Restart the worker?")
    child.send(CTRL_C)
    child.expect_exact("interrupted: KeyboardInterrupt")
    assert "ANSWER" not in (child.before or "")
    assert finish(child) == 130


@pytest.mark.parametrize(("typed", "why"), [
    ("y", "'y' is not 'kill-queries'"), ("yes", "'yes' is not 'kill-queries'"),
    ("kill", "'kill' is not 'kill-queries'"), ("Kill-Queries", "'Kill-Queries' is not"),
    ("", "nothing typed"), ("   ", "nothing typed"),
])
def test_a_mistyped_step_id_is_not_an_answer_and_is_asked_again(typed: str, why: str) -> None:
    child = spawn("dangerous")
    child.expect_exact(PROMPT)
    child.send(typed + ENTER)
    child.expect_exact(why)
    child.expect_exact("— type the step id to run it, or choose no (skip this step)")
    child.expect_exact(PROMPT)  # asked again; nothing was answered
    assert "ANSWER" not in (child.before or "")
    child.send("kill-queries" + ENTER)
    assert answer(child)["value"] is True
    assert finish(child) == 0


@pytest.mark.parametrize("typed", ["no", "n", "NO", " No "])
def test_only_an_explicit_no_declines_a_dangerous_gate(typed: str) -> None:
    child = spawn("dangerous")
    child.expect_exact(PROMPT)
    child.send(typed + ENTER)
    assert answer(child)["value"] is False
    assert finish(child) == 0


def test_ctrl_c_at_a_dangerous_gate_interrupts() -> None:
    child = spawn("dangerous")
    child.expect_exact(PROMPT)
    child.send("yes" + ENTER)
    child.expect_exact("'yes' is not 'kill-queries'")
    child.expect_exact(PROMPT)
    child.send(CTRL_C)
    child.expect_exact("interrupted: KeyboardInterrupt")
    assert "ANSWER" not in (child.before or "")
    assert finish(child) == 130


def test_keys_typed_before_a_prompt_never_answer_it() -> None:
    child = spawn("typeahead")
    child.expect_exact("RUNNING a command")
    child.send("y" + ENTER)  # typed while the "command" runs
    child.expect_exact("Restart the worker?")
    # Enter answers this gate; the extra "y Enter" must not answer the next one.
    child.send(ENTER + "y" + ENTER)
    assert answer(child)["value"] is False
    child.expect_exact("Second gate?")
    time.sleep(0.3)  # time for a leftover key to answer it, were it kept
    child.send(ENTER)
    assert answer(child)["value"] is False
    assert finish(child) == 0


def test_make_prompter_asks_at_a_foreground_terminal() -> None:
    child = spawn("make")
    child.expect_exact("PROMPTER TerminalPrompter")
    child.expect_exact("Restart the worker?")
    child.send("y" + ENTER)
    assert answer(child)["value"] is True
    assert finish(child) == 0


REFUSED = 'Add "restart: yes|no" to an answers file (--answers FILE).'


@pytest.mark.parametrize(
    ("redirect", "reason"),
    [
        ("echo y | {driver} make", "stdin is not a terminal"),
        ("yes | {driver} make", "stdin is not a terminal"),
        ("{driver} make </dev/null", "stdin is not a terminal"),
        # Job control on: the driver keeps the terminal as stdin but runs in the background.
        ("set -m; {driver} make & wait $!; echo exit=$?", "the run is in the background"),
    ],
)
def test_no_foreground_terminal_never_answers(redirect: str, reason: str) -> None:
    driver = f"{sys.executable} {DRIVER}"
    child = spawn_shell(redirect.format(driver=driver))
    child.expect_exact("PROMPTER RefusingPrompter")
    child.expect_exact(f"no terminal to ask ({reason}). {REFUSED}")
    output = child.read()
    assert "ANSWER" not in output
    status = finish(child)
    assert ("exit=2" in output) if "exit=" in redirect else status == 2


def test_piped_stdin_and_stdout_refuse_without_a_terminal() -> None:
    done = subprocess.run(
        [sys.executable, str(DRIVER), "make"],
        input="y\n",
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert done.returncode == 2
    assert "PROMPTER RefusingPrompter" in done.stdout
    assert "ANSWER" not in done.stdout
    assert "step 'restart' needs an answer" in done.stdout
