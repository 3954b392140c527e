"""The review's questions as structured asks (#14.1): `report:` names the front-page
field an answer fills, and an ask of `type: action_items` collects items with an
owner, a due date and a ticket — at a real terminal and from an answers file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import expect_completed, only_report, prompt_re, run_cli, spawn_cli, write

pytestmark = pytest.mark.integration

ENTER = "\r"

RUNBOOK = """\
    id: review
    title: Review
    steps:
      - id: why
        title: Why it broke
        ask: What was the cause?
        report: root-cause
      - id: todo
        title: What we will do
        ask: What will we do about it?
        type: action_items
        report: action-items
      - id: summary
        message: >-
          {% for i in todo %}- [ ] {{ i.owner }}: {{ i.action
          }}{% if i.get('due') %} by {{ i.due }}{% endif %}; {% endfor %}
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "runbooks").mkdir()
    write(tmp_path / "runbooks" / "review.yaml", RUNBOOK)
    return tmp_path


def _run(work: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli(["--runbooks", str(work / "runbooks"), "run", "review", "--no-input",
                      "--report-dir", str(work / "reports"), *args], work, work / "state")
    return result.code, result.stdout, result.stderr


def _front(report: str) -> str:
    return report.split("## Timeline")[0]


def test_action_items_typed_at_a_terminal_one_at_a_time(work: Path) -> None:
    child = spawn_cli(["--runbooks", str(work / "runbooks"), "run", "review",
                       "--report-dir", str(work / "reports")], work, work / "state")
    child.expect(prompt_re("What was the cause?"))
    child.send("a lock held by a migration" + ENTER)
    for n, (action, owner, due, ticket) in enumerate(
            [("add lock_timeout", "ana", "2026-12-08", "https://tracker.example/OPS-7"),
             ("alert on lock waits", "bo", "", "")], 1):
        child.expect(prompt_re(f"Action item {n} — what is to be done?"))
        child.send(action + ENTER)
        child.expect(prompt_re(f"Action item {n} — owner?"))
        child.send(ENTER)  # an item needs an owner: the prompt says so and stays
        child.expect_exact("an action item needs an owner")
        child.send(owner + ENTER)
        child.expect(prompt_re(f"Action item {n} — due date"))
        child.send(due + ENTER)
        child.expect(prompt_re(f"Action item {n} — ticket"))
        child.send(ticket + ENTER)
    child.expect(prompt_re("Action item 3 — what is to be done?"))
    child.send(ENTER)  # an empty action ends the list
    child.expect_exact("- [ ] ana: add lock_timeout by 2026-12-08")  # the template reads the items
    expect_completed(child)
    front = _front(only_report(work / "reports"))
    assert "| **Root cause** | a lock held by a migration |" in front
    assert "| ana | add lock_timeout | 2026-12-08 | <https://tracker.example/OPS-7> |" in front
    assert "| bo | alert on lock waits | — | — |" in front


def test_action_items_from_an_answers_file_list_or_text(work: Path) -> None:
    answers = write(work / "answers.yaml", """\
        why: a lock held by a migration
        todo:
          - {action: add lock_timeout, owner: ana, due: 2026-12-08, ticket: OPS-7}
          - {action: alert on lock waits, owner: bo}
    """)
    code, out, err = _run(work, "--answers", str(answers))
    assert code == 0, out + err
    report = only_report(work / "reports")
    assert "| ana | add lock_timeout | 2026-12-08 | OPS-7 |" in _front(report)
    # the timeline says what was answered, on one line
    assert ("What will we do about it? → ana: add lock_timeout (due 2026-12-08, OPS-7); "
            "bo: alert on lock waits (answers-file)") in report


def test_the_text_form_and_none_are_answers_too(work: Path) -> None:
    answers = write(work / "answers.yaml", """\
        why: a lock
        todo: none
    """)
    code, out, err = _run(work, "--answers", str(answers))
    assert code == 0, out + err
    assert "| — | no action items recorded | — | — |" in _front(only_report(work / "reports"))


def test_a_wrong_item_is_refused_with_its_place_and_no_run(work: Path) -> None:
    answers = write(work / "answers.yaml", """\
        why: a lock
        todo:
          - {owner: ana}
    """)
    code, out, err = _run(work, "--answers", str(answers))
    assert code == 2, out + err  # stopped where the step asks: interrupted, resumable
    assert "answers.yaml:3:3: todo: item 1: `action` is required (what is to be done)" in out + err
    assert "Traceback" not in out + err
    result = run_cli(["--runbooks", str(work / "runbooks"), "validate", "review",
                      "--answers", str(answers)], work, work / "state")
    assert result.code != 0
    assert "item 1: `action` is required" in result.stdout + result.stderr


def test_report_names_a_field_a_runbook_can_fill(work: Path) -> None:
    write(work / "runbooks" / "bad.yaml", """\
        id: bad
        title: Bad
        steps:
          - id: why
            ask: Why?
            report: rootcause
    """)
    result = run_cli(["--runbooks", str(work / "runbooks"), "validate", "bad"], work, work / "state")
    assert result.code == 2, result
    assert "bad.yaml:6:13: report: expected one of impact, trigger, root-cause" in result.stderr
    assert "root-cause" in result.stdout + result.stderr  # what it may be
