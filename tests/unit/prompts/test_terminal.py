"""prompts/terminal.py: the prompter chain, the foreground check (refusal messages:
test_refusing.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runbookctl.errors import NoAnswerError
from runbookctl.prompts.answers_file import AnswersFile
from runbookctl.prompts.answers_prompter import AnswersPrompter
from runbookctl.prompts.protocol import ORIGIN_YES, Answer
from runbookctl.prompts.terminal import (
    RefusingPrompter,
    choice_label,
    is_foreground_tty,
    make_prompter,
)
from tests.unit.prompts.test_refusing import refusal

SHA = "0123456789abcdef" * 4
CHOICES = ["retry", "skip", "abort", "goto:db-down", "goto:notify"]
NO = "skip this step"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path


def test_chain_answers_then_refuses_naming_the_missing_key() -> None:
    prompter = AnswersPrompter(AnswersFile.from_data({"kill": True}, Path("answers.yaml"), SHA), False,
                               RefusingPrompter())
    assert prompter.confirm("kill", "?", dangerous=True, no_means=NO).value is True
    with pytest.raises(NoAnswerError, match="step 'sentry' needs an answer"):
        prompter.manual("sentry", "check")


# --- make_prompter ---------------------------------------------------------------


def test_no_input_refuses_even_with_terminals() -> None:
    p = make_prompter(
        operator="a",
        answers_path=None,
        yes=False,
        no_input=True,
        stdin_isatty=True,
        stdout_isatty=True,
    )
    assert isinstance(p, RefusingPrompter)
    assert "no terminal to ask (--no-input)" in refusal(lambda: p.manual("m", "x"))


def test_stdin_not_a_terminal_refuses() -> None:
    p = make_prompter(
        operator="a",
        answers_path=None,
        yes=False,
        no_input=False,
        stdin_isatty=False,
        stdout_isatty=True,
    )
    assert "(stdin is not a terminal)" in refusal(lambda: p.confirm("k", "?", dangerous=False, no_means=NO))


def test_yes_alone_wraps_the_refusal() -> None:
    p = make_prompter(operator="alice", answers_path=None, yes=True, no_input=True)
    answer = p.confirm("restart", "?", dangerous=False, no_means=NO)
    assert answer == Answer(True, ORIGIN_YES, "alice (--yes)")
    with pytest.raises(NoAnswerError, match="step 'kill'"):
        p.confirm("kill", "?", dangerous=True, no_means=NO)


def test_answers_file_is_tried_first(tmp_path: Path) -> None:
    path = write(tmp_path, "restart: no\n")
    p = make_prompter(operator="alice", answers_path=path, yes=True, no_input=True)
    answer = p.confirm("restart", "?", dangerous=False, no_means=NO)
    assert answer.value is False
    assert answer.actor.startswith(f"{path} (sha256 ")


def test_is_foreground_tty_is_false_for_pipes_and_foreign_terminals() -> None:
    read_fd, write_fd = os.pipe()
    master, slave = os.openpty()  # a terminal, but not this process's controlling one
    try:
        assert is_foreground_tty(read_fd) is False
        assert is_foreground_tty(slave) is False
    finally:
        for fd in (read_fd, write_fd, master, slave):
            os.close(fd)


def test_choice_labels() -> None:
    assert choice_label("goto:db-down") == "go to step db-down"
    assert choice_label("retry-failed-hosts") == "retry the failed hosts only"
    assert choice_label("abort") == "abort"
