"""The answers-file prompter, --yes rules, refusal messages and the chain."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from runbookctl.errors import NoAnswerError, RunbookctlError, UsageError, ValidationError
from runbookctl.prompts.answers_file import AnswersFile, read_answers_file
from runbookctl.prompts.answers_prompter import AnswersPrompter
from runbookctl.prompts.protocol import ORIGIN_ANSWERS, ORIGIN_TERMINAL, ORIGIN_YES, Answer
from runbookctl.prompts.terminal import (
    RefusingPrompter,
    choice_label,
    is_foreground_tty,
    make_prompter,
)
from runbookctl.runbook.model import InputSpec

SHA = "0123456789abcdef" * 4
ACTOR = f"answers.yaml (sha256 {SHA[:12]})"
FALLBACK = Answer("from-fallback", ORIGIN_TERMINAL, "bob")
CHOICES = ["retry", "skip", "abort", "goto:db-down", "goto:notify"]


NO = "skip this step"


class Recorder:
    """A fallback that answers everything and records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @property
    def interactive(self) -> bool:
        return True

    def confirm(
        self, key: str, question: str, *, dangerous: bool, no_means: str,
        detail: str | None = None,
    ) -> Answer:
        self.calls.append(("confirm", key))
        return FALLBACK

    def ask(self, key: str, question: str, spec: InputSpec) -> Answer:
        self.calls.append(("ask", key))
        return FALLBACK

    def manual(self, key: str, text: str) -> Answer:
        self.calls.append(("manual", key))
        return FALLBACK

    def on_failure(self, key: str, message: str, choices: Sequence[str]) -> Answer:
        self.calls.append(("on_failure", key))
        return FALLBACK

    def secret(self, key: str, prompt: str) -> str:
        self.calls.append(("secret", key))
        return "s3cret"


def answers(data: Mapping[str, object], *, yes: bool = False) -> tuple[AnswersPrompter, Recorder]:
    fallback = Recorder()
    prompter = AnswersPrompter(AnswersFile.from_data(data, Path("answers.yaml"), SHA), yes, fallback,
                               operator="alice")
    return prompter, fallback


def error_of(data: Mapping[str, object]) -> str:
    with pytest.raises(RunbookctlError) as info:
        answers(data)
    return info.value.message


# --- confirm -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("yes", True), ("No", False), ({"answer": True}, True)],
)
def test_confirm_is_answered_from_the_file(value: object, expected: bool) -> None:
    prompter, fallback = answers({"kill": value})
    assert prompter.confirm("kill", "Terminate?", dangerous=False, no_means=NO) == Answer(
        expected, ORIGIN_ANSWERS, ACTOR
    )
    assert fallback.calls == []


def test_dangerous_confirm_can_be_answered_by_the_file() -> None:
    prompter, _ = answers({"kill": True})
    assert prompter.confirm("kill", "Terminate?", dangerous=True, no_means=NO).value is True


def test_confirm_with_a_bad_value_names_the_file_and_key() -> None:
    prompter, _ = answers({"kill": "maybe"})
    with pytest.raises(UsageError) as info:
        prompter.confirm("kill", "Terminate?", dangerous=False, no_means=NO)
    assert info.value.message == "answers.yaml: kill: a confirmation is answered yes or no, got 'maybe'"


def test_unanswered_keys_go_to_the_fallback() -> None:
    prompter, fallback = answers({"other": True, "ready": {"on_failure": "abort"}})
    spec = InputSpec(name="cause")
    assert prompter.confirm("kill", "?", dangerous=False, no_means=NO) is FALLBACK
    # no answer in the map:
    assert prompter.confirm("ready", "?", dangerous=False, no_means=NO) is FALLBACK
    assert prompter.ask("cause", "?", spec) is FALLBACK
    assert prompter.manual("sentry", "check") is FALLBACK
    assert prompter.on_failure("kill", "failed", CHOICES) is FALLBACK
    assert prompter.secret("PGPASSWORD", "password") == "s3cret"
    assert fallback.calls == [
        ("confirm", "kill"),
        ("confirm", "ready"),
        ("ask", "cause"),
        ("manual", "sentry"),
        ("on_failure", "kill"),
        ("secret", "PGPASSWORD"),
    ]


# --- --yes ---------------------------------------------------------------------


def test_yes_answers_plain_confirm_gates() -> None:
    prompter, fallback = answers({}, yes=True)
    answer = prompter.confirm("restart", "Restart?", dangerous=False, no_means=NO)
    assert answer == Answer(True, ORIGIN_YES, "alice (--yes)")
    assert fallback.calls == []


def test_yes_never_answers_dangerous_ask_manual_or_on_failure() -> None:
    prompter, fallback = answers({}, yes=True)
    prompter.confirm("kill", "Terminate?", dangerous=True, no_means=NO)
    prompter.ask("cause", "Why?", InputSpec(name="cause"))
    prompter.manual("sentry", "check")
    prompter.on_failure("ready", "failed", CHOICES)
    assert fallback.calls == [
        ("confirm", "kill"),
        ("ask", "cause"),
        ("manual", "sentry"),
        ("on_failure", "ready"),
    ]


def test_a_written_no_wins_over_yes() -> None:
    prompter, _ = answers({"restart": False}, yes=True)
    assert prompter.confirm("restart", "Restart?", dangerous=False, no_means=NO) == Answer(
        False, ORIGIN_ANSWERS, ACTOR
    )


# --- ask -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (InputSpec(name="n", type="int"), "5", 5),
        (InputSpec(name="n", type="int"), 7, 7),
        (InputSpec(name="x", type="float"), "0.5", 0.5),
        (InputSpec(name="b", type="bool"), True, True),
        (InputSpec(name="c", type="choice", choices=("a", "b")), "b", "b"),
        (InputSpec(name="s", pattern=r"INC-\d+"), "INC-42", "INC-42"),
        (InputSpec(name="s"), {"answer": "connection leak"}, "connection leak"),
    ],
)
def test_ask_takes_a_checked_typed_value(spec: InputSpec, value: object, expected: object) -> None:
    prompter, _ = answers({"q": value})
    assert prompter.ask("q", "?", spec) == Answer(expected, ORIGIN_ANSWERS, ACTOR)


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (InputSpec(name="n", type="int"), "five", "'five' is not an integer"),
        (InputSpec(name="c", type="choice", choices=("a", "b")), "z", "'z' is not one of a, b"),
        (
            InputSpec(name="s", pattern=r"INC-\d+"),
            "INC-42 extra",
            "'INC-42 extra' does not match the pattern 'INC-\\\\d+'",
        ),
        (InputSpec(name="s"), "", "a value is required"),
        (InputSpec(name="s"), True, "expected text, got true (a boolean): put the value in quotes"),
    ],
)
def test_ask_with_a_bad_value_is_an_error_not_a_default(
    spec: InputSpec, value: object, message: str
) -> None:
    prompter, fallback = answers({"q": value})
    with pytest.raises(UsageError) as info:
        prompter.ask("q", "?", spec)
    assert info.value.message == f"answers.yaml: q: {message}"
    assert fallback.calls == []


# --- manual --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status", "note"),
    [
        ("done", "done", None),
        ({"status": "skipped", "note": "bucket moved"}, "skipped", "bucket moved"),
        ({"status": "failed"}, "failed", None),
        ({"answer": "failed", "note": "still 5%"}, "failed", "still 5%"),
    ],
)
def test_manual_takes_a_status_and_note(value: object, status: str, note: str | None) -> None:
    prompter, _ = answers({"sentry": value})
    assert prompter.manual("sentry", "check") == Answer(status, ORIGIN_ANSWERS, ACTOR, note)


def test_skipped_without_a_note_is_refused_when_the_file_is_read() -> None:
    assert error_of({"sentry": {"status": "skipped"}}) == (
        "answers.yaml: sentry: skipped needs a reason: write {status: skipped, note: WHY}"
    )


def test_skipped_as_a_scalar_needs_a_note_too() -> None:
    prompter, _ = answers({"sentry": "skipped"})
    with pytest.raises(UsageError) as info:
        prompter.manual("sentry", "check")
    assert info.value.message == (
        "answers.yaml: sentry: skipped needs a reason: write {status: skipped, note: WHY}")


def test_a_manual_status_must_be_known() -> None:
    prompter, _ = answers({"sentry": "finished"})
    with pytest.raises(UsageError) as info:
        prompter.manual("sentry", "check")
    assert info.value.message == (
        "answers.yaml: sentry: a manual step is answered done | skipped | failed, got 'finished'"
    )


# --- on_failure ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("abort", "abort"),
        ("skip", "skip"),
        ("db-down", "goto:db-down"),
        ("goto:notify", "goto:notify"),
    ],
)
def test_on_failure_answers(written: str, value: str) -> None:
    prompter, _ = answers({"ready": {"on_failure": written}})
    assert prompter.on_failure("ready", "failed", CHOICES) == Answer(value, ORIGIN_ANSWERS, ACTOR)


def test_on_failure_must_be_an_offered_choice() -> None:
    prompter, _ = answers({"ready": {"on_failure": "ready"}})  # not offered: the step itself
    with pytest.raises(UsageError) as info:
        prompter.on_failure("ready", "failed", CHOICES)
    assert info.value.message == (
        "answers.yaml: ready: on_failure: 'ready' is not one of: retry | skip | abort | <step id> "
        "(did you mean 'retry'?)"
    )


def test_a_written_retry_is_used_once_then_the_fallback_decides() -> None:
    prompter, fallback = answers({"ready": {"on_failure": "retry"}})
    assert prompter.on_failure("ready", "failed", CHOICES).value == "retry"
    assert prompter.on_failure("ready", "failed again", CHOICES) is FALLBACK
    assert fallback.calls == [("on_failure", "ready")]


def test_a_scalar_failure_choice_points_to_the_on_failure_shape() -> None:
    prompter, _ = answers({"ready": "abort"})
    with pytest.raises(UsageError) as info:
        prompter.on_failure("ready", "failed", CHOICES)
    assert info.value.message == (
        "answers.yaml: ready: the answer to a failed step is written {on_failure: abort}"
    )


def test_one_key_combines_a_confirm_and_a_failure_answer() -> None:
    prompter, _ = answers({"kill": {"answer": True, "on_failure": "skip"}})
    assert prompter.confirm("kill", "?", dangerous=True, no_means=NO).value is True
    assert prompter.on_failure("kill", "failed", CHOICES).value == "skip"


# --- shape, resume -------------------------------------------------------------


def test_resume_choice() -> None:
    prompter, _ = answers({"migrate": {"resume": "rerun"}, "kill": True})
    assert prompter.resume_choice("migrate") == "rerun"
    assert prompter.resume_choice("kill") is None
    assert prompter.resume_choice("absent") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"notes": "x", "status": "done"}, "unknown key 'notes' (did you mean 'note'?)"),
        ({"resume": "redo"}, "resume: 'redo' is not one of: rerun | done | failed | skip"),
        (None, "expected an answer or a map of answer, status, note, on_failure, resume, got nothing (null)"),
        (["a", "b"], "expected an answer or a map of answer, status, note, on_failure, resume, got a list"),
        ({"on_failure": None}, "on_failure: expected a single value, got nothing (null)"),
        ({"answer": {"deep": 1}}, "answer: expected a single value, got a map"),
    ],
)
def test_bad_shapes_are_refused_when_the_file_is_read(value: object, message: str) -> None:
    assert error_of({"k": value}) == f"answers.yaml: k: {message}"


def test_interactive_is_the_fallbacks() -> None:
    assert answers({})[0].interactive is True
    refusing = AnswersPrompter(AnswersFile.from_data({}, Path("a.yaml"), SHA), True, RefusingPrompter())
    assert refusing.interactive is False


# --- the file ------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path


def test_load_answers_keeps_hash_and_positions(tmp_path: Path) -> None:
    text = "kill: yes\nsentry:\n  status: done\n"
    path = write(tmp_path, text)
    answers = read_answers_file(path)
    assert {k: e.value for k, e in answers.entries.items()} == {"kill": True,
                                                                "sentry": {"status": "done"}}
    assert answers.sha256 == hashlib.sha256(text.encode()).hexdigest()
    pos = answers.entries["sentry"].pos
    assert pos is not None and (pos.line, pos.col) == (2, 1)


def test_a_bad_value_in_a_loaded_file_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "kill: yes\nsentry: {status: skipped}\n")
    with pytest.raises(ValidationError) as info:
        make_prompter(operator="a", answers_path=path, yes=False, no_input=True)
    assert info.value.message == (
        f"{path}:2:18: sentry: skipped needs a reason: write {{status: skipped, note: WHY}}")


def test_malformed_yaml_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "kill: yes\nsentry: [done\n")
    with pytest.raises(ValidationError) as info:
        read_answers_file(path)
    assert info.value.message.startswith(f"{path}:3:1: YAML syntax error")


def test_the_root_must_be_a_map(tmp_path: Path) -> None:
    path = write(tmp_path, "- kill: yes\n")
    with pytest.raises(ValidationError) as info:
        read_answers_file(path)
    assert info.value.message.startswith(
        f"{path}:1:1: an answers file is a map of step id to answer"
    )


def test_a_missing_answers_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the answers file"):
        read_answers_file(tmp_path / "nope.yaml")


# --- refusal -------------------------------------------------------------------

NO_TTY = "no terminal to ask (--no-input or stdin is not a terminal)"
HINT = "to an answers file (--answers FILE)"


def refusal(call: object) -> str:
    assert callable(call)
    with pytest.raises(NoAnswerError) as info:
        call()
    assert info.value.exit_code == 2
    return info.value.message


def test_refusing_confirm_message() -> None:
    p = RefusingPrompter()
    assert refusal(lambda: p.confirm("kill", "Terminate 3 queries?", dangerous=False,
                                     no_means=NO)) == (
        f"step 'kill' needs an answer (confirm: \"Terminate 3 queries?\"; no: {NO}): {NO_TTY}. "
        f'Add "kill: yes|no" {HINT}.'
    )
    assert refusal(lambda: p.confirm("kill", "Terminate 3 queries?", dangerous=True,
                                     no_means=NO)) == (
        f"step 'kill' needs an answer (confirm: \"Terminate 3 queries?\"; no: {NO}): {NO_TTY}. "
        f'Add "kill: yes|no" {HINT} (--yes does not answer dangerous steps).'
    )


def test_refusing_ask_message() -> None:
    p = RefusingPrompter()
    spec = InputSpec(name="root_cause")
    assert refusal(lambda: p.ask("root-cause", "What was the root cause?", spec)) == (
        f"step 'root-cause' needs an answer (ask: \"What was the root cause?\"): {NO_TTY}. "
        f'Add "root-cause: <value>" {HINT}.'
    )
    choice = InputSpec(name="env", type="choice", choices=("staging", "production"))
    assert f'Add "env: staging | production" {HINT}.' in refusal(
        lambda: p.ask("env", "Where?", choice)
    )


def test_refusing_manual_message_shows_the_first_line_only() -> None:
    p = RefusingPrompter()
    text = "Check Sentry.\nThe error rate must be under 1%."
    assert refusal(lambda: p.manual("db/sentry", text)) == (
        f"step 'db/sentry' needs an answer (manual: \"Check Sentry.…\"): {NO_TTY}. "
        f'Add "db/sentry: done | skipped | failed" {HINT}.'
    )


def test_refusing_on_failure_message() -> None:
    p = RefusingPrompter("no terminal to ask (--no-input)")
    assert refusal(lambda: p.on_failure("ready", "ready failed: exit 1", CHOICES)) == (
        "step 'ready' needs an answer (step failed: \"ready failed: exit 1\"): "
        "no terminal to ask (--no-input). "
        f'Add "ready: {{on_failure: retry | skip | abort | <step id>}}" {HINT}.'
    )


def test_refusing_secret_message() -> None:
    p = RefusingPrompter()
    assert refusal(lambda: p.secret("PGPASSWORD", "PostgreSQL password")) == (
        f'secret PGPASSWORD needs a value ("PostgreSQL password"): {NO_TTY}. '
        "Set the environment variable PGPASSWORD."
    )
    assert p.interactive is False


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
