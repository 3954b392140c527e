"""runbook/values.py: one coercion for every source of a value (--var, --vars-file,
answers, terminal), and the one yes/no vocabulary.

Before #13.4 three copies disagreed: `--var` and a vars file took yes/y/true/on/1 and
no/n/false/off/0, an answers file (and validate's check of it) only yes/no/true/false,
and the typed no at a dangerous gate only no/n. Every one now reads values.YES_WORDS /
NO_WORDS, so `kill: y` in an answers file means what `--var flag=y` means.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runbookctl.check.answers import check_answers_file
from runbookctl.errors import UsageError
from runbookctl.prompts.answers_file import AnswersFile
from runbookctl.prompts.answers_prompter import AnswersPrompter
from runbookctl.prompts.terminal import RefusingPrompter, TerminalPrompter
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import InputSpec
from runbookctl.runbook.values import (
    NO_WORDS,
    YES_WORDS,
    coerce_value,
    display_value,
    parse_var_options,
    yes_no_word,
)

FLAG = InputSpec(name="flag", type="bool")
GATE = "id: rb\ntitle: T\nsteps:\n  - id: go\n    confirm: Go?\n"


@pytest.mark.parametrize("raw", ["yes", "Y", " true ", "ON", "1", 1, True])
def test_a_yes_word_is_yes(raw: object) -> None:
    assert yes_no_word(raw) is True


@pytest.mark.parametrize("raw", ["no", "N", "false ", "Off", "0", 0, False])
def test_a_no_word_is_no(raw: object) -> None:
    assert yes_no_word(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "", "yess", "2", 2, 1.0, None, ["yes"], {"a": 1}])
def test_anything_else_is_neither(raw: object) -> None:
    assert yes_no_word(raw) is None


def test_the_two_vocabularies_do_not_overlap() -> None:
    assert not YES_WORDS & NO_WORDS
    assert {"yes", "y", "true", "on", "1"} == YES_WORDS
    assert {"no", "n", "false", "off", "0"} == NO_WORDS


def test_a_bool_input_takes_the_words_and_names_the_input_otherwise() -> None:
    assert coerce_value(FLAG, "y") is True
    assert coerce_value(FLAG, "OFF") is False
    with pytest.raises(ValueError, match=r"^flag: 'maybe' is not a yes/no value$"):
        coerce_value(FLAG, "maybe")


@pytest.mark.parametrize(("word", "meaning"), [("y", True), ("n", False), ("on", True),
                                               ("0", False), ("1", True)])
def test_the_answers_file_and_validate_agree_with_var(tmp_path: Path, word: str,
                                                      meaning: bool) -> None:
    """Only yes/no/true/false were an answer here before: `go: y` stopped the run."""
    prompter = AnswersPrompter(AnswersFile.from_data({"go": word}), False, RefusingPrompter())
    assert prompter.confirm("go", "Go?", dangerous=True, no_means="abort").value is meaning
    path = tmp_path / "a.yaml"
    path.write_text(f'go: "{word}"\n')
    assert check_answers_file(path, load_runbook_text(GATE, "rb.yaml")) == []


def test_the_answers_file_and_validate_refuse_the_same_word(tmp_path: Path) -> None:
    prompter = AnswersPrompter(AnswersFile.from_data({"go": "yep"}), False, RefusingPrompter())
    with pytest.raises(UsageError, match="go: a confirmation is answered yes or no, got 'yep'"):
        prompter.confirm("go", "Go?", dangerous=False, no_means="abort")
    path = tmp_path / "a.yaml"
    path.write_text("go: yep\n")
    (found,) = check_answers_file(path, load_runbook_text(GATE, "rb.yaml"))
    assert "yes or no" in found.message


class _Typing(TerminalPrompter):
    """A terminal whose person types `typed`, one line per prompt."""

    def __init__(self, *typed: str) -> None:
        super().__init__("alice")
        self.typed = list(typed)
        self.said: list[str] = []

    def _prompt(self, kind: str, message: str, **kwargs: Any) -> Any:
        return self.typed.pop(0)

    def _say(self, text: str) -> None:
        self.said.append(text)


@pytest.mark.parametrize("no", ["no", "N", "false", "off", "0"])
def test_a_typed_no_at_a_dangerous_gate_is_any_no_word(no: str) -> None:
    person = _Typing(no)
    assert person.confirm("kill", "Kill?", dangerous=True, no_means="abort").value is False


def test_a_yes_word_at_a_dangerous_gate_is_a_slip_not_a_yes() -> None:
    """Only the step id runs a dangerous step: `yes` is asked again."""
    person = _Typing("yes", "kill")
    assert person.confirm("kill", "Kill?", dangerous=True, no_means="abort").value is True
    assert any("'yes' is not 'kill'" in line for line in person.said)


# --- coercion ------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "raw", "value"), [
    (InputSpec("n", type="int"), " 42 ", 42),
    (InputSpec("r", type="float"), "0.5", 0.5),
    (InputSpec("b", type="bool"), "Yes", True),
    (InputSpec("b", type="bool"), "off", False),
    (InputSpec("b", type="bool"), False, False),
    (InputSpec("s"), 8080, "8080"),
    (InputSpec("m", type="choice", choices=("fast", "safe")), "safe", "safe"),
    (InputSpec("t", pattern="INC-[0-9]+"), "INC-12", "INC-12"),
    (InputSpec("o", required=False), "", ""),
    (InputSpec("o", type="int", required=False), None, None),
    (InputSpec("b", type="bool"), None, None),
])
def test_values_are_typed(spec: InputSpec, raw: object, value: object) -> None:
    assert coerce_value(spec, raw) == value


@pytest.mark.parametrize(("spec", "raw", "message"), [
    (InputSpec("n", type="int"), "ten", "n: 'ten' is not an integer"),
    (InputSpec("n", type="int"), True, "n: True is not an integer"),
    (InputSpec("r", type="float"), "x", "r: 'x' is not a number"),
    (InputSpec("b", type="bool"), "maybe", "b: 'maybe' is not a yes/no value"),
    (InputSpec("m", choices=("fast", "safe")), "slow", "m: 'slow' is not one of fast, safe"),
    (InputSpec("t", pattern="INC-[0-9]+"), "INC-1x", "t: 'INC-1x' does not match the pattern 'INC-[0-9]+'"),
    (InputSpec("s"), "", "s: a value is required"),
])
def test_values_that_do_not_fit_say_why(spec: InputSpec, raw: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        coerce_value(spec, raw)
    assert str(err.value) == message


def test_var_options() -> None:
    assert parse_var_options(["a=1", " b =x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    for bad in ("novalue", "=1", "1a=2", "a-b=1"):
        with pytest.raises(UsageError, match="expected NAME=VALUE"):
            parse_var_options([bad])


def test_secret_values_are_never_displayed() -> None:
    assert display_value(InputSpec("pw", secret=True), "hunter2") == "***"
    assert display_value(InputSpec("n"), None) == ""
    assert display_value(None, 3) == "3"


# --- action items ----------------------------------------------------------------------

def _items_spec() -> InputSpec:
    return InputSpec(name="action_items", type="action_items")


def test_action_items_come_from_the_text_form_or_a_list_of_maps() -> None:
    text = "ana - add lock_timeout - 2026-12-08; bo - fix the pool; just do it\n- none"
    assert coerce_value(_items_spec(), text) == [
        {"owner": "ana", "action": "add lock_timeout", "due": "2026-12-08"},
        {"owner": "bo", "action": "fix the pool"}, {"action": "just do it"}]
    assert coerce_value(_items_spec(), "none") == [] == coerce_value(_items_spec(), "")
    listed = [{"action": "fix pool", "owner": "bo", "due": 20261209, "ticket": "OPS-1"}]
    assert coerce_value(_items_spec(), listed) == [
        {"action": "fix pool", "owner": "bo", "due": "20261209", "ticket": "OPS-1"}]
    assert coerce_value(_items_spec(), []) == []


@pytest.mark.parametrize(("raw", "message"), [
    ([{"owner": "bo"}], "action_items: item 1: `action` is required (what is to be done)"),
    ([{"action": "x"}, "y"], "action_items: item 2: expected a map of action, owner, due, ticket, got str"),
    ([{"action": "x", "owners": "bo"}],
     "action_items: item 1: unknown key 'owners' (the keys: action, owner, due, ticket)"),
])
def test_a_wrong_action_item_says_which_and_why(raw: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        coerce_value(_items_spec(), raw)
    assert str(caught.value) == message


def test_action_items_show_as_one_line() -> None:
    items = [{"owner": "ana", "action": "add lock_timeout", "due": "2026-12-08", "ticket": "OPS-1"},
             {"action": "fix pool"}]
    assert display_value(_items_spec(), items) == (
        "ana: add lock_timeout (due 2026-12-08, OPS-1); fix pool")
    assert display_value(_items_spec(), []) == "none"
