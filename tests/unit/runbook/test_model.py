"""The loaded runbook: finding steps, labels, positions, includes walked once each,
and which message values name a template file."""

from __future__ import annotations

import pytest

from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import Runbook, is_template_name, with_includes


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


def test_includes_are_walked_once_each_in_step_order_even_in_a_cycle() -> None:
    books = {"b": B, "c": C, "a": A}
    assert [rb.id for rb in with_includes(A, books.get)] == ["a", "b", "c"]
    assert [rb.id for rb in with_includes(A, lambda rid: None)] == ["a"]


@pytest.mark.parametrize(("text", "template"), [
    ("comms/update.md.j2", True), (" notes.md ", True), ("summary.txt", True),
    ("Deploy done.md", False), ("", False), ("deploy.yaml", False), ("plain text", False),
])
def test_a_message_names_a_template_when_it_is_one_word_with_a_template_suffix(text: str,
                                                                               template: bool) -> None:
    assert is_template_name(text) is template
