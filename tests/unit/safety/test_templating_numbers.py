"""`| int` and `| float` are strict: text that is not a number is an error quoting it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbookctl.errors import TemplateError
from runbookctl.safety.templating import evaluate, render_command, render_text

NOT_NUMBERS = ["", "   ", "ERROR: connection refused", "12abc", "n/a", "1,5", "nan?", "0x"]


@pytest.mark.parametrize("flt", ["int", "float"])
@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_not_a_number_is_an_error_quoting_the_value(flt: str, text: str) -> None:
    with pytest.raises(TemplateError) as info:
        evaluate(f"v | {flt} == 0", {"v": text})
    assert f"not a number: {text.strip()!r}" in info.value.message


@pytest.mark.parametrize("text", NOT_NUMBERS[:3])
def test_the_rule_holds_in_text_and_commands_too(text: str) -> None:
    for render in (render_text, render_command):
        with pytest.raises(TemplateError, match="not a number"):
            render("echo {{ v | int }}", {"v": text})


@pytest.mark.parametrize(("value", "as_int", "as_float"), [
    ("42", 42, 42.0), (" 7\n", 7, 7.0), ("-3", -3, -3.0), ("2.5", 2, 2.5), ("1e3", 1000, 1000.0),
    (5, 5, 5.0), (2.9, 2, 2.9), ("+8", 8, 8.0), (True, 1, 1.0),
])
def test_numbers_convert_as_before(value: object, as_int: int, as_float: float) -> None:
    assert evaluate("v | int", {"v": value}) == as_int
    assert evaluate("v | float", {"v": value}) == as_float


def test_an_explicit_default_is_the_authors_choice() -> None:
    assert evaluate("v | int(-1)", {"v": "oops"}) == -1
    assert evaluate("v | float(default=0.5)", {"v": ""}) == 0.5
    assert evaluate("v | int(base=16)", {"v": "ff"}) == 255


def test_none_is_not_a_number() -> None:
    with pytest.raises(TemplateError, match="not a number: None"):
        evaluate("v | int", {"v": None})


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_any_integer_text_round_trips(n: int) -> None:
    assert evaluate("v | int", {"v": f" {n} "}) == n
    assert evaluate("v | float", {"v": str(n)}) == float(n)


@given(st.text().filter(lambda s: not _numeric(s)))
def test_any_other_text_is_refused(text: str) -> None:
    with pytest.raises(TemplateError, match="not a number"):
        evaluate("v | int", {"v": text})


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
