"""prompts/answers_prompter.py: answers from the answers file and --yes, checked against
the step that asks (the file itself is read by prompts/answers_file.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from runbookctl.errors import RunbookctlError, UsageError, ValidationError
from runbookctl.prompts.answers_file import AnswersFile
from runbookctl.prompts.answers_prompter import AnswersPrompter
from runbookctl.prompts.protocol import ORIGIN_ANSWERS, ORIGIN_TERMINAL, ORIGIN_YES, Answer
from runbookctl.prompts.terminal import RefusingPrompter, make_prompter
from runbookctl.runbook.model import InputSpec
from tests.unit.engine.fakes import FakePrompter

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
        detail: str | None = None, default: bool = False,
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
        (None, "expected an answer or a map of answer, status, note, on_failure, resume, session, "
               "got nothing (null)"),
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


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path

def test_a_bad_value_in_a_loaded_file_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "kill: yes\nsentry: {status: skipped}\n")
    with pytest.raises(ValidationError) as info:
        make_prompter(operator="a", answers_path=path, yes=False, no_input=True)
    assert info.value.message == (
        f"{path}:2:18: sentry: skipped needs a reason: write {{status: skipped, note: WHY}}")


# --- with the engine's fake prompter as the terminal (#13.5) ---------------------------

FAILED = ["retry", "retry-failed-hosts", "skip", "abort", "goto:diagnose"]


def prompter_of(data: dict[str, object], yes: bool = False,
            fallback: FakePrompter | None = None) -> AnswersPrompter:
    return AnswersPrompter(AnswersFile.from_data(data, Path("answers.yaml"), "ab" * 32), yes,
                           fallback or FakePrompter(), operator="alice")


def test_confirm_answers_come_from_the_file_then_yes_then_the_terminal() -> None:
    terminal = FakePrompter([False])
    prompter = prompter_of({"kill": "yes", "drop": {"answer": False}}, yes=True, fallback=terminal)
    kill = prompter.confirm("kill", "Kill?", dangerous=True, no_means="abort the run")
    assert (kill.value, kill.origin, kill.actor) == (True, "answers-file",
                                                     "answers.yaml (sha256 abababababab)")
    assert prompter.confirm("drop", "Drop?", dangerous=True, no_means="skip").value is False
    easy = prompter.confirm("other", "Go?", dangerous=False, no_means="skip")
    assert (easy.value, easy.origin, easy.actor) == (True, "--yes", "alice (--yes)")
    # --yes never answers a dangerous gate: the terminal is asked
    assert prompter.confirm("wipe", "Wipe?", dangerous=True, no_means="skip").value is False
    assert [a.key for a in terminal.asked] == ["wipe"]


def test_a_confirm_answer_that_is_not_yes_or_no_is_refused() -> None:
    with pytest.raises(UsageError) as err:
        prompter_of({"kill": "maybe"}).confirm("kill", "Kill?", dangerous=False, no_means="skip")
    assert err.value.message == "answers.yaml: kill: a confirmation is answered yes or no, got 'maybe'"


def test_ask_answers_are_typed_and_text_must_be_text() -> None:
    prompter = prompter_of({"count": 3, "cause": "a leak", "flag": True})
    assert prompter.ask("count", "How many?", InputSpec("count", type="int")).value == 3
    assert prompter.ask("cause", "Why?", InputSpec("cause")).value == "a leak"
    with pytest.raises(UsageError,
                       match=r"flag: expected text, got true \(a boolean\): put the value in quotes"):
        prompter.ask("flag", "Which?", InputSpec("flag"))


def test_manual_status_and_note() -> None:
    prompter = prompter_of({"check": "done", "look": {"status": "skipped", "note": "n/a today"}})
    assert prompter.manual("check", "Check").value == "done"
    look = prompter.manual("look", "Look")
    assert (look.value, look.note) == ("skipped", "n/a today")


def test_a_written_retry_is_used_once_then_the_terminal_decides() -> None:
    terminal = FakePrompter(["abort"])
    prompter = prompter_of({"deploy": {"on_failure": "retry"}, "other": {"on_failure": "diagnose"}},
                       fallback=terminal)
    assert prompter.on_failure("deploy", "failed", FAILED).value == "retry"
    assert prompter.on_failure("deploy", "failed", FAILED).value == "abort"
    assert prompter.on_failure("other", "failed", FAILED).value == "goto:diagnose"


def test_a_failure_answer_written_as_a_plain_value_gets_a_hint() -> None:
    with pytest.raises(UsageError) as err:
        prompter_of({"deploy": "skip"}).on_failure("deploy", "failed", FAILED)
    assert "the answer to a failed step is written {on_failure: skip}" in err.value.message
    with pytest.raises(UsageError) as err:
        prompter_of({"deploy": {"on_failure": "later"}}).on_failure("deploy", "failed", FAILED)
    assert ("on_failure: 'later' is not one of: retry | retry-failed-hosts | skip | abort | <step id>"
            in err.value.message)


@pytest.mark.parametrize(("data", "message"), [
    ({"a": None}, "a: expected an answer or a map of answer, status, note, on_failure, resume, session, "
                  "got nothing (null)"),
    ({"a": {}}, "a: empty map"),
    ({"a": {"anwser": 1}}, "a: unknown key 'anwser' (did you mean 'answer'?)"),
    ({"a": {"status": "skipped"}}, "a: skipped needs a reason: write {status: skipped, note: WHY}"),
    ({"a": {"status": "half"}}, "a: a manual step is answered done | skipped | failed, got 'half'"),
    ({"a": {"resume": "later"}}, "a: resume: 'later' is not one of: rerun | done | failed | skip"),
    ({"a": {"note": {"x": 1}}}, "a: note: expected a single value, got a map"),
])
def test_bad_entries_are_refused_when_the_file_is_read(data: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as err:
        prompter_of(data)
    assert message in err.value.message


def test_secrets_and_interactivity_belong_to_the_fallback() -> None:
    prompter = prompter_of({}, fallback=FakePrompter(interactive=False, secret="typed"))
    assert prompter.interactive is False
    assert prompter.secret("TOKEN", "Token") == "typed"
    assert prompter_of({"s": {"resume": "rerun"}}).resume_choice("s") == "rerun"
    assert prompter_of({}).resume_choice("s") is None
