"""prompts/answers_file.py: the answers file's grammar and its one reader.

Before #13.4 the run (prompts/answers_file.py) and validate (check/answers.py) each read
the file and each had its own messages; the copies disagreed, and these tests pin the
chosen behaviour: one message per rule, at the file:line:col of the value, the same
from the run and from validate (`_both` asks both).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from runbookctl.check.answers import check_answers_file
from runbookctl.errors import Problem, UsageError, ValidationError
from runbookctl.prompts.answers_file import (
    AnswersFile,
    ask_value,
    choice_label,
    choice_words,
    confirm_value,
    manual_problem,
    on_failure_problem,
    read_answers_file,
    resume_problem,
)
from runbookctl.prompts.answers_prompter import AnswersPrompter
from runbookctl.prompts.terminal import RefusingPrompter
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import InputSpec, Runbook
from tests.helpers import write

BOOK = """id: rb
title: T
steps:
  - id: gate
    confirm: Go on?
  - id: sentry
    manual: Check Sentry
  - id: restart
    run: systemctl restart app
  - id: fleet
    ssh: uptime
    hosts: [web1]
  - id: cause
    ask: Why?
    var: cause
    pattern: '[a-z ]+'
"""
CHOICES = ["retry", "skip", "abort", "goto:gate", "goto:sentry"]


@pytest.fixture
def book() -> Runbook:
    return load_runbook_text(BOOK, "rb.yaml")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run_error(path: Path) -> str:
    """What the run says when it reads the file (the grammar, whatever the step)."""
    with pytest.raises(ValidationError) as info:
        AnswersPrompter(read_answers_file(path), False, RefusingPrompter())
    return info.value.message


def _validate(path: Path, book: Runbook) -> list[str]:
    return [f"{p.pos}: {p.message}" for p in check_answers_file(path, book)]


def _both(tmp_path: Path, book: Runbook, text: str) -> str:
    """The one message the run and validate both give for `text`."""
    path = _write(tmp_path, text)
    run = _run_error(path)
    (checked,) = _validate(path, book)
    assert run == checked
    return run.removeprefix(f"{path}:")


# --- the reader ----------------------------------------------------------------------


def test_the_reader_keeps_hash_positions_and_the_scalar_form_as_answer(tmp_path: Path) -> None:
    text = "gate: yes\nsentry:\n  status: skipped\n  note: moved\n"
    answers = read_answers_file(_write(tmp_path, text))
    assert answers.sha256 == hashlib.sha256(text.encode()).hexdigest()
    gate, sentry = answers.entries["gate"], answers.entries["sentry"]
    assert (gate.get("answer"), gate.is_map, str(gate.pos), str(gate.value_pos)) == (
        True, False, f"{tmp_path}/a.yaml:1:1", f"{tmp_path}/a.yaml:1:7")
    assert sentry.get("status") == "skipped" and sentry.get("answer") is None
    assert (sentry.fields["note"].pos.line, sentry.fields["note"].pos.col) == (4, 9)
    assert (sentry.fields["note"].name_pos.line, sentry.fields["note"].name_pos.col) == (4, 3)


def test_plain_data_reads_like_a_file_without_positions() -> None:
    answers = AnswersFile.from_data({"gate": "y", "restart": {"on_failure": "skip"}})
    assert answers.entries["gate"].get("answer") == "y"
    assert answers.entries["restart"].get("on_failure") == "skip"
    assert answers.entries["restart"].pos is None
    assert answers.where == "--yes"


@pytest.mark.parametrize(("text", "message"), [
    ("- gate\n", "1:1: an answers file is a map of step id to answer (e.g. `kill: yes`), got a list"),
    ("gate: [yes\n", "2:1: YAML syntax error"),
    ("gate: &x [*x]\n", "1:1: the YAML refers to itself through an alias"),
])
def test_a_file_that_is_not_a_map_of_answers(tmp_path: Path, book: Runbook, text: str,
                                             message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        read_answers_file(path)
    assert info.value.message.startswith(f"{path}:{message}")
    assert _validate(path, book)[0].startswith(f"{path}:{message}")


def test_not_utf8_is_shown_at_its_byte(tmp_path: Path, book: Runbook) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"gate: yes\nsentry: d\xffne\n")
    with pytest.raises(ValidationError) as info:
        read_answers_file(path)
    assert info.value.message.startswith(f"{path}:2:10: not UTF-8 text (byte 0xff)")
    assert _validate(path, book) == [f"{path}:2:10: not UTF-8 text (byte 0xff)"]


def test_an_unreadable_file(tmp_path: Path, book: Runbook) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(UsageError, match=r"cannot read the answers file .*nope.yaml: No such file"):
        read_answers_file(path)
    (found,) = _validate(path, book)
    assert found.startswith(f"{path}:1:1: cannot read the answers file {path}: No such file")


# --- the grammar: one message, the same from the run and from validate ----------------


@pytest.mark.parametrize(("text", "message"), [
    # the run said "no answer given" / "expected a value or a map of ..."
    ("restart:\n", "1:9: restart: expected an answer or a map of {}, got nothing (null)"),
    # validate let an empty map pass; the run refused it
    ("restart: {}\n", "1:10: restart: empty map: give one of {}"),
])
def test_the_fields_offered_are_the_steps_where_the_step_is_known(
        tmp_path: Path, book: Runbook, text: str, message: str) -> None:
    """The run reads the file before any step asks: it offers every field; validate
    offers those of the step (a run step: on_failure, resume). Same rule, same words."""
    path = _write(tmp_path, text)
    assert _run_error(path) == f"{path}:" + message.format(
        "answer, status, note, on_failure, resume, session")
    assert _validate(path, book) == [f"{path}:" + message.format("on_failure, resume")]


@pytest.mark.parametrize(("text", "message"), [
    # the run said "on_failure: no value given" / "answer: expected a single value"
    ("restart: {on_failure: }\n", "1:23: restart: on_failure: expected a single value, got nothing (null)"),
    ("gate: {answer: {deep: 1}}\n", "1:16: gate: answer: expected a single value, got a map"),
    # the run said "expected done, skipped or failed, got 'finished'" at the key
    ("sentry: {status: finished}\n",
     "1:18: sentry: a manual step is answered done | skipped | failed, got 'finished'"),
    # the run said "skipped needs a note", at the key
    ("sentry: {status: skipped}\n",
     "1:18: sentry: skipped needs a reason: write {status: skipped, note: WHY}"),
    # validate let a lone note pass on a manual step; the run refused it
    ("sentry: {note: moved}\n",
     "1:16: sentry: a note goes with a status: write {status: done | skipped | failed, note: ...}"),
    # the run said "resume 'again' is not one of: ..."
    ("restart: {resume: again}\n",
     "1:19: restart: resume: 'again' is not one of: rerun | done | failed | skip"),
    # validate hinted among the step's fields, the run among all; the step's now
    ("sentry: {status: done, notes: x}\n", "1:24: sentry: unknown key 'notes' (did you mean 'note'?)"),
    # weekly's loose ends: validate said "expected one of ...", the run never checked at load
    ("carry-over/db: gone\n", "1:16: carry-over/db: 'gone' is not one of resolved, still open, won't fix"),
])
def test_each_shape_rule_has_one_message_at_its_value(tmp_path: Path, book: Runbook, text: str,
                                                      message: str) -> None:
    assert _both(tmp_path, book, text) == message


# --- values checked against the step that asks ----------------------------------------


def _asked(path: Path, key: str, how: str) -> str:
    prompter = AnswersPrompter(read_answers_file(path), False, RefusingPrompter())
    with pytest.raises(ValidationError) as info:
        if how == "confirm":
            prompter.confirm(key, "?", dangerous=False, no_means="abort")
        elif how == "manual":
            prompter.manual(key, "check")
        elif how == "ask":
            prompter.ask(key, "?", InputSpec(name="cause", pattern="[a-z ]+"))
        else:
            prompter.on_failure(key, "failed", CHOICES)
    return info.value.message


@pytest.mark.parametrize(("text", "how", "message"), [
    # the run said "expected yes or no, got 'maybe'"
    ("gate: maybe\n", "confirm", "1:7: gate: a confirmation is answered yes or no, got 'maybe'"),
    ("sentry: finished\n", "manual",
     "1:9: sentry: a manual step is answered done | skipped | failed, got 'finished'"),
    ("sentry: skipped\n", "manual",
     "1:9: sentry: skipped needs a reason: write {status: skipped, note: WHY}"),
    # the run said "expected text, got True"
    ("cause: yes\n", "ask", "1:8: cause: expected text, got true (a boolean): put the value in quotes"),
    ("cause: A1\n", "ask", "1:8: cause: 'A1' does not match the pattern '[a-z ]+'"),
    # the run said "on_failure 'retyr' is not one of ..." without a hint
    ("restart: {on_failure: retyr}\n", "on_failure",
     "1:23: restart: on_failure: 'retyr' is not one of: retry | skip | abort | <step id> "
     "(did you mean 'retry'?)"),
])
def test_a_value_is_refused_by_the_run_as_validate_refuses_it(tmp_path: Path, book: Runbook,
                                                              text: str, how: str,
                                                              message: str) -> None:
    path = _write(tmp_path, text)
    assert _asked(path, text.split(":")[0], how) == f"{path}:{message}"
    assert _validate(path, book) == [f"{path}:{message}"]


def test_without_a_file_the_run_names_the_file_and_key() -> None:
    prompter = AnswersPrompter(AnswersFile.from_data({"gate": "maybe"}, Path("a.yaml")), False,
                               RefusingPrompter())
    with pytest.raises(UsageError) as info:
        prompter.confirm("gate", "?", dangerous=False, no_means="abort")
    assert info.value.message == "a.yaml: gate: a confirmation is answered yes or no, got 'maybe'"


def test_validate_shows_the_line_and_a_caret(tmp_path: Path, book: Runbook) -> None:
    (found,) = check_answers_file(_write(tmp_path, "gate: maybe\n"), book)
    assert found.format().splitlines()[1:] == ["    gate: maybe", "          ^"]
    assert isinstance(found, Problem) and found.key_path == "gate"


# --- the value rules themselves --------------------------------------------------------


def test_the_value_rules() -> None:
    assert confirm_value("Y") is True and confirm_value(False) is False
    with pytest.raises(ValueError, match=r"^a confirmation is answered yes or no, got 3 \(a number\)$"):
        confirm_value(3)
    assert ask_value(InputSpec(name="n", type="int"), 5) == 5
    assert manual_problem("done", None) is None
    assert manual_problem("skipped", "  ") == "skipped needs a reason: write {status: skipped, note: WHY}"
    assert resume_problem(None) is None and resume_problem("skip") is None
    assert on_failure_problem("gate", CHOICES) is None  # a step id is goto:<id>
    assert on_failure_problem("goto:sentry", CHOICES) is None
    assert on_failure_problem("xyz", CHOICES) == (
        "on_failure: 'xyz' is not one of: retry | skip | abort | <step id>")
    assert on_failure_problem("sentri", CHOICES) == (
        "on_failure: 'sentri' is not one of: retry | skip | abort | <step id> (did you mean 'sentry'?)")


# --- from the first unit tests of this module (#13.5) -------------------------------


def test_load_answers_gives_data_hash_and_positions(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "kill: yes\ncause: a leak\n")
    answers = read_answers_file(path)
    assert {k: e.value for k, e in answers.entries.items()} == {"kill": True, "cause": "a leak"}
    assert answers.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert answers.entries["cause"].pos is not None and answers.entries["cause"].pos.line == 2
    with pytest.raises(ValidationError, match="an answers file is a map"):
        read_answers_file(write(tmp_path / "b.yaml", "- kill\n"))
    with pytest.raises(UsageError, match="cannot read the answers file"):
        read_answers_file(tmp_path / "missing.yaml")


def test_choice_labels_and_words() -> None:
    choices = ["retry", "retry-failed-hosts", "skip", "abort", "goto:diagnose"]
    assert [choice_label(c) for c in choices] == [
        "retry", "retry the failed hosts only", "skip", "abort", "go to step diagnose"]
    assert choice_words(["retry", "skip"]) == "retry | skip"


# --- the file (moved from the old test_prompts.py) -----------------------------




def test_load_answers_keeps_hash_and_positions(tmp_path: Path) -> None:
    text = "kill: yes\nsentry:\n  status: done\n"
    path = _write(tmp_path, text)
    answers = read_answers_file(path)
    assert {k: e.value for k, e in answers.entries.items()} == {"kill": True,
                                                                "sentry": {"status": "done"}}
    assert answers.sha256 == hashlib.sha256(text.encode()).hexdigest()
    pos = answers.entries["sentry"].pos
    assert pos is not None and (pos.line, pos.col) == (2, 1)




def test_malformed_yaml_points_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "kill: yes\nsentry: [done\n")
    with pytest.raises(ValidationError) as info:
        read_answers_file(path)
    assert info.value.message.startswith(f"{path}:3:1: YAML syntax error")


def test_the_root_must_be_a_map(tmp_path: Path) -> None:
    path = _write(tmp_path, "- kill: yes\n")
    with pytest.raises(ValidationError) as info:
        read_answers_file(path)
    assert info.value.message.startswith(
        f"{path}:1:1: an answers file is a map of step id to answer"
    )


def test_a_missing_answers_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the answers file"):
        read_answers_file(tmp_path / "nope.yaml")
