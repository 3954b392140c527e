"""check/answers.py: an answers file checked against a runbook (validate --answers):
which keys are steps, which fields apply to each, and each value as the step will ask
it. The grammar and its messages are prompts/answers_file.py's (test_answers_file.py
asks the run and validate for the same message)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.check.answers import check_answers_file
from runbookctl.runbook.loader import load_runbook
from runbookctl.runbook.model import Runbook
from tests.helpers import FIXTURES
from tests.unit.check.test_validate import good_runbooks


@pytest.fixture
def everything() -> Runbook:
    return load_runbook(FIXTURES / "good" / "everything.yaml")


def answers(tmp_path: Path, rb: Runbook, text: str, resolve: bool = True) -> list[str]:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    books = good_runbooks()
    found = check_answers_file(path, rb, resolve_runbook=books.get if resolve else None)
    return [p.format().splitlines()[0].replace(f"{path}:", "") for p in found]


def test_good_answers_file(tmp_path: Path, everything: Runbook) -> None:
    text = ("go-on: yes\n"
            "choose: report\n"
            "restart: {answer: no, on_failure: retry}\n"
            "remote-check: {answer: true, on_failure: retry-failed-hosts}\n"
            "verify: {status: skipped, note: dashboard down}\n"
            "root-cause: a leak in the pool\n"
            "health: {resume: rerun}\n"
            "common-checks/disk-ok: no\n")
    assert answers(tmp_path, everything, text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("go-onn: yes\n", "1:1: unknown step 'go-onn' in the answers file (did you mean 'go-on'?) (go-onn)"),
    ("go-on: maybe\n", "1:8: go-on: a confirmation is answered yes or no, got 'maybe' (go-on)"),
    ("choose: later\n", "1:9: choose: 'later' is not one of restart, report (choose)"),
    ("choose: yes\n", "1:9: choose: expected text, got true (a boolean): put the value in quotes"),
    ("root-cause: [a, b]\n", "1:13: root-cause: expected a single value, got a list (a list answers "
                            "only an ask of type action_items)"),
    ("root-cause: ab\n", "does not match the pattern"),
    ("verify: finished\n", "1:9: verify: a manual step is answered done | skipped | failed"),
    ("verify: skipped\n", "verify: skipped needs a reason: write {status: skipped, note: WHY}"),
    ("verify: {status: done, notes: x}\n", "1:24: verify: unknown key 'notes' (did you mean 'note'?)"),
    ("health: yes\n", "health: a run step has no question to answer; write a map of on_failure, resume"),
    ("health: {status: done}\n", "`status` does not apply to a run step (it takes: on_failure, resume)"),
    ("restart: {on_failure: retyr}\n", "on_failure: 'retyr' is not one of: retry | skip | abort | "
                                      "<step id> (did you mean 'retry'?)"),
    ("restart: {on_failure: retry-failed-hosts}\n", "is not one of"),
    ("health: {resume: again}\n", "resume: 'again' is not one of: rerun | done | failed | skip"),
    # a list is an answer's shape (action items), but a run step asks no question
    ("health: [retry]\n", "1:9: health: a run step has no question to answer; write a map of "
                          "on_failure, resume (health)"),
    ("common-checks/nope: yes\n", "unknown step 'common-checks/nope'"),
    ("input:service: web\n", "inputs are given with --var or --vars-file"),
    ("- go-on\n", "1:1: an answers file is a map of step id to answer"),
    ("go-on: [yes\n", "YAML syntax error"),
    ("go-on: &x [*x]\n", "refers to itself through an alias"),
])
def test_answers_file_problems(tmp_path: Path, everything: Runbook, text: str, expected: str) -> None:
    found = answers(tmp_path, everything, text)
    assert len(found) == 1, found
    assert expected in found[0]


def test_answer_never_asked_is_a_warning(tmp_path: Path, everything: Runbook) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("wait-ready: {on_failure: abort}\n", encoding="utf-8")
    found = check_answers_file(path, everything)
    assert [(p.severity, p.message) for p in found] == [
        ("warning", "wait-ready: on_failure is never asked: the step says `on_failure: continue`")]


def test_included_keys_unchecked_without_a_resolver(tmp_path: Path, everything: Runbook) -> None:
    assert answers(tmp_path, everything, "common-checks/anything: yes\n", resolve=False) == []
