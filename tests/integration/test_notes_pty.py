"""Notes during a run (#14.3), in real pseudo-terminals: at any question the operator
adds a note with one key (Ctrl-N) or a menu's last entry and is asked the same question
again; `runbookctl note` from other terminals appends to the running run's journal;
the report's timeline shows every note in order, with its author, and verify passes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.helpers import (
    cli_env,
    journal_events,
    only_report,
    only_run_dir,
    prompt_re,
    run_cli,
    spawn_cli,
    write,
)
from tests.waiting import wait_event

pytestmark = pytest.mark.integration

DRIVER = Path(__file__).with_name("prompt_driver.py")
CTRL_N, ENTER, DOWN = "\x0e", "\r", "\x1b[B"
NOTE_PROMPT = "Note for the record (empty: none):"


def _driver() -> pexpect.spawn:
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    return pexpect.spawn(sys.executable, [str(DRIVER), "notes"], env=env, dimensions=(24, 100),
                         timeout=10, encoding="utf-8")


def _note_at(child: pexpect.spawn, question: str, text: str, key: str = CTRL_N) -> None:
    child.expect(prompt_re(question))
    child.send(key)
    child.expect(prompt_re(NOTE_PROMPT))
    child.send(text + ENTER)


def _taken(child: pexpect.spawn) -> list[str]:
    child.expect(r"NOTE (\[[^\r\n]*\])")
    got: list[str] = json.loads(child.match.group(1))
    return got


def _answer(child: pexpect.spawn) -> Any:
    child.expect(r"ANSWER (\{[^\r\n]*\})")
    return json.loads(child.match.group(1))["value"]


def test_a_note_at_every_kind_of_question_then_the_same_question_again() -> None:
    child = _driver()
    child.expect_exact("(Ctrl-N at any question adds a timestamped note to the record)")
    _note_at(child, "Restart the worker?", "before the gate")
    assert _taken(child) == ["restart", "before the gate"]
    child.expect(prompt_re("Restart the worker?"))  # asked again, still unanswered
    child.send("y" + ENTER)
    assert _answer(child) is True

    _note_at(child, "Type the step id 'kill-queries'", "3 blockers seen")
    assert _taken(child) == ["kill-queries", "3 blockers seen"]
    child.expect(prompt_re("Type the step id 'kill-queries'"))
    child.send("kill-queries" + ENTER)
    assert _answer(child) is True

    _note_at(child, "How many workers?", "load is 40")
    assert _taken(child) == ["workers", "load is 40"]
    child.expect(prompt_re("How many workers?"))
    child.send(ENTER)  # the default, 4: the note did not type into the answer
    assert _answer(child) == 4

    child.expect(prompt_re("sentry: done, skipped or failed?"))
    child.expect_exact("add a note…")  # a menu's last entry
    child.send(DOWN * 3 + ENTER)
    child.expect(prompt_re(NOTE_PROMPT))
    child.send("error rate 2%" + ENTER)
    assert _taken(child) == ["sentry", "error rate 2%"]
    child.expect(prompt_re("sentry: done, skipped or failed?"))
    child.send(ENTER)
    assert _answer(child) == "done"

    _note_at(child, "What now?", "")  # an empty note is no note
    child.expect_exact("no note added")
    child.expect(prompt_re("What now?"))
    child.send(DOWN + ENTER)
    assert _answer(child) == "skip"
    child.expect(pexpect.EOF)
    assert "NOTE " not in (child.before or "")


RUNBOOK = """\
    id: notes
    title: Notes drill
    steps:
      - id: look
        title: Look at the load
        run: echo load 40
      - id: restart
        title: Restart the workers
        confirm: Restart the workers?
      - id: after
        title: Check again
        run: echo load 3
"""


def _timeline_notes(report: str) -> list[tuple[str, str, str]]:
    """(title, text, who) of the note rows of the report's timeline, in order."""
    timeline = report.split("## Timeline", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in timeline.splitlines()
            if line.startswith("| ") and "Note" in line]
    return [(r[1], r[2], r[3]) for r in rows if r[1].startswith("Note")]


def test_notes_from_two_terminals_and_the_prompt_land_in_order_in_the_report(
        tmp_path: Path) -> None:
    write(tmp_path / "rb.yaml", RUNBOOK)
    state, reports = tmp_path / "state", tmp_path / "r"
    child = spawn_cli(["run", str(tmp_path / "rb.yaml"), "--report-dir", str(reports),
                       "--operator", "alice"], tmp_path, state)
    child.expect(prompt_re("Restart the workers?"))
    first = run_cli(["note", "--as", "bob", "paged the DBA"], tmp_path, state)
    assert first.code == 0, first.output
    assert "the run running now" in first.output and "note added" in first.output
    run_id = only_run_dir(state).name
    second = run_cli(["note", run_id[:20], "--as", "carol", "status page updated"], tmp_path, state)
    assert second.code == 0, second.output
    child.send(CTRL_N)
    child.expect(prompt_re(NOTE_PROMPT))
    child.send("waiting for the DBA's go" + ENTER)
    child.expect_exact("note added to the record")
    child.expect(prompt_re("Restart the workers?"))
    child.send("y" + ENTER)
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    notes = [e for e in journal_events(only_run_dir(state)) if e["type"] == "note"]
    assert [(e["actor"], e["data"]["origin"], e["step"]) for e in notes] == [
        ("bob", "command", None), ("carol", "command", None), ("alice", "prompt", "restart")]
    report = only_report(reports)
    assert _timeline_notes(report) == [
        ("Note", "paged the DBA", "bob"),
        ("Note", "status page updated", "carol"),
        ("Note (at Restart the workers)", "waiting for the DBA's go", "alice"),
    ]
    times = [row.split("|")[1].strip() for row in report.splitlines()
             if row.startswith("| ") and "| Note" in row]
    assert times == sorted(times) and all(re.fullmatch(r"\d\d:\d\d:\d\d", t) for t in times)
    report_file = next(reports.rglob("*.md"))
    verified = run_cli(["verify", str(report_file)], tmp_path, state)
    assert verified.code == 0, verified.output
    assert "intact" in verified.output


def test_many_notes_at_once_into_a_running_run_none_lost_and_the_chain_intact(
        tmp_path: Path) -> None:
    quick = "".join(f"  - id: s{n}\n    run: 'true'\n" for n in range(25))
    (tmp_path / "rb.yaml").write_text(
        "id: busy\ntitle: Busy\nsteps:\n"
        "  - id: wait\n    run: while [ ! -e go ]; do sleep 0.02; done\n" + quick)
    state, reports = tmp_path / "state", tmp_path / "r"
    run = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "run", str(tmp_path / "rb.yaml"), "--no-input",
         "--report-dir", str(reports)],
        cwd=tmp_path, env=cli_env(state), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_event(state, "command_started", "wait", alive=lambda: run.poll() is None)
    writers = [subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "note", "--as", f"w{i}", f"note {i}"],
        cwd=tmp_path, env=cli_env(state), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(10)]
    wait_event(state, "note", alive=lambda: run.poll() is None)
    (tmp_path / "go").touch()  # the run's own 25 steps now append while the notes do
    for writer in writers:
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0, out
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 0, out

    events = journal_events(only_run_dir(state))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert sorted((e["actor"], e["data"]["text"]) for e in events if e["type"] == "note") == \
        sorted((f"w{i}", f"note {i}") for i in range(10))
    report_file = next(reports.rglob("*.md"))
    verified = run_cli(["verify", str(report_file)], tmp_path, state)
    assert verified.code == 0, verified.output
    assert len(_timeline_notes(report_file.read_text())) == 10


def test_without_a_terminal_the_note_key_does_nothing_and_the_answers_file_answers(
        tmp_path: Path) -> None:
    write(tmp_path / "rb.yaml", RUNBOOK)
    (tmp_path / "answers.yaml").write_text("restart: yes\n")
    state = tmp_path / "state"
    result = run_cli(["run", str(tmp_path / "rb.yaml"), "--answers", str(tmp_path / "answers.yaml"),
                      "--report-dir", str(tmp_path / "r")], tmp_path, state,
                     stdin=CTRL_N + "a note?\n" + CTRL_N)
    assert result.code == 0, result.output
    assert "Ctrl-N" not in result.output  # nobody is offered a note: nobody is asked
    events = journal_events(only_run_dir(state))
    assert [e for e in events if e["type"] == "note"] == []
    assert [e["data"]["value"] for e in events if e["type"] == "answer"] == [True]
