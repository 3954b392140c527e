"""Step and runbook ids: which are good, and why a bad one is refused (#12.9)."""

from __future__ import annotations

import pytest

from runbookctl.runbook.schema import MAX_ID_LENGTH, id_problem


@pytest.mark.parametrize("value", ["a", "db-overload", "x_1", "9", "a" * MAX_ID_LENGTH])
def test_good_ids(value: str) -> None:
    assert id_problem(value) is None


@pytest.mark.parametrize(("value", "why"), [
    ("a" * 65, "is 65 characters long; an id has at most 64"),
    ("a b", "use lowercase letters, digits, - and _ (e.g. 'a-b')"),
    ("$(id)", "(e.g. 'id')"),
    ("rtl\u202eexe", "(e.g. 'rtl-exe')"),
    ("new\nline", "(e.g. 'new-line')"),
    ("Upper", "(e.g. 'upper')"),
    ("-x", "use lowercase"),
    ("", "use lowercase"),
])
def test_bad_ids_say_why(value: str, why: str) -> None:
    problem = id_problem(value)
    assert problem is not None and why in problem
