"""One coercion for every source of a value (--var, --vars-file, answers, terminal)."""

from __future__ import annotations

import pytest

from runbookctl.errors import UsageError
from runbookctl.runbook.model import InputSpec
from runbookctl.runbook.values import coerce_value, display_value, parse_var_options


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
