"""run --from: which names the skipped steps would have set and later steps read
(carried.carried_names), over a corpus of runbook shapes; and how each is given."""

from __future__ import annotations

import pytest

from runbookctl.engine.carried import carried_names, resolve_carried
from runbookctl.errors import NoAnswerError, UsageError
from runbookctl.prompts.answers_file import AnswersFile
from runbookctl.prompts.answers_prompter import AnswersPrompter
from runbookctl.prompts.terminal import RefusingPrompter
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import Runbook

CHILD = """
id: child
title: Child
steps:
  - {id: grab, run: echo 5, capture: grabbed}
  - {id: use-parent, run: "echo {{ found }}"}
"""
TEMPLATES = {"t.md.j2": "Killed {{ found }} at {{ run.id }}"}
NEST = "id: nest\ntitle: Nest\nsteps:\n  - {id: inner, include: child}\n"
# main includes itself: include cycles are refused by validate, and never loop here
CYCLE = "  - {id: me, include: main}\n  - {id: grab2, run: echo, capture: grabbed}\n"


def book(steps: str, extra: str = "") -> Runbook:
    return load_runbook_text(f"id: main\ntitle: Main\n{extra}steps:\n{steps}", "main.yaml")


def names(rb: Runbook, start: str | None) -> list[tuple[str, str, str]]:
    library = {"child": load_runbook_text(CHILD, "child.yaml"),
               "nest": load_runbook_text(NEST, "nest.yaml"),
               "main": load_runbook_text(f"id: main\ntitle: Main\nsteps:\n{CYCLE}", "main.yaml")}
    found = carried_names(rb, start, library.get, TEMPLATES.get)
    return [(c.name, c.key, c.field) for c in found]


FIND = "  - {id: find, run: echo 1, capture: found}\n"
# check fails into fix; verify goes back to report, which reads what check captured
BRANCH = ("  - {id: check, run: echo up, capture: state, on_failure: fix}\n"
          "  - {id: report, run: 'echo {{ state }}', next: end}\n"
          "  - {id: fix, run: echo fixed, capture: fixed}\n"
          "  - {id: verify, run: 'echo {{ fixed }}', next: report}\n")
ASK = "  - {id: how-many, ask: How many?, var: count, type: int}\n"

CASES = {
    "capture read by a command": (FIND + "  - {id: kill, run: 'kill {{ found }}'}\n", "kill",
                                  [("found", "find", "capture")]),
    "ask var read by a command": (ASK + "  - {id: kill, run: 'echo {{ count }}'}\n", "kill",
                                  [("count", "how-many", "answer")]),
    "set but never read later": (FIND + "  - {id: kill, run: echo hi}\n", "kill", []),
    "read in when": (FIND + "  - {id: kill, run: echo, when: found != ''}\n", "kill",
                     [("found", "find", "capture")]),
    "read in until and env": (FIND + "  - id: kill\n    run: echo $X\n    env: {X: '{{ found }}'}\n"
                              "    until: result.stdout == found\n    every: 1s\n    within: 5s\n",
                              "kill", [("found", "find", "capture")]),
    "read in a message template": (FIND + "  - {id: kill, message: t.md.j2}\n", "kill",
                                   [("found", "find", "capture")]),
    "read in a next condition": (FIND + "  - id: kill\n    run: echo\n    next:\n"
                                 "      - {if: found == '1', goto: end}\n  - {id: last, run: echo}\n",
                                 "kill", [("found", "find", "capture")]),
    "set again before the read": (FIND + "  - {id: again, run: echo 2, capture: found}\n"
                                  "  - {id: kill, run: 'kill {{ found }}'}\n", "again", []),
    "read and set by the same step": (FIND + "  - {id: again, run: 'echo {{ found }}', "
                                      "capture: found}\n", "again", [("found", "find", "capture")]),
    "the last setter before the start": (FIND + "  - {id: find2, run: echo 2, capture: found}\n"
                                         "  - {id: kill, run: 'kill {{ found }}'}\n", "kill",
                                         [("found", "find2", "capture")]),
    "read only before the start": ("  - {id: use, run: 'echo {{ found }}'}\n" + FIND +
                                   "  - {id: kill, run: echo}\n", "kill", []),
    "captured inside a skipped include": ("  - {id: checks, include: child}\n"
                                          "  - {id: kill, run: 'echo {{ grabbed }}'}\n", "kill",
                                          [("grabbed", "child/grab", "capture")]),
    "read inside a later include": (FIND + "  - {id: checks, include: child}\n", "checks",
                                    [("found", "find", "capture")]),
    "several, in the order they would be set": (
        FIND + ASK + "  - {id: kill, run: 'echo {{ count }}'}\n  - {id: log, run: 'echo {{ found }}'}\n",
        "kill", [("found", "find", "capture"), ("count", "how-many", "answer")]),
    "a step the run jumps back to reads a skipped capture": (
        BRANCH, "fix", [("state", "check", "capture")]),
    "from inside a branch: what both the start and the branch skipped": (
        BRANCH, "verify", [("state", "check", "capture"), ("fixed", "fix", "capture")]),
    "set on one way to the reader only": (
        "  - {id: pre, run: echo 1, capture: x}\n"
        "  - id: start\n    run: echo\n    next:\n      - {if: \"1 == 1\", goto: setter}\n"
        "      - {goto: reader}\n"
        "  - {id: setter, run: echo 2, capture: x}\n  - {id: reader, run: 'echo {{ x }}'}\n",
        "start", [("x", "pre", "capture")]),
    "set on every way back to the reader": (
        "  - {id: pre, run: echo 1, capture: x}\n  - {id: reader, run: 'echo {{ x }}', next: end}\n"
        "  - {id: setter, run: echo 2, capture: x, next: reader}\n", "setter", []),
    "from the first step": (FIND + "  - {id: kill, run: 'kill {{ found }}'}\n", "find", []),
    "a step --from names that does not exist": (FIND + "  - {id: kill, run: 'kill {{ found }}'}\n",
                                                 "nope", []),
    "set only by a step after the start that the walk cannot reach": (
        "  - {id: start, run: echo, next: reader}\n  - {id: dead, run: echo, capture: x}\n"
        "  - {id: reader, run: 'echo {{ x }}'}\n", "start", [("x", "dead", "capture")]),
    "captured in an include the walk cannot reach": (
        "  - {id: start, run: echo, next: reader}\n  - {id: dead, include: child}\n"
        "  - {id: reader, run: 'echo {{ grabbed }}'}\n", "start",
        [("grabbed", "child/grab", "capture")]),
    "captured in a skipped include of an include": (
        "  - {id: outer, include: nest}\n  - {id: kill, run: 'echo {{ grabbed }}'}\n", "kill",
        [("grabbed", "nest/child/grab", "capture")]),
    "set on the way through a later step that jumps back": (
        "  - {id: pre, run: echo 1, capture: x}\n  - {id: start, run: echo, next: b}\n"
        "  - {id: a, run: 'echo {{ x }}', next: end}\n  - {id: b, run: echo 2, capture: x, next: a}\n",
        "start", []),
    "an include cycle ends": (CYCLE + "  - {id: kill, run: 'echo {{ grabbed }}'}\n", "kill",
                              [("grabbed", "grab2", "capture")]),
    "no --from": (FIND + "  - {id: kill, run: 'kill {{ found }}'}\n", None, []),
}


@pytest.mark.parametrize("case", list(CASES))
def test_carried_names(case: str) -> None:
    steps, start, expected = CASES[case]
    assert names(book(steps), start) == expected


def test_a_name_that_is_also_an_input_is_not_carried() -> None:
    rb = book(FIND + "  - {id: kill, run: 'kill {{ found }}'}\n", "inputs:\n  found: {}\n")
    assert names(rb, "kill") == []


def test_a_capture_is_carried_as_optional_text() -> None:
    (carried,) = carried_names(book(FIND + "  - {id: kill, run: 'kill {{ found }}'}\n"), "kill",
                               lambda _n: None, lambda _n: None)
    assert (carried.spec.name, carried.spec.type, carried.spec.required) == ("found", "str", False)


def test_an_ask_var_keeps_the_asks_type_and_choices() -> None:
    rb = book("  - {id: env, ask: Where?, var: where, type: choice, choices: [a, b]}\n"
              "  - {id: go, run: 'echo {{ where }}'}\n")
    (carried,) = carried_names(rb, "go", lambda _n: None, lambda _n: None)
    assert (carried.spec.name, carried.spec.type, carried.spec.choices) == ("where", "choice", ("a", "b"))


def _carried(steps: str = FIND + ASK + "  - {id: kill, run: 'kill {{ found }} {{ count }}'}\n"):
    return carried_names(book(steps), "kill", lambda _n: None, lambda _n: None)


def test_values_come_from_var_vars_file_and_the_answers_file_typed() -> None:
    answers = AnswersPrompter(AnswersFile.from_data({"how-many": 3, "find": {"capture": "7 8"}}),
                              False, RefusingPrompter())
    got = resolve_carried(_carried(), {}, {}, answers, "kill")
    assert [(s.name, v, o) for s, v, o in got] == [
        ("found", "7 8", "answers-file, for skipped step find"),
        ("count", 3, "answers-file, for skipped step how-many")]
    got = resolve_carried(_carried(), {"count": "4"}, {"found": "9"}, RefusingPrompter(), "kill")
    assert [(v, o) for _s, v, o in got] == [("9", "--vars-file, for skipped step find"),
                                           (4, "--var, for skipped step how-many")]


def test_without_a_terminal_every_missing_name_is_named_at_once() -> None:
    with pytest.raises(NoAnswerError) as err:
        resolve_carried(_carried(), {}, {}, RefusingPrompter("no terminal to ask (--no-input)"),
                        "kill")
    assert err.value.message.splitlines() == [
        "--from kill skips the steps that set values later steps use, and there is no terminal "
        "to ask (--no-input); give each of them:",
        '  found (set by step find): --var found=VALUE, or "find: {capture: VALUE}" in an '
        "answers file (--answers FILE)",
        '  count (set by step how-many): --var count=VALUE, or "how-many: VALUE" in an answers '
        "file (--answers FILE)"]


def test_a_reason_of_its_own_leads_the_message_and_may_leave_var_out() -> None:
    """resume's `done` on a capture step: its own words, and no --var (resume takes none
    for a step's value)."""
    from runbookctl.engine.carried import Why

    why = Why("find is marked done", "step find is marked done on resume", by_var=False)
    with pytest.raises(NoAnswerError) as err:
        resolve_carried(_carried()[:1], {}, {}, RefusingPrompter("no terminal to ask"), None, why)
    assert err.value.message.splitlines() == [
        "step find is marked done on resume, and there is no terminal to ask; give each of them:",
        '  found (set by step find): "find: {capture: VALUE}" in an answers file (--answers FILE)']


def test_a_value_of_the_wrong_type_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"count: 'many' is not an integer \(from --var\)"):
        resolve_carried(_carried(), {"count": "many", "found": "1"}, {}, RefusingPrompter(), "kill")


def test_at_a_terminal_each_missing_name_is_asked_saying_which_step_would_have_set_it() -> None:
    from tests.unit.engine.fakes import FakePrompter

    prompter = FakePrompter(["7", "3"])
    got = resolve_carried(_carried(), {}, {}, prompter, "kill")
    assert [(s.name, v, o) for s, v, o in got] == [
        ("found", "7", "terminal, for skipped step find"),
        ("count", 3, "terminal, for skipped step how-many")]
    assert [(a.kind, a.key, a.text) for a in prompter.asked] == [
        ("ask", "find", "found: the value step find would have captured (--from kill skips it)"),
        ("ask", "how-many", "count: the value step how-many would have asked for (--from kill skips it)")]


def test_an_answers_file_without_the_value_falls_back_and_names_the_fallbacks_reason() -> None:
    answers = AnswersPrompter(AnswersFile.from_data({"how-many": 3}), False,
                              RefusingPrompter("stdin is not a terminal"))
    with pytest.raises(NoAnswerError) as err:
        resolve_carried(_carried(), {}, {}, answers, "kill")
    lines = err.value.message.splitlines()
    assert "there is stdin is not a terminal; give each of them:" in lines[0]
    assert len(lines) == 2 and lines[1].startswith("  found (set by step find)")


def test_a_prompter_without_a_reason_is_no_terminal_to_ask() -> None:
    from tests.unit.engine.fakes import FakePrompter

    with pytest.raises(NoAnswerError) as err:
        resolve_carried(_carried(), {}, {}, FakePrompter(interactive=False), "kill")
    assert "and there is no terminal to ask; give each of them:" in err.value.message
