"""Which program a command runs (safety/shell_programs.py): through wrappers and runners,
a shell's options and operands, and the commands that start a shell reading its input."""

from __future__ import annotations

import pytest

from runbookctl.safety.shell_programs import RUNNERS, program, runs, shell_args, starts_shell
from runbookctl.safety.shell_words import Frame


def _frame(*words: str) -> Frame:
    return Frame("cmd", command=words[0], words=list(words[1:]))


@pytest.mark.parametrize(("word", "name"), [
    ("/bin/bash", "bash"), ("$SHELL", "sh"), ("${SHELL:-/bin/sh}", "sh"), ("grep", "grep"),
])
def test_the_program_a_word_names(word: str, name: str) -> None:
    assert program(word) == name


def test_a_program_is_run_through_runners_not_as_an_argument() -> None:
    assert runs(_frame("sudo", "-u", "app", "bash"), 3, RUNNERS)
    assert runs(_frame("timeout", "5", "sh"), 2, RUNNERS)
    assert not runs(_frame("grep", "-q", "bash"), 2, RUNNERS)


def test_a_shells_options_and_operands() -> None:
    assert shell_args(_frame("bash", "-e", "-c")) == ("bash", "!c", [])
    assert shell_args(_frame("sudo", "sh", "-s", "x")) == ("sh", "!s", ["x"])
    assert shell_args(_frame("grep", "x")) == ("", "", [])


@pytest.mark.parametrize("words", [
    ("su",), ("su", "-"), ("su", "-", "app"), ("su", "-l", "app"), ("runuser", "-l", "app"),
    ("sudo", "su"), ("sudo", "su", "-"), ("sudo", "-s"), ("sudo", "-i"), ("sudo", "-iu", "app"),
    ("sudo", "-u", "app", "-i"), ("sudo", "--login"), ("doas", "-s"), ("timeout", "5", "su"),
    ("su", "-s", "/bin/bash", "app"),
])
def test_commands_that_start_a_shell_reading_its_input(words: tuple[str, ...]) -> None:
    assert starts_shell(_frame(*words))


@pytest.mark.parametrize("words", [
    ("su", "-", "app", "-c", "systemctl restart x"), ("su", "-lc", "id"),
    ("su", "--command=id"), ("sudo", "-i", "systemctl", "restart", "x"), ("sudo", "-u", "app"),
    ("sudo", "tee", "f"), ("grep", "su"), ("sudo", "-s", "id"), ("ps", "-u", "root"),
])
def test_commands_given_a_command_or_no_shell_do_not(words: tuple[str, ...]) -> None:
    assert not starts_shell(_frame(*words))
