"""prompts/answers_prompter.py: the answers file and --yes as a Prompter — what each
entry answers, what falls through to the terminal, and how a bad entry is refused
naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.prompts.answers_file import AnswersFile
from runbookctl.prompts.answers_prompter import AnswersPrompter
from runbookctl.runbook.model import InputSpec
from tests.unit.engine.fakes import FakePrompter

CHOICES = ["retry", "retry-failed-hosts", "skip", "abort", "goto:diagnose"]


def answers(data: dict[str, object], yes: bool = False,
            fallback: FakePrompter | None = None) -> AnswersPrompter:
    return AnswersPrompter(AnswersFile.from_data(data, Path("answers.yaml"), "ab" * 32), yes,
                           fallback or FakePrompter(), operator="alice")


def test_confirm_answers_come_from_the_file_then_yes_then_the_terminal() -> None:
    terminal = FakePrompter([False])
    prompter = answers({"kill": "yes", "drop": {"answer": False}}, yes=True, fallback=terminal)
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
        answers({"kill": "maybe"}).confirm("kill", "Kill?", dangerous=False, no_means="skip")
    assert err.value.message == "answers.yaml: kill: a confirmation is answered yes or no, got 'maybe'"


def test_ask_answers_are_typed_and_text_must_be_text() -> None:
    prompter = answers({"count": 3, "cause": "a leak", "flag": True})
    assert prompter.ask("count", "How many?", InputSpec("count", type="int")).value == 3
    assert prompter.ask("cause", "Why?", InputSpec("cause")).value == "a leak"
    with pytest.raises(UsageError,
                       match=r"flag: expected text, got true \(a boolean\): put the value in quotes"):
        prompter.ask("flag", "Which?", InputSpec("flag"))


def test_manual_status_and_note() -> None:
    prompter = answers({"check": "done", "look": {"status": "skipped", "note": "n/a today"}})
    assert prompter.manual("check", "Check").value == "done"
    look = prompter.manual("look", "Look")
    assert (look.value, look.note) == ("skipped", "n/a today")


def test_a_written_retry_is_used_once_then_the_terminal_decides() -> None:
    terminal = FakePrompter(["abort"])
    prompter = answers({"deploy": {"on_failure": "retry"}, "other": {"on_failure": "diagnose"}},
                       fallback=terminal)
    assert prompter.on_failure("deploy", "failed", CHOICES).value == "retry"
    assert prompter.on_failure("deploy", "failed", CHOICES).value == "abort"
    assert prompter.on_failure("other", "failed", CHOICES).value == "goto:diagnose"


def test_a_failure_answer_written_as_a_plain_value_gets_a_hint() -> None:
    with pytest.raises(UsageError) as err:
        answers({"deploy": "skip"}).on_failure("deploy", "failed", CHOICES)
    assert "the answer to a failed step is written {on_failure: skip}" in err.value.message
    with pytest.raises(UsageError) as err:
        answers({"deploy": {"on_failure": "later"}}).on_failure("deploy", "failed", CHOICES)
    assert ("on_failure: 'later' is not one of: retry | retry-failed-hosts | skip | abort | <step id>"
            in err.value.message)


@pytest.mark.parametrize(("data", "message"), [
    ({"a": None}, "a: expected an answer or a map of answer, status, note, on_failure, resume, "
                  "got nothing (null)"),
    ({"a": [1]}, "a: expected an answer or a map of answer, status, note, on_failure, resume, "
                 "got a list"),
    ({"a": {}}, "a: empty map"),
    ({"a": {"anwser": 1}}, "a: unknown key 'anwser' (did you mean 'answer'?)"),
    ({"a": {"status": "skipped"}}, "a: skipped needs a reason: write {status: skipped, note: WHY}"),
    ({"a": {"status": "half"}}, "a: a manual step is answered done | skipped | failed, got 'half'"),
    ({"a": {"resume": "later"}}, "a: resume: 'later' is not one of: rerun | done | failed | skip"),
    ({"a": {"note": {"x": 1}}}, "a: note: expected a single value, got a map"),
])
def test_bad_entries_are_refused_when_the_file_is_read(data: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as err:
        answers(data)
    assert message in err.value.message


def test_secrets_and_interactivity_belong_to_the_fallback() -> None:
    prompter = answers({}, fallback=FakePrompter(interactive=False, secret="typed"))
    assert prompter.interactive is False
    assert prompter.secret("TOKEN", "Token") == "typed"
    assert answers({"s": {"resume": "rerun"}}).resume_choice("s") == "rerun"
    assert answers({}).resume_choice("s") is None
