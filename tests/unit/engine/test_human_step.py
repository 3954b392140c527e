"""Human steps, in-process: confirm, ask, manual (done / skipped / failed and the
failure policy) and message, with the questions asked and the answers journaled."""

from __future__ import annotations

import pytest

from tests.unit.engine.fakes import FakePrompter, make_engine, note


def book(steps: str) -> str:
    return f"id: t\ntitle: T\nsteps:\n{steps}"


def test_ask_stores_the_typed_answer_for_later_steps() -> None:
    run = make_engine(book("""\
  - {id: how-many, ask: "How many for {{ svc }}?", type: int}
  - {id: use, run: "scale {{ how_many + 1 }}"}
"""), values={"svc": "web"}, prompter=FakePrompter(["4"]))
    assert run.run() == ("completed", "all steps done")
    assert run.executor.commands == ["scale 5"]
    (asked,) = run.prompter.asked
    assert (asked.kind, asked.key, asked.text) == ("ask", "how-many", "How many for web?")
    (answer,) = run.events("answer")
    assert (answer.data["kind"], answer.data["value"], answer.data["var"]) == ("ask", "4", "how_many")
    assert run.engine.vars.steps["how_many"]["answer"] == 4
    assert run.display.said("ok") == ["how_many = 4 (terminal)", "ok"]
    assert run.events("step_finished", "how-many")[0].data["reason"] == "how_many answered"


def test_ask_with_var_stores_under_that_name() -> None:
    run = make_engine(book("  - {id: q, ask: Which?, var: choice}\n"), prompter=FakePrompter(["b"]))
    run.run()
    assert run.engine.vars.values["choice"] == "b"


def test_a_dry_run_asks_nothing_and_uses_placeholders() -> None:
    run = make_engine(book("""\
  - {id: q, ask: Which?, var: choice}
  - {id: gate, confirm: Sure?}
  - {id: check, manual: Look at it}
  - {id: show, run: "echo {{ choice }}", readonly: true}
"""), dry_run=True)
    assert run.run() == ("completed", "all steps done")
    assert run.prompter.asked == []
    assert run.statuses == {"q": "skipped", "gate": "skipped", "check": "skipped", "show": "ok"}
    assert run.executor.commands == ["echo '<choice>'"]
    assert run.display.said("skip") == ["dry run: would ask 'Which?'", "dry run: would ask 'Sure?'"]
    assert [e.data["reason"] for e in run.events("step_finished")][:3] == ["dry run: not asked"] * 3
    assert run.display.blocks == [("check", "Look at it")]


@pytest.mark.parametrize(("answer", "status", "reason"), [
    ("done", "ok", "done"),
    (note("skipped", "not needed today"), "skipped", "skipped: not needed today"),
])
def test_manual_done_or_skipped(answer: object, status: str, reason: str) -> None:
    run = make_engine(book("  - {id: check, manual: \"Open {{ url }}\"}\n"),
                      values={"url": "dash"}, prompter=FakePrompter([answer]))
    assert run.run() == ("completed", "all steps done")
    assert run.statuses == {"check": status}
    assert run.events("step_finished")[0].data["reason"] == reason
    assert run.events("step_finished")[0].data.get("skip") == (
        None if status == "ok" else "by-person")  # the report tells a person's skip apart
    assert run.prompter.asked[0].text == "Open dash"
    assert run.display.blocks == [("check", "Open dash")]
    value = answer if isinstance(answer, str) else "skipped"
    assert run.engine.vars.steps["check"]["answer"] == value
    assert run.display.said("ok" if status == "ok" else "skip") == [
        "done (terminal)" if status == "ok" else "skipped: not needed today"]


MANUAL = book("""\
  - {{id: check, manual: Look, on_failure: {policy}}}
  - {{id: after, run: echo after}}
""")


@pytest.mark.parametrize(("policy", "answers", "result", "asked"), [
    ("continue", [note("failed", "red")],
     ("completed", "completed; failed steps continued past: check"), ["manual"]),
    ("abort", [note("failed", "red")], ("failed", "check failed: marked failed: red"), ["manual"]),
    ("after", [note("failed", "red")],
     ("completed", "completed; failed steps continued past: check"), ["manual"]),
    # ask: skip moves past a failed check without calling it skipped
    ("ask", [note("failed", "red"), "skip"],
     ("completed", "completed; failed steps continued past: check"), ["manual", "on_failure"]),
    ("ask", [note("failed", "red"), "retry", "done"], ("completed", "all steps done"),
     ["manual", "on_failure", "manual"]),
    ("ask", [note("failed", "red"), "abort"], ("aborted", "aborted at check: marked failed: red"),
     ["manual", "on_failure"]),
])
def test_a_manual_check_marked_failed_follows_on_failure(policy: str, answers: list[object],
                                                        result: tuple[str, str],
                                                        asked: list[str]) -> None:
    run = make_engine(MANUAL.format(policy=policy), prompter=FakePrompter(answers))
    assert run.run() == result
    assert [a.kind for a in run.prompter.asked] == asked
    assert [e.data["kind"] for e in run.events("answer")] == asked
    assert run.display.said("fail")[0] == "marked failed: red"
    if "on_failure" in asked:
        assert run.prompter.asked[1].text == "check failed: marked failed: red"
        assert run.prompter.asked[1].choices == ("retry", "skip", "abort", "goto:after")


def test_a_manual_failure_without_a_note_says_so() -> None:
    run = make_engine(MANUAL.format(policy="continue"), prompter=FakePrompter(["failed"]))
    run.run()
    assert run.events("step_finished", "check")[0].data["reason"] == "marked failed: no note"


def test_a_message_is_shown_journaled_and_masked() -> None:
    from runbookctl.safety.masking import Redactor

    redactor = Redactor()
    redactor.add("tok-123456", "TOKEN")
    run = make_engine(book("  - {id: say, message: \"Deploying {{ v }} with {{ t }}\"}\n"),
                      values={"v": "1.2", "t": "tok-123456"}, redactor=redactor)
    run.run()
    (message,) = run.events("message")
    assert message.data["text"] == "Deploying 1.2 with ***"
    assert message.data["template"] is None
    assert run.statuses == {"say": "ok"}
    assert run.display.blocks == [("say", "Deploying 1.2 with ***")]
    assert run.events("step_finished")[0].data["reason"] == "shown and recorded"
    assert run.engine.vars.steps["say"]["answer"] == "Deploying 1.2 with ***"


def test_a_message_template_is_looked_up_by_name() -> None:
    run = make_engine(book("  - {id: say, message: \" comms/update.md.j2 \"}\n"),
                      templates={"comms/update.md.j2": "Status: {{ state }}"}, values={"state": "green"})
    run.run()
    (message,) = run.events("message")
    assert (message.data["text"], message.data["template"]) == ("Status: green", "comms/update.md.j2")


def test_a_missing_message_template_fails_the_run() -> None:
    run = make_engine(book("  - {id: say, message: comms/gone.md.j2}\n"))
    assert run.run() == ("failed", "template comms/gone.md.j2 not found")
    assert run.events("step_finished")[0].data["reason"] == "template not found"
    assert run.events("message") == []


def test_an_ask_without_var_lands_in_its_id_as_a_python_name() -> None:
    run = make_engine(book("  - {id: the-cause, ask: Why?}\n  - {id: b, run: \"echo {{ the_cause }}\"}\n"),
                      prompter=FakePrompter(["a leak"]))
    run.run()
    assert run.prompter.asked[0].choices == ("the_cause",)
    assert run.executor.commands == ["echo 'a leak'"]
    assert run.answers() == [("the-cause", "ask", "Why?", "a leak")]


def test_human_steps_inside_an_include_keep_their_answers_under_their_keys() -> None:
    child = """\
id: child
title: C
steps:
  - {id: q, ask: Which?, var: pick}
  - {id: m, manual: Look}
  - {id: msg, message: hello}
"""
    run = make_engine(book("""\
  - {id: sub, include: child}
  - id: b
    run: "echo {{ steps['child/q'].answer }} {{ steps['child/m'].answer }} {{ steps['child/msg'].answer }}"
"""), includes={"child": child}, prompter=FakePrompter(["x", "done"]))
    run.run()
    assert run.executor.commands == ["echo x done hello"]
    assert [a.key for a in run.prompter.asked] == ["child/q", "child/m"]
    assert [(step, kind) for step, kind, _q, _v in run.answers()] == [("child/q", "ask"),
                                                                      ("child/m", "manual")]
    assert run.answers()[1][2] == "Look"
    assert [e.step for e in run.events("message")] == ["child/msg"]


@pytest.mark.parametrize(("step", "what"), [
    ("{id: s, manual: \"Look at {{ nope }}\"}", "instruction"),
    ("{id: s, message: \"Hi {{ nope }}\"}", "message"),
    ("{id: s, run: echo, cwd: \"/srv/{{ nope }}\"}", "cwd"),
    ("{id: s, run: echo, env: {A: \"{{ nope }}\"}}", "env A"),
])
def test_a_template_that_cannot_be_rendered_names_what_it_was(step: str, what: str) -> None:
    run = make_engine(book(f"  - {step}\n"), prompter=FakePrompter(["abort"]))
    status, reason = run.run()
    assert status == "aborted"  # asked, as any failure of a step under on_failure: ask
    assert f"cannot render {what} " in reason and "'nope' is undefined" in reason


def test_a_skipped_step_shows_an_empty_outcome_to_later_steps() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, when: "false"}
  - id: b
    run: echo b
    when: >-
      steps.a.status == 'skipped' and steps.a.exit_code is none and steps.a.stdout == ''
      and steps.a.stderr == '' and steps.a.answer is none and steps.a.hosts == {}
"""))
    run.run()
    assert run.executor.commands == ["echo b"]
