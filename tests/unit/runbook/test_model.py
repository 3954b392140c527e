"""The loaded runbook: finding steps, labels, positions. (Include walking and template
names moved to test_includes.py and test_names.py with their code, #13.4.)"""

from __future__ import annotations

import pytest

from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import Runbook


def book(rid: str, steps: str) -> Runbook:
    return load_runbook_text(f"id: {rid}\ntitle: {rid.upper()}\nsteps:\n{steps}", f"{rid}.yaml")


A = book("a", "  - {id: one, run: echo 1, title: First}\n  - {id: in-b, include: b}\n"
              "  - {id: in-c, include: c}\n  - {id: again, include: b}\n")
B = book("b", "  - {id: two, confirm: Sure?}\n  - {id: in-c, include: c}\n")
C = book("c", "  - {id: three, manual: Look}\n  - {id: loop, include: a}\n")


def test_steps_are_found_by_id() -> None:
    assert A.step_ids == ("one", "in-b", "in-c", "again")
    assert A.index("in-c") == 2 and A.step("one").label == "First" and A.step("in-b").label == "in-b"
    with pytest.raises(KeyError):
        A.index("nope")
    with pytest.raises(KeyError):
        A.step("nope")


def test_step_kinds_and_positions() -> None:
    one, in_b = A.steps[:2]
    assert one.is_command and not in_b.is_command and not B.steps[0].is_command
    assert one.at("run").line == 4 and one.at("nonexistent") == one.pos
