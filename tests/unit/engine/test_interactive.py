"""engine/interactive.py in-process: an interactive step is handed the terminal only
when a person is there; without one it stops the run unless the answers file says
skip; its exit code decides the step as for any command. The pseudo-terminal itself
is tested in tests/unit/executors/test_pty_session.py and through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import NoAnswerError
from runbookctl.executors.base import LOCAL, CommandSpec, HostResult
from runbookctl.prompts.protocol import ORIGIN_ANSWERS, Answer
from tests.unit.engine.fakes import FakePrompter, make_engine

BOOK = """\
id: t
title: T
steps:
  - {id: look, interactive: true, run: psql, on_failure: after}
  - {id: skipped-over, run: echo skipped-over}
  - {id: after, run: echo after}
"""


class Sessions:
    """Stands in for the pseudo-terminal: the specs handed over, and their exit codes."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.specs: list[CommandSpec] = []

    def __call__(self, spec: CommandSpec, _masker: object) -> HostResult:
        self.specs.append(spec)
        cast = str(Path(spec.log_path).with_suffix(".cast"))
        return HostResult(LOCAL, self.code, 1.0, tail="db=> \\q", log_path=str(spec.log_path),
                          cast_path=cast)


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> Sessions:
    fake = Sessions(3)
    monkeypatch.setattr("runbookctl.executors.pty_session.run_interactive", fake)
    return fake


def test_its_exit_code_decides_the_step_and_on_failure_applies(sessions: Sessions) -> None:
    run = make_engine(BOOK)
    assert run.run() == ("completed", "completed; failed steps continued past: look")
    assert [s.command for s in sessions.specs] == ["psql"]
    assert sessions.specs[0].interactive and sessions.specs[0].timeout is None  # no default timeout
    assert run.walked == ["look", "after"]
    (finished,) = run.events("command_finished", "look")
    assert finished.data["hosts"][0]["cast"].endswith(".cast")
    assert finished.data["hosts"][0]["exit_code"] == 3
    assert run.executor.commands == ["echo after"]  # the session did not go to the executor


def test_an_explicit_timeout_is_kept(sessions: Sessions) -> None:
    run = make_engine(BOOK.replace("run: psql,", "run: psql, timeout: 5m,"))
    run.run()
    assert sessions.specs[0].timeout == 300.0


def test_without_a_terminal_the_run_stops_before_anything_runs(sessions: Sessions) -> None:
    run = make_engine(BOOK, prompter=FakePrompter(interactive=False))
    with pytest.raises(NoAnswerError, match="step 'look' is interactive"):
        run.run()
    assert sessions.specs == [] and run.events("command_started") == []
    assert run.state().steps["look"].status == "interrupted"


class SkipWritten(FakePrompter):
    def hand_over(self, key: str, command: str) -> Answer:
        return Answer("skip", ORIGIN_ANSWERS, "answers.yaml")


def test_a_written_skip_skips_it_and_records_who_said_so(sessions: Sessions) -> None:
    run = make_engine(BOOK, prompter=SkipWritten(interactive=False))
    assert run.run() == ("completed", "all steps done")
    assert sessions.specs == []
    assert run.statuses["look"] == "skipped"
    assert run.answers() == [("look", "session", "interactive session: psql", "skip")]
    assert run.walked == ["look", "skipped-over", "after"]


def test_a_session_on_several_hosts_is_refused_as_a_failure(sessions: Sessions) -> None:
    book = BOOK.replace("run: psql, on_failure: after",
                        "ssh: psql, hosts: [db1, db2], on_failure: after")
    run = make_engine(book)
    run.run()
    assert sessions.specs == [] and run.statuses["look"] == "failed"
    assert run.display.said("fail") == [
        "interactive: a session is on one host, 2 given (db1, db2)"]
