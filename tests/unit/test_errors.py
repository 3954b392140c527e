"""Errors as a user sees them: the exit code each ends the process with, and a
problem pointed at its line with a caret."""

from __future__ import annotations

from runbookctl.errors import (
    CorruptJournal,
    ExitCode,
    InterruptedRun,
    JournalError,
    NoAnswerError,
    Problem,
    RunbookctlError,
    TemplateError,
    UsageError,
    ValidationError,
)
from runbookctl.positions import Pos


def test_each_error_ends_the_process_with_its_code() -> None:
    assert [e("x").exit_code for e in (RunbookctlError, UsageError, NoAnswerError, JournalError,
                                       InterruptedRun, CorruptJournal, TemplateError)] == [
        ExitCode.FAILED, ExitCode.USAGE, ExitCode.USAGE, ExitCode.FAILED, ExitCode.INTERRUPTED,
        ExitCode.USAGE, ExitCode.FAILED]
    assert RunbookctlError("x", ExitCode.INTERNAL).exit_code == 3
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130]


def test_a_problem_points_at_its_column() -> None:
    problem = Problem(Pos("rb.yaml", 3, 5), "bad key", key_path="steps[0]", source_line="  - {id: x}")
    assert problem.format() == "rb.yaml:3:5: bad key (steps[0])\n      - {id: x}\n        ^"
    warning = Problem(Pos("rb.yaml", 0, 0), "odd", severity="warning", source_line="x")
    assert warning.format() == "rb.yaml:0:0: warning: odd"


def test_a_validation_error_carries_every_problem() -> None:
    problems = [Problem(Pos("a.yaml", 1, 1), "one"), Problem(Pos("a.yaml", 2, 1), "two")]
    err = ValidationError(problems)
    assert err.problems == problems and err.exit_code == ExitCode.USAGE
    assert err.message == "a.yaml:1:1: one\na.yaml:2:1: two"
