"""Command steps, in-process: retries, polling with until/every/within, on_failure
(continue, abort, goto, ask and each answer), capture and expect, confirmation gates,
dry runs and ssh hosts — judged by the commands executed and what was journaled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from runbookctl.errors import InterruptedRun, NoAnswerError
from runbookctl.executors.base import CAPTURE_LIMIT, CommandSpec, HostResult, Masker, OutputSink
from runbookctl.record.event_model import Event
from tests.unit.engine.conftest import FakeClock
from tests.unit.engine.fakes import FakeExecutor, FakePrompter, MemoryJournal, Out, make_engine


def book(steps: str) -> str:
    return f"id: t\ntitle: T\nsteps:\n{steps}"


def attempts(run: object, step: str) -> list[tuple[int, bool, bool]]:
    return [(e.data["attempt"], e.data["ok"], e.data["again"])
            for e in run.events("command_finished", step)]  # type: ignore[attr-defined]


# --- retries --------------------------------------------------------------------------

RETRY = book("""\
  - {id: flaky, run: echo flaky, retries: 2, retry_delay: 5s, on_failure: abort}
  - {id: after, run: echo after}
""")


def test_a_failing_command_is_retried_until_it_succeeds(clock: FakeClock) -> None:
    run = make_engine(RETRY, executor=FakeExecutor({"flaky": [1, 1, 0]}))
    assert run.run() == ("completed", "all steps done")
    assert run.executor.count("echo flaky") == 3
    assert attempts(run, "flaky") == [(1, False, True), (2, False, True), (3, True, False)]
    assert clock.sleeps == [5.0, 5.0]
    assert run.statuses["flaky"] == "ok"
    assert run.display.said("warn") == [
        "attempt 1 failed (exit code 1); retrying in 5s (2 left)",
        "attempt 2 failed (exit code 1); retrying in 5s (1 left)"]


def test_retries_are_bounded_then_the_failure_policy_decides(clock: FakeClock) -> None:
    run = make_engine(RETRY, executor=FakeExecutor({"flaky": 1}))
    assert run.run() == ("failed", "flaky failed: exit code 1")
    assert run.executor.count("echo flaky") == 3  # one try and two retries
    assert attempts(run, "flaky")[-1] == (3, False, False)
    assert "echo after" not in run.executor.commands
    assert clock.sleeps == [5.0, 5.0]


def test_no_retries_means_one_attempt(clock: FakeClock) -> None:
    run = make_engine(book("  - {id: once, run: echo once, on_failure: continue}\n"),
                      executor=FakeExecutor({"once": 1}))
    run.run()
    assert run.executor.count("echo once") == 1 and clock.sleeps == []


def test_an_interrupted_command_is_not_retried_and_nobody_to_ask_stops_the_run() -> None:
    run = make_engine(book("  - {id: a, run: echo a, retries: 3}\n"),
                      executor=FakeExecutor({"echo a": Out(None, interrupted=True,
                                                           error="stopped by SIGTERM")}),
                      prompter=FakePrompter(interactive=False))
    with pytest.raises(InterruptedRun) as err:
        run.run()
    assert err.value.message == "stopped by SIGTERM"
    assert run.executor.count("echo a") == 1


@pytest.mark.parametrize(("answer", "status", "runs"), [
    ("retry", ("completed", "all steps done"), 2),
    ("skip", ("completed", "completed; failed steps continued past: a"), 1),
    ("abort", ("aborted", "aborted at a: interrupted"), 1),
])
def test_after_an_interrupt_the_operator_decides(answer: str, status: tuple[str, str],
                                                 runs: int) -> None:
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      executor=FakeExecutor({"echo a": [Out(None, interrupted=True), 0]}),
                      prompter=FakePrompter([answer]))
    assert run.run() == status
    assert run.executor.count("echo a") == runs
    (asked,) = run.prompter.asked
    assert (asked.text, asked.choices) == ("a was interrupted (Ctrl-C)", ("retry", "skip", "abort"))


@pytest.mark.parametrize(("stopped", "reason"), [
    (None, "interrupted by SIGINT (Ctrl-C)"),
    ("command stopped with SIGTERM", "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM"),
])
def test_ctrl_c_during_a_command_journals_how_it_ended_then_stops_the_run(
        stopped: str | None, reason: str) -> None:
    from runbookctl.signals import mark_stopped

    stop = KeyboardInterrupt()
    if stopped:
        mark_stopped(stop, stopped)
    run = make_engine(book("  - {id: a, ssh: echo a, hosts: [web1, web2]}\n"),
                      executor=FakeExecutor({"echo a": stop}))
    with pytest.raises(KeyboardInterrupt):
        run.run()
    (finished,) = run.events("command_finished")
    assert (finished.data["ok"], finished.data["reason"], finished.data["stopped"]) == \
        (False, reason, stopped is not None)
    assert finished.data["attempt"] == 1
    assert [(h["host"], h["exit_code"], h["interrupted"], h["error"]) for h in finished.data["hosts"]] \
        == [("web1", None, True, reason), ("web2", None, True, reason)]
    (interrupted,) = run.events("step_interrupted")
    assert (interrupted.data["reason"], interrupted.data["command_stopped"]) == (reason, stopped is not None)
    assert run.state().steps["a"].status == "interrupted"


def test_ctrl_c_during_a_local_command_names_the_local_host() -> None:
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      executor=FakeExecutor({"echo a": KeyboardInterrupt()}))
    with pytest.raises(KeyboardInterrupt):
        run.run()
    assert [h["host"] for h in run.events("command_finished")[0].data["hosts"]] == ["local"]


# --- polling --------------------------------------------------------------------------

POLL = book("""\
  - id: wait
    run: echo status
    until: "'ready' in result.stdout"
    every: 2s
    within: 7s
    on_failure: abort
""")


def test_until_polls_every_interval_until_it_holds(clock: FakeClock) -> None:
    run = make_engine(POLL, executor=FakeExecutor({"status": [Out(0, "starting"), Out(0, "ready")]}))
    assert run.run() == ("completed", "all steps done")
    assert run.executor.count("status") == 2
    assert clock.sleeps == [2.0]
    assert attempts(run, "wait") == [(1, False, True), (2, True, False)]
    assert run.display.said("info") == ["not yet (until: 'ready' in result.stdout is false); "
                                        "next check in 2s"]


def test_until_gives_up_when_the_next_check_would_pass_within(clock: FakeClock) -> None:
    run = make_engine(POLL, executor=FakeExecutor({"status": Out(0, "starting")}))
    status, reason = run.run()
    assert status == "failed"
    assert reason == "wait failed: until: 'ready' in result.stdout not met within 7s (4 attempts)"
    assert clock.sleeps == [2.0, 2.0, 2.0]  # checks at 0, 2, 4, 6: the next (8) is too late
    assert attempts(run, "wait")[-1] == (4, False, False)


def test_until_requires_exit_0_unless_it_names_exit_code(clock: FakeClock) -> None:
    run = make_engine(POLL, executor=FakeExecutor({"status": [Out(1, "ready"), Out(0, "ready")]}))
    run.run()
    assert run.executor.count("status") == 2
    assert run.events("command_finished")[0].data["reason"] == "exit code 1"
    by_code = POLL.replace("'ready' in result.stdout", "result.exit_code == 3")
    run = make_engine(by_code, executor=FakeExecutor({"status": [1, 3]}))
    assert run.run() == ("completed", "all steps done")
    assert run.executor.count("status") == 2


def test_an_until_that_cannot_be_evaluated_ends_polling_at_once(clock: FakeClock) -> None:
    run = make_engine(POLL.replace("'ready' in result.stdout", "nothing.here > 1"))
    status, reason = run.run()
    assert status == "failed" and "until could not be evaluated" in reason
    assert run.executor.count("status") == 1 and clock.sleeps == []


def test_until_defaults_to_every_10s_within_600s(clock: FakeClock) -> None:
    plain = book("  - {id: wait, run: echo status, until: \"result.stdout == 'up'\", "
                 "on_failure: continue}\n")
    run = make_engine(plain, executor=FakeExecutor({"status": Out(0, "down")}))
    run.run()
    assert set(clock.sleeps) == {10.0} and len(clock.sleeps) == 60
    assert "not met within 600s (61 attempts)" in run.events("step_finished")[0].data["reason"]


def test_polling_an_ssh_step_names_the_hosts_not_yet_ready(clock: FakeClock) -> None:
    poll = POLL.replace("run: echo status", "ssh: echo status\n    hosts: [web1, web2]")
    outcomes = [{"web1": Out(0, "ready"), "web2": 1}, {"web1": Out(0, "ready"), "web2": Out(0, "ready")}]
    run = make_engine(poll, executor=FakeExecutor({"status": outcomes}))
    assert run.run() == ("completed", "all steps done")
    first = run.events("command_finished")[0]
    assert first.data["reason"] == "web2: exit code 1"


# --- on_failure -----------------------------------------------------------------------

POLICY = book("""\
  - {{id: a, run: echo a}}
  - {{id: broken, run: echo broken, on_failure: {policy}}}
  - {{id: c, run: echo c}}
  - {{id: d, run: echo d}}
""")


@pytest.mark.parametrize(("policy", "result", "walked"), [
    ("continue", ("completed", "completed; failed steps continued past: broken"),
     ["a", "broken", "c", "d"]),
    ("abort", ("failed", "broken failed: exit code 1"), ["a", "broken"]),
    ("d", ("completed", "completed; failed steps continued past: broken"), ["a", "broken", "d"]),
])
def test_on_failure_policies(policy: str, result: tuple[str, str], walked: list[str]) -> None:
    run = make_engine(POLICY.format(policy=policy), executor=FakeExecutor({"broken": 1}))
    assert run.run() == result
    assert run.walked == walked
    assert run.statuses["broken"] == "failed"
    assert run.prompter.asked == []


def test_on_failure_goto_journals_the_jump_with_the_failure() -> None:
    run = make_engine(POLICY.format(policy="d"), executor=FakeExecutor({"broken": 1}))
    run.run()
    (jump,) = run.events("jump")
    assert (jump.step, jump.data["to"], jump.data["why"]) == ("broken", "d",
                                                              "after failure: exit code 1")


ASK_CASES = [
    ("retry", ("completed", "all steps done"), ["a", "broken", "c", "d"], "ok", 2),
    ("skip", ("completed", "completed; failed steps continued past: broken"),
     ["a", "broken", "c", "d"], "skipped", 1),
    ("abort", ("aborted", "aborted at broken: exit code 1"), ["a", "broken"], "failed", 1),
    ("goto:d", ("completed", "completed; failed steps continued past: broken"),
     ["a", "broken", "d"], "failed", 1),
    ("goto:a", None, ["a", "broken", "a", "broken", "c", "d"], "ok", 2),
]


@pytest.mark.parametrize(("answer", "result", "walked", "status", "runs"), ASK_CASES)
def test_on_failure_ask_does_what_the_operator_answers(answer: str, result: tuple[str, str] | None,
                                                       walked: list[str], status: str,
                                                       runs: int) -> None:
    run = make_engine(POLICY.format(policy="ask"), executor=FakeExecutor({"broken": [1, 0]}),
                      prompter=FakePrompter([answer]))
    outcome = run.run()
    assert result is None or outcome == result
    assert run.walked == walked
    assert run.statuses["broken"] == status
    assert run.executor.count("echo broken") == runs
    (asked,) = run.prompter.asked
    assert (asked.kind, asked.key, asked.text) == ("on_failure", "broken", "broken failed: exit code 1")
    assert asked.choices == ("retry", "skip", "abort", "goto:a", "goto:c", "goto:d")
    assert run.answers() == [("broken", "on_failure", "broken failed: exit code 1", answer)]


def test_retry_failed_hosts_is_offered_when_some_hosts_passed_and_reruns_only_those() -> None:
    step = "  - {id: fan, ssh: echo fan, hosts: [web1, web2, web3]}\n"
    run = make_engine(book(step), executor=FakeExecutor({"fan": [{"web1": 0, "web2": 1, "web3": 1}, 0]}),
                      prompter=FakePrompter(["retry-failed-hosts"]))
    assert run.run() == ("completed", "all steps done")
    assert [list(s.hosts) for s in run.executor.specs] == [["web1", "web2", "web3"], ["web2", "web3"]]
    (asked,) = run.prompter.asked
    assert asked.choices[:2] == ("retry", "retry-failed-hosts")
    assert asked.text == "fan failed: web2: exit code 1; web3: exit code 1"


def test_retry_after_retry_failed_hosts_runs_every_host_again() -> None:
    step = "  - {id: fan, ssh: echo fan, hosts: [web1, web2]}\n"
    script = {"fan": [{"web1": 0, "web2": 1}, 1, 0]}
    run = make_engine(book(step), executor=FakeExecutor(script),
                      prompter=FakePrompter(["retry-failed-hosts", "retry"]))
    run.run()
    assert [list(s.hosts) for s in run.executor.specs] == [["web1", "web2"], ["web2"], ["web1", "web2"]]


def test_retry_failed_hosts_is_not_offered_when_every_host_failed() -> None:
    step = "  - {id: fan, ssh: echo fan, hosts: [web1, web2]}\n"
    run = make_engine(book(step), executor=FakeExecutor({"fan": 1}), prompter=FakePrompter(["abort"]))
    run.run()
    assert "retry-failed-hosts" not in run.prompter.asked[0].choices


def test_a_template_error_follows_the_policy_without_running_anything() -> None:
    run = make_engine(POLICY.format(policy="continue").replace("echo broken", '"echo {{ nope.x }}"'))
    status, _reason = run.run()
    assert status == "completed"
    assert run.statuses["broken"] == "failed"
    assert not any("nope" in c for c in run.executor.commands)
    failed = run.events("step_finished", "broken")[0].data["reason"]
    assert "nope" in failed


@pytest.mark.parametrize(("policy", "status", "flow"), [
    ("abort", "failed", "fail"), ("c", "completed", "goto")])
def test_a_template_error_obeys_the_policy(policy: str, status: str, flow: str) -> None:
    run = make_engine(POLICY.format(policy=policy).replace("echo broken", '"echo {{ nope.x }}"'))
    assert run.run()[0] == status
    assert run.events("step_finished", "broken")[0].data["flow"]["kind"] == flow
    assert run.prompter.asked == []


@pytest.mark.parametrize(("answer", "status", "walked"), [
    ("skip", "skipped", ["a", "broken", "c", "d"]), ("abort", "failed", ["a", "broken"])])
def test_a_template_error_under_ask_asks_as_any_failure(answer: str, status: str,
                                                       walked: list[str]) -> None:
    run = make_engine(POLICY.format(policy="ask").replace("echo broken", '"echo {{ nope.x }}"'),
                      prompter=FakePrompter([answer]))
    run.run()
    assert run.walked == walked
    assert run.statuses["broken"] == status
    (asked,) = run.prompter.asked
    assert (asked.kind, asked.key) == ("on_failure", "broken")
    assert "'nope' is undefined" in asked.text
    assert not any("nope" in c for c in run.executor.commands)


def test_a_template_error_under_ask_with_nobody_to_ask_stops_the_run_resumably() -> None:
    run = make_engine(POLICY.format(policy="ask").replace("echo broken", '"echo {{ nope.x }}"'))
    with pytest.raises(NoAnswerError):
        run.run()
    assert run.events("step_interrupted", "broken")
    assert run.events("step_finished", "broken") == []


# --- expect and capture ---------------------------------------------------------------

def test_capture_stores_the_output_for_later_steps_and_journals_it() -> None:
    run = make_engine(book("""\
  - {id: get, run: echo version, capture: version}
  - {id: use, run: "deploy {{ version }}"}
"""), executor=FakeExecutor({"echo version": Out(0, "  1.2.3\n")}))
    run.run()
    assert run.executor.commands[-1] == "deploy 1.2.3"
    (cap,) = run.events("captured")
    assert (cap.step, cap.data["name"], cap.data["value"], cap.data["truncated"]) == \
        ("get", "version", "1.2.3", False)
    assert run.display.said("ok")[0] == "ok (captured version)"


def test_capture_on_several_hosts_is_a_mapping_by_host() -> None:
    step = "  - {id: get, ssh: hostname, hosts: [web1, web2], capture: names}\n"
    run = make_engine(book(step), executor=FakeExecutor({"hostname": {"web1": Out(0, "a\n"),
                                                                    "web2": Out(0, "b\n")}}))
    run.run()
    assert run.engine.vars.values["names"] == {"web1": "a", "web2": "b"}


def test_capture_is_kept_when_expect_fails_but_not_when_the_command_did_not_end() -> None:
    run = make_engine(book("""\
  - {id: get, run: echo v, capture: v, expect: "result.stdout == 'good'", on_failure: continue}
  - {id: slow, run: echo slow, capture: s, on_failure: continue}
"""), executor=FakeExecutor({"echo v": Out(0, "bad"), "slow": Out(None, timed_out=True)}))
    run.run()
    assert run.engine.vars.values["v"] == "bad"
    assert "s" not in run.engine.vars.values
    assert run.events("step_finished", "slow")[0].data["reason"] == "timed out after 30s"


TOO_BIG = (f"output too large to capture into big (over {CAPTURE_LIMIT // 1024} KiB); "
           "the full output is in the step log")


@pytest.mark.parametrize(("policy", "answers", "walked", "result"), [
    ("continue", [], ["get", "after"], ("completed", "completed; failed steps continued past: get")),
    ("ask", ["skip"], ["get", "after"], ("completed", "completed; failed steps continued past: get")),
    ("abort", [], ["get"], ("failed", f"get failed: {TOO_BIG}")),
])
def test_output_too_large_to_capture_fails_the_step_under_its_on_failure(
        policy: str, answers: list[str], walked: list[str], result: tuple[str, str]) -> None:
    run = make_engine(book(f"  - {{id: get, run: echo big, capture: big, on_failure: {policy}}}\n"
                           "  - {id: after, run: echo after}\n"),
                      executor=FakeExecutor({"big": Out(0, "x", truncated=True)}),
                      prompter=FakePrompter(answers))
    assert run.run() == result
    assert run.walked == walked
    assert run.events("step_finished", "get")[0].data["reason"].endswith(TOO_BIG)
    assert [(a.key, a.text) for a in run.prompter.asked] == (
        [("get", f"get failed: {TOO_BIG}")] if policy == "ask" else [])
    assert "big" not in run.engine.vars.values and run.events("captured") == []

@pytest.mark.parametrize(("expect", "out", "ok", "reason"), [
    ("result.stdout == 'fine'", Out(0, "fine"), True, "ok"),
    ("result.stdout == 'fine'", Out(0, "bad"), False, "expect: result.stdout == 'fine' does not hold"),
    ("result.stdout == 'fine'", Out(2, "fine"), False, "exit code 2"),
    ("result.exit_code == 2", Out(2), True, "ok"),
    ("result.nothing.deeper", Out(0), False, "expect could not be evaluated"),
    (None, Out(None, error="connect refused"), False, "connect refused"),
    (None, Out(None, interrupted=True), False, "interrupted"),
])
def test_expect_and_the_exit_code_decide_success(expect: str | None, out: Out, ok: bool,
                                                 reason: str) -> None:
    line = "  - {id: x, run: echo x, on_failure: continue" + (f', expect: "{expect}"' if expect else "")
    prompter = FakePrompter(["skip"])
    run = make_engine(book(line + "}\n"), executor=FakeExecutor({"echo x": out}), prompter=prompter)
    run.run()
    finished = run.events("command_finished")[0].data
    assert finished["ok"] is ok
    assert finished["reason"].startswith(reason)


def test_on_several_hosts_each_failing_host_is_named() -> None:
    step = "  - {id: x, ssh: echo x, hosts: [a1, a2, a3], on_failure: continue}\n"
    run = make_engine(book(step), executor=FakeExecutor({"echo x": {"a1": 0, "a2": 5,
                                                                  "a3": Out(None, error="refused")}}))
    run.run()
    assert run.events("command_finished")[0].data["reason"] == "a2: exit code 5; a3: refused"
    view = run.engine.vars.steps["x"]
    assert view["exit_code"] == 5 and set(view["hosts"]) == {"a1", "a2", "a3"}


def test_no_hosts_is_a_failure() -> None:
    run = make_engine(book("  - {id: x, ssh: echo x, hosts: [web], on_failure: continue}\n"),
                      hosts=lambda step, rb: [])
    run.run()
    assert run.events("command_finished")[0].data["reason"] == "no hosts to run on"


def test_the_step_outcome_is_visible_to_later_templates() -> None:
    run = make_engine(book("""\
  - {id: first-one, run: echo first, on_failure: continue}
  - {id: report, run: "echo {{ steps.first_one.exit_code }} {{ steps['first-one'].stdout }}"}
"""), executor=FakeExecutor({"echo first": Out(4, "out")}))
    run.run()
    assert run.executor.commands[-1] == "echo 4 out"


# --- confirmation gates, dry run, ssh -------------------------------------------------

GATED = book("""\
  - {id: restart, run: systemctl restart app, confirm: "Restart {{ svc }}?", on_no: skip}
  - {id: after, run: echo after}
""")


def test_a_confirmed_command_runs_and_the_answer_names_the_command() -> None:
    run = make_engine(GATED, values={"svc": "app"}, prompter=FakePrompter([True]))
    run.run()
    assert run.executor.commands == ["systemctl restart app", "echo after"]
    (asked,) = run.prompter.asked
    assert (asked.text, asked.choices) == ("Restart app?", ("skip this step",))
    assert run.events("answer")[0].data["question"] == "Restart app?\n$ systemctl restart app"


def test_a_declined_command_does_not_run() -> None:
    run = make_engine(GATED, values={"svc": "app"}, prompter=FakePrompter([False]))
    assert run.run() == ("completed", "all steps done")
    assert run.executor.commands == ["echo after"]
    assert run.statuses["restart"] == "skipped"


def test_a_dangerous_step_is_confirmed_with_a_default_question() -> None:
    run = make_engine(book("  - {id: wipe, run: rm -rf /data, dangerous: true}\n"),
                      prompter=FakePrompter([True]))
    run.run()
    assert run.prompter.asked[0].text == "Run this command?"


def test_a_secret_in_the_question_is_masked() -> None:
    from runbookctl.safety.masking import Redactor

    redactor = Redactor()
    redactor.add("hunter22", "PW")
    run = make_engine(book("  - {id: x, run: echo x, confirm: \"Use {{ pw }}?\"}\n"),
                      values={"pw": "hunter22"}, prompter=FakePrompter([True]), redactor=redactor)
    run.run()
    assert "hunter22" not in run.prompter.asked[0].text


def test_a_dry_run_executes_only_readonly_commands() -> None:
    run = make_engine(book("""\
  - {id: look, run: echo look, readonly: true}
  - {id: change, run: echo change, capture: out, confirm: "Sure?"}
  - {id: remote, ssh: echo remote, hosts: [web1]}
  - {id: use, run: "echo {{ out }}", readonly: true}
"""), dry_run=True)
    assert run.run() == ("completed", "all steps done")
    assert run.executor.commands == ["echo look", "echo '<out>'"]
    assert run.statuses == {"look": "ok", "change": "dry-run", "remote": "dry-run", "use": "ok"}
    assert run.prompter.asked == []  # a dry run asks nothing
    assert "dry run: would run: echo change" in run.display.said("skip")
    assert "dry run: would run on web1: echo remote" in run.display.said("skip")
    (change,) = run.events("step_finished", "change")
    assert (change.data["reason"], change.data["skip"]) == ("dry run: not executed", "dry-run")


def test_an_ssh_step_runs_each_host_with_its_own_command() -> None:
    run = make_engine(book("  - {id: x, ssh: \"echo {{ host }}\", hosts: [web1, web2]}\n"))
    run.run()
    (spec,) = run.executor.specs
    assert list(spec.hosts) == ["web1", "web2"]
    assert dict(spec.per_host) == {"web1": "echo web1", "web2": "echo web2"}
    assert spec.display == "echo '<host>'"


def test_sudo_asks_the_password_once_per_run_and_masks_it() -> None:
    run = make_engine(book("""\
  - {id: a, ssh: id, hosts: [web1], sudo: true}
  - {id: b, ssh: id, hosts: [web1], sudo: true}
"""), prompter=FakePrompter(secret="s3cret-pw"))
    run.run()
    assert [(a.kind, a.key, a.text) for a in run.prompter.asked] == [
        ("secret", "a", "sudo password for the remote hosts (empty for passwordless sudo)")]
    assert [s.sudo_password for s in run.executor.specs] == ["s3cret-pw", "s3cret-pw"]
    assert "s3cret-pw" not in run.engine.sv.redactor.mask("x s3cret-pw")


def test_sudo_without_a_terminal_uses_no_password() -> None:
    run = make_engine(book("  - {id: a, ssh: id, hosts: [web1], sudo: true}\n"),
                      prompter=FakePrompter(interactive=False))
    run.run()
    assert run.executor.specs[0].sudo_password is None and run.prompter.asked == []


def test_each_attempt_gets_its_own_log_and_the_process_is_journaled() -> None:
    run = make_engine(RETRY, executor=FakeExecutor({"flaky": [1, 0]}))
    run.run()
    assert [str(s.log_path) for s in run.executor.specs][:2] == [
        "run-dir-never-written/logs/0001-flaky.log", "run-dir-never-written/logs/0002-flaky.log"]
    assert [e.data["pgid"] for e in run.events("command_process", "flaky")] == [4242, 4242]


class SyncWatchingJournal(MemoryJournal):
    """Notes each event's type and whether it was fsynced as it was written."""

    def __init__(self) -> None:
        super().__init__()
        self.synced: list[tuple[str, bool]] = []

    def append(self, type: str, step: str | None, actor: str,
               data: Mapping[str, Any] | None = None, *, sync: bool = True) -> Event:
        self.synced.append((type, sync))
        return super().append(type, step, actor, data, sync=sync)


class GateWatchingExecutor(FakeExecutor):
    """Notes what the journal held, and how, when a command's gate opened (on_start returned)."""

    def __init__(self, journal: SyncWatchingJournal) -> None:
        super().__init__()
        self.journal = journal
        self.at_gate: list[list[tuple[str, bool]]] = []

    def execute(self, spec: CommandSpec, sink: OutputSink, masker: Masker, *,
                remote: bool = False) -> list[HostResult]:
        gate = spec.on_start
        if gate is not None:
            def watched(pgid: int, started: str | None) -> None:
                gate(pgid, started)
                self.at_gate.append(list(self.journal.synced))

            spec = replace(spec, on_start=watched)
        return super().execute(spec, sink, masker, remote=remote)


def test_a_local_command_waits_at_its_gate_for_the_fsync_of_its_start() -> None:
    journal = SyncWatchingJournal()
    executor = GateWatchingExecutor(journal)
    run = make_engine(book("  - {id: a, run: echo a}\n  - {id: b, ssh: uptime, hosts: [web1]}"),
                      journal=journal, executor=executor)
    run.run()
    # step_started and command_started are written, then fsynced with command_process
    # before the gate opens; an ssh command (no gate) has its start fsynced at once
    assert executor.at_gate == [[("step_started", False),
                                 ("command_started", False), ("command_process", True)]]
    starts = [sync for t, sync in journal.synced if t == "command_started"]
    assert starts == [False, True]
    types = [e.type for e in run.events(step="a")]
    assert types.index("command_process") < types.index("command_finished")


class ShellStartExecutor(FakeExecutor):
    """A local shell as the executor starts it: notes what the journal held then; `stop`
    is raised, or `error` returned, before the shell reaches its gate (on_start)."""

    def __init__(self, journal: MemoryJournal, *, stop: BaseException | None = None,
                 error: str | None = None) -> None:
        super().__init__()
        self.journal, self.stop, self.error = journal, stop, error
        self.at_spawn: list[list[str]] = []

    def execute(self, spec: CommandSpec, sink: OutputSink, masker: Masker, *,
                remote: bool = False) -> list[HostResult]:
        self.at_spawn.append([e.type for e in self.journal.events])
        if self.stop is not None:
            raise self.stop
        if self.error is not None:
            return [HostResult("local", None, 0.0, error=self.error)]
        return super().execute(spec, sink, masker, remote=remote)


def test_a_local_shell_starts_before_its_command_is_journaled_and_waits_at_its_gate() -> None:
    # The shell's own start-up overlaps the journaling of its start; the gate still
    # opens only after command_started and command_process are on disk (test above).
    journal = MemoryJournal()
    executor = ShellStartExecutor(journal)
    run = make_engine(book("  - {id: a, run: echo a}\n  - {id: b, ssh: uptime, hosts: [web1]}"),
                      journal=journal, executor=executor)
    run.run()
    assert executor.at_spawn[0][-1] == "step_started"  # nothing of the command's yet
    assert executor.at_spawn[1][-1] == "command_started"  # ssh: journaled, then connected
    assert [e.type for e in run.events(step="a")] == [
        "step_started", "command_started", "command_process", "command_finished", "step_finished"]
    assert run.display.said("command") == ["echo a", "uptime"]


def test_a_local_shell_that_cannot_start_still_journals_the_command_it_was_to_run() -> None:
    journal = MemoryJournal()
    error = "cannot start /bin/nope: No such file or directory"
    run = make_engine(book("  - {id: a, run: echo a, on_failure: continue}\n"),
                      journal=journal, executor=ShellStartExecutor(journal, error=error))
    run.run()
    assert [e.type for e in run.events(step="a")] == [
        "step_started", "command_started", "command_finished", "step_finished"]
    assert run.events("command_started")[0].data["command"] == "echo a"
    assert run.events("command_finished")[0].data["hosts"][0]["error"] == error
    assert run.display.said("command") == ["echo a"]


def test_a_stop_while_a_local_shell_starts_journals_its_command_then_how_it_ended() -> None:
    journal = MemoryJournal()
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      journal=journal, executor=ShellStartExecutor(journal, stop=KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        run.run()
    assert [e.type for e in run.events(step="a")] == [
        "step_started", "command_started", "command_finished", "step_interrupted"]
    assert run.events("command_finished")[0].data["hosts"][0]["interrupted"] is True
    assert run.state().steps["a"].status == "interrupted"


STOPS = [BrokenPipeError(32, "the output was closed"), KeyboardInterrupt()]


@pytest.mark.parametrize("stop", STOPS)
@pytest.mark.parametrize("fails", ["command", "running"])
def test_a_terminal_that_fails_at_the_gate_leaves_one_start_and_its_end(
        stop: BaseException, fails: str) -> None:
    # `command`: the line cannot be shown, nothing is journaled yet; `running`: it
    # fails after command_started was written, which is not written again
    run = make_engine(book("  - {id: a, run: echo a}\n"))

    def closed(*_shown: object) -> None:
        raise stop

    setattr(run.display, fails, closed)
    with pytest.raises(type(stop)):
        run.run()
    assert [e.type for e in run.events(step="a")] == [
        "step_started", "command_started", "command_finished", "step_interrupted"]
    assert run.executor.commands == ["echo a"]  # its shell was started, never let through
    assert run.state().steps["a"].commands[0]["command"] == "echo a"


class SignalAtJournal(MemoryJournal):
    """A Ctrl-C that lands as the first event of `type_` is about to be written."""

    def __init__(self, type_: str) -> None:
        super().__init__()
        self.type_ = type_

    def append(self, type: str, step: str | None, actor: str,
               data: Mapping[str, Any] | None = None, *, sync: bool = True) -> Event:
        import signal

        if type == self.type_:
            self.type_ = ""
            signal.raise_signal(signal.SIGINT)  # its handler runs at once, unless held
        return super().append(type, step, actor, data, sync=sync)


@pytest.mark.parametrize(("lands_at", "journaled"), [
    # held until command_started is written; the gate then never opens
    ("command_started", ["step_started", "command_started", "command_finished",
                         "step_interrupted"]),
    # as before: the command never ran, and its end is journaled after its start
    ("command_process", ["step_started", "command_started", "command_finished",
                         "step_interrupted"]),
])
def test_a_ctrl_c_as_a_local_start_is_journaled_leaves_its_start_before_its_end(
        lands_at: str, journaled: list[str]) -> None:
    journal = SignalAtJournal(lands_at)
    run = make_engine(book("  - {id: a, run: echo a}\n"), journal=journal)
    with pytest.raises(KeyboardInterrupt):
        run.run()
    assert [e.type for e in run.events(step="a")] == journaled
    assert run.state().steps["a"].status == "interrupted"


def test_a_second_ctrl_c_while_a_stopped_start_is_journaled_waits_for_its_end() -> None:
    import signal

    journal = MemoryJournal()
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      journal=journal, executor=ShellStartExecutor(journal, stop=KeyboardInterrupt()))

    def second_ctrl_c() -> None:  # while command_started is published on the way out
        signal.raise_signal(signal.SIGINT)

    run.display.running = second_ctrl_c  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run.run()
    assert [e.type for e in run.events(step="a")] == [
        "step_started", "command_started", "command_finished", "step_interrupted"]


def test_a_stop_after_the_gate_journals_the_command_once() -> None:
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      executor=FakeExecutor({"echo a": KeyboardInterrupt()}))
    with pytest.raises(KeyboardInterrupt):
        run.run()
    assert [e.type for e in run.events(step="a")] == [
        "step_started", "command_started", "command_process", "command_finished",
        "step_interrupted"]


def test_step_timeout_and_environment_reach_the_executor() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, timeout: 5s, env: {NAME: "{{ who }}"}, cwd: "/srv/{{ who }}"}
  - {id: b, run: echo b}
"""), values={"who": "ops"})
    run.run()
    a, b = run.executor.specs
    assert (a.timeout, dict(a.env), a.cwd) == (5.0, {"NAME": "ops"}, "/srv/ops")
    assert (b.timeout, b.shell) == (30.0, "/bin/sh")


# --- what is journaled and shown -----------------------------------------------------

def test_a_command_start_and_end_are_journaled_in_full() -> None:
    run = make_engine(book("  - {id: a, ssh: echo a, hosts: [web1], timeout: 5s}\n"),
                      executor=FakeExecutor({"echo a": Out(0, "out\n")}))
    run.run()
    (started,) = run.events("command_started")
    assert started.data == {"command": "echo a", "hosts": ["web1"], "attempt": 1, "timeout": 5.0,
                            "log": "run-dir-never-written/logs/0001-a.log"}
    (finished,) = run.events("command_finished")
    assert finished.data["hosts"] == [{
        "host": "web1", "exit_code": 0, "duration": 0.01, "bytes": 0, "sha256": "", "tail": "out\n",
        "timed_out": False, "interrupted": False, "error": None, "log": "", "host_key_accepted": None}]
    assert run.display.said("command") == ["echo a"]
    duration = run.events("step_finished")[0].data["duration"]
    assert 0 <= duration < 60


def test_a_step_inside_an_include_gets_a_log_name_without_slashes() -> None:
    child = "id: child\ntitle: C\nsteps:\n  - {id: one, run: echo one}\n"
    run = make_engine(book("  - {id: sub, include: child}\n"), includes={"child": child})
    run.run()
    assert str(run.executor.specs[0].log_path) == "run-dir-never-written/logs/0001-child_one.log"


def test_a_large_capture_is_journaled_cut_and_marked_truncated() -> None:
    from runbookctl.engine.command_step import CAPTURE_JOURNAL

    big = "x" * (CAPTURE_JOURNAL + 10)
    run = make_engine(book("  - {id: get, run: echo big, capture: big}\n"),
                      executor=FakeExecutor({"big": Out(0, big)}))
    run.run()
    (cap,) = run.events("captured")
    assert (len(cap.data["value"]), cap.data["truncated"]) == (CAPTURE_JOURNAL, True)
    assert run.engine.vars.values["big"] == big


def test_a_token_like_string_in_the_output_is_masked_and_named() -> None:
    token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
    run = make_engine(book("  - {id: leak, run: echo leak}\n"),
                      executor=FakeExecutor({"leak": Out(0, f"token={token}")}))
    run.run()
    assert token not in run.events("command_finished")[0].to_line()
    (warning,) = run.display.said("warn")
    assert warning.startswith("masked a token-like string that is not a declared secret: ")
    assert warning.endswith(" in step leak")


def test_the_hardest_way_a_host_was_stopped_is_the_one_said() -> None:
    outcomes = {"web1": Out(None, interrupted=True, error="command stopped with SIGTERM"),
                "web2": Out(None, interrupted=True, error="command stopped with SIGKILL"),
                "web3": 0}
    run = make_engine(book("  - {id: a, ssh: echo a, hosts: [web1, web2, web3]}\n"),
                      executor=FakeExecutor({"echo a": outcomes}), prompter=FakePrompter(["skip"]))
    run.run()
    assert run.prompter.asked[0].key == "a"
    assert run.prompter.asked[0].text == "a was interrupted (Ctrl-C)"
    nobody = make_engine(book("  - {id: a, ssh: echo a, hosts: [web1, web2, web3]}\n"),
                         executor=FakeExecutor({"echo a": outcomes}),
                         prompter=FakePrompter(interactive=False))
    with pytest.raises(InterruptedRun) as err:
        nobody.run()
    assert err.value.message == "command stopped with SIGKILL"


def test_with_nobody_to_ask_an_interrupted_command_stops_the_run_saying_how() -> None:
    from runbookctl.signals import stopped_command

    reason = "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM"
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      executor=FakeExecutor({"echo a": Out(None, interrupted=True, error=reason)}),
                      prompter=FakePrompter(interactive=False))
    with pytest.raises(InterruptedRun) as err:
        run.run()
    assert stopped_command(err.value) == "command stopped with SIGTERM"
    (stop,) = run.events("step_interrupted")
    assert (stop.data["reason"], stop.data["command_stopped"]) == (reason, True)


def test_polling_stops_when_the_next_check_would_start_after_within(clock: FakeClock) -> None:
    run = make_engine(POLL.replace("within: 7s", "within: 6s"),
                      executor=FakeExecutor({"status": Out(0, "starting")}))
    run.run()
    assert run.executor.count("status") == 4  # at 0, 2, 4 and 6: 6 is still within 6s


def test_until_sees_every_hosts_output_prefixed_by_its_name(clock: FakeClock) -> None:
    poll = POLL.replace("run: echo status", "ssh: echo status\n    hosts: [web1, web2]").replace(
        "'ready' in result.stdout", "'web2: ready' in result.stdout and result.exit_code == 0")
    run = make_engine(poll, executor=FakeExecutor({"status": {"web1": Out(0, "up\nready"),
                                                              "web2": Out(0, "ready")}}))
    assert run.run() == ("completed", "all steps done")
    assert run.engine.vars.steps["wait"]["stdout"] == "web1: up\nweb1: ready\nweb2: ready"


def test_the_worst_host_gives_the_steps_exit_code() -> None:
    run = make_engine(book("""\
  - {id: a, ssh: echo a, hosts: [web1, web2, web3], on_failure: continue}
  - {id: b, run: "echo {{ steps.a.exit_code }} {{ steps.a.hosts.web3.exit_code }}"}
"""), executor=FakeExecutor({"echo a": {"web1": 0, "web2": 7, "web3": 9}}))
    run.run()
    assert run.executor.commands[-1] == "echo 7 9"


def test_a_confirm_gate_shows_the_command_and_its_hosts() -> None:
    run = make_engine(book("  - {id: a, ssh: uptime, hosts: [web1, web2], confirm: true, dangerous: true}\n"),
                      prompter=FakePrompter([True]))
    run.run()
    (asked,) = run.prompter.asked
    assert (asked.text, asked.dangerous) == ("Run this command on web1, web2?", True)
    # The display shows the command and its hosts before the question; the prompter gets
    # no copy to print again (#15.5: the command is shown once, indented as every line).
    assert run.display.commands_shown[0] == ("uptime", ["web1", "web2"])
    assert asked.detail is None


def test_the_shell_of_a_step() -> None:
    run = make_engine(book("""\
  - {id: a, run: echo a, shell: bash}
  - {id: b, run: echo b, shell: sh}
"""))
    run.run()
    assert [s.shell for s in run.executor.specs] == ["bash", "/bin/sh"]


def test_an_ssh_step_without_a_host_resolver_fails() -> None:
    run = make_engine(book("  - {id: a, ssh: uptime, hosts: [web1], on_failure: abort}\n"),
                      without=frozenset({"hosts"}))
    status, reason = run.run()
    assert status == "failed" and "ssh steps are not available in this build" in reason


def test_an_ssh_step_without_an_ssh_executor_is_an_internal_error() -> None:
    run = make_engine(book("  - {id: a, ssh: uptime, hosts: [web1]}\n"), without=frozenset({"ssh"}))
    with pytest.raises(RuntimeError, match="no SSH executor configured"):
        run.run()


def test_an_empty_sudo_password_means_passwordless_and_is_asked_once() -> None:
    run = make_engine(book("""\
  - {id: a, ssh: id, hosts: [web1], sudo: true}
  - {id: b, ssh: id, hosts: [web1], sudo: true}
"""), prompter=FakePrompter(secret=""))
    run.run()
    assert [a.kind for a in run.prompter.asked] == ["secret"]
    assert [s.sudo_password for s in run.executor.specs] == [None, None]
    assert [s.sudo for s in run.executor.specs] == [True, True]


# --- the confirm gate of a command, in full -------------------------------------------

def test_a_declined_command_gate_is_journaled_and_shown() -> None:
    run = make_engine(book("""\
  - {id: restart, run: systemctl restart app, confirm: "Restart {{ svc }}?"}
  - {id: after, run: echo after}
"""), values={"svc": "app"}, prompter=FakePrompter([False]))
    assert run.run() == ("aborted", "'no' at restart")
    assert run.answers() == [("restart", "confirm", "Restart app?\n$ systemctl restart app", False)]
    (asked,) = run.prompter.asked
    assert (asked.key, asked.dangerous) == ("restart", False)
    assert asked.detail is None  # the display shows the command: no second copy (#15.5)
    assert run.display.commands_shown == [("systemctl restart app", None)]
    assert run.display.said("skip") == ["no (terminal)"]
    assert run.executor.commands == []


def test_a_gate_on_hosts_shows_them_with_the_command() -> None:
    run = make_engine(book("  - {id: a, ssh: uptime, hosts: [web1, web2], confirm: Sure?}\n"),
                      prompter=FakePrompter([True]))
    run.run()
    assert run.display.commands_shown == [("uptime", ["web1", "web2"]), ("uptime", ["web1", "web2"])]


def test_a_confirm_question_that_cannot_be_rendered_fails_the_step_naming_it() -> None:
    run = make_engine(book("  - {id: a, run: echo a, confirm: \"Kill {{ nope }}?\", on_failure: continue}\n"))
    run.run()
    assert run.events("step_finished")[0].data["reason"] == \
        "cannot render question 'Kill {{ nope }}?': 'nope' is undefined"
    assert run.prompter.asked == [] and run.executor.commands == []


# --- what expressions see of a result -------------------------------------------------

def test_expect_sees_the_host_duration_timeout_and_ok_of_the_result() -> None:
    expect = ("result.ok and result.host == 'local' and result.duration > 0 and not result.timed_out "
              "and result.stderr == 'warn'")
    run = make_engine(book(f'  - {{id: a, run: echo a, expect: "{expect}", on_failure: continue}}\n'),
                      executor=FakeExecutor({"echo a": Out(0, "x", stderr="warn")}))
    run.run()
    assert run.statuses == {"a": "ok"}


def test_until_over_several_hosts_sees_no_single_host_and_the_longest_duration(clock: FakeClock) -> None:
    poll = POLL.replace("run: echo status", "ssh: echo status\n    hosts: [web1, web2]").replace(
        "'ready' in result.stdout", "result.host is none and result.duration == 0.01 and result.stderr == ''")
    run = make_engine(poll, executor=FakeExecutor({"status": Out(0, "ready", stderr="e")}))
    assert run.run() == ("completed", "all steps done")
    assert [e.data["reason"] for e in run.events("command_finished")] == ["ok"]


def test_until_names_every_host_not_ready_and_offers_to_retry_only_those(clock: FakeClock) -> None:
    poll = POLL.replace("run: echo status", "ssh: echo status\n    hosts: [web1, web2, web3]").replace(
        "on_failure: abort", "on_failure: ask").replace("within: 7s", "within: 1s")
    script = {"status": [{"web1": Out(0, "ready"), "web2": 1, "web3": Out(None, timed_out=True)},
                         Out(0, "ready")]}
    run = make_engine(poll, executor=FakeExecutor(script), prompter=FakePrompter(["retry-failed-hosts"]))
    assert run.run() == ("completed", "all steps done")
    first = run.events("command_finished")[0].data["reason"]
    assert first == "web2: exit code 1; web3: timed out after 30s"
    assert run.prompter.asked[0].choices[:2] == ("retry", "retry-failed-hosts")
    assert [list(s.hosts) for s in run.executor.specs] == [["web1", "web2", "web3"], ["web2", "web3"]]


def test_an_interrupt_journals_the_question_and_answer() -> None:
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      executor=FakeExecutor({"echo a": [Out(None, interrupted=True), 0]}),
                      prompter=FakePrompter(["retry"]))
    run.run()
    assert run.answers() == [("a", "on_failure", "a was interrupted (Ctrl-C)", "retry")]


def test_with_nobody_to_ask_the_executors_own_words_say_how_the_command_stopped() -> None:
    from runbookctl.signals import stopped_command

    reason = "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM; then SIGKILL"
    run = make_engine(book("  - {id: a, run: echo a}\n"),
                      executor=FakeExecutor({"echo a": Out(None, interrupted=True, error=reason)}),
                      prompter=FakePrompter(interactive=False))
    with pytest.raises(InterruptedRun) as err:
        run.run()
    assert stopped_command(err.value) == "command stopped with SIGTERM; then SIGKILL"


def test_the_spec_an_executor_gets() -> None:
    run = make_engine(book("""\
  - {id: a, ssh: uptime, hosts: [web1], parallel: 3}
  - {id: b, run: "echo {{ host }}"}
"""), values={"host": "db1"})
    run.run()
    a, b = run.executor.specs
    assert (a.step_id, a.parallel, dict(a.per_host)) == ("a", 3, {})
    assert (b.step_id, b.command) == ("b", "echo db1")
    assert run.display.said("step") == ["a", "b"]
    assert [e.data["start"] for e in run.events("command_process")] == ["start-time"]
