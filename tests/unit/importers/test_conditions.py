"""Conditions of a playbook (issue 16.4): which sentences become a confirmation, asking what."""

from __future__ import annotations

import pytest

from runbookctl.importers.conditions import conditional, parse_condition


@pytest.mark.parametrize(("text", "question", "rest", "introduces"), [
    ("If the pod is Pending, check its events.", "The pod is Pending?", "Check its events.", False),
    ("If the alert persists then escalate to the DBA team", "The alert persists?",
     "Escalate to the DBA team", False),
    ("If it is a PVC, you should resize it.", "It is a PVC?", "You should resize it.", False),
    ("If the disk is still full:", "The disk is still full?", "", True),
    ("In case the leader is gone, run the following:", "The leader is gone?", "run the following", True),
])
def test_a_condition_opening_an_instruction_becomes_a_question(text: str, question: str, rest: str,
                                                               introduces: bool) -> None:
    found = parse_condition(text)
    assert found is not None
    assert (found.question, found.rest, found.introduces) == (question, rest, introduces)


@pytest.mark.parametrize("text", [
    "In case the DB size exceeds the quota, no writes can be performed anymore.",  # explains
    "Restart the pod if it hangs.",  # a condition inside the sentence
    "Check if the pod is ready.",
    "The alert fires if the disk is full.",
])
def test_an_explanation_or_an_inner_condition_is_no_gate(text: str) -> None:
    assert parse_condition(text) is None


def test_any_condition_is_noted_but_not_a_check_if_question() -> None:
    assert conditional("Restart the pod if it hangs.")
    assert conditional("Roll back (only if a deploy caused it)")
    assert not conditional("Check if the pod is ready.")
