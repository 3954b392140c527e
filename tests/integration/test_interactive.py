"""`interactive: true` through the whole CLI in a real pseudo-terminal (#15.1-3): the
keys reach the program, its exit code decides the step, the session is recorded as
an asciinema v2 cast (masked, no typed password), the report links it and shows
its last screen; without a terminal the step stops the run unless told to skip."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pexpect
import pytest

from tests.helpers import journal_events, only_report, only_run_dir, prompt_re, run_cli, spawn_cli, write
from tests.services import running_postgres
from tests.sshd import Fleet

pytestmark = pytest.mark.integration

ENTER = "\r"

TALK = """\
    id: talk
    title: Talk
    secrets:
      token: {env: RB_TALK_TOKEN}
    steps:
      - id: chat
        title: Answer the program
        interactive: true
        env: {TOKEN: "{{ token }}"}
        run: >-
          p=ame; printf "N$p? "; read name; stty -echo; printf "Pass%s? " word; read pw;
          stty echo; echo; echo "hello $name, token $TOKEN"; exit 3
        on_failure: after-failure
      - id: not-reached
        run: echo not reached
      - id: after-failure
        title: After the failure
        run: echo recovered
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "runbooks").mkdir()
    write(tmp_path / "runbooks" / "talk.yaml", TALK)
    return tmp_path


def _cast(run_dir: Path, step: str) -> tuple[dict[str, object], list[list[object]]]:
    lines = next((run_dir / "logs").glob(f"*-{step}.cast")).read_text().splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def test_keys_reach_the_program_and_on_failure_applies(work: Path) -> None:
    child = spawn_cli(["--runbooks", str(work / "runbooks"), "run", "talk",
                       "--report-dir", str(work / "reports")], work, work / "state",
                      RB_TALK_TOKEN="tok-talk-5a4b3c")
    child.expect_exact("Name? ")  # the program's own prompt, drawn on the pty
    child.send("ana" + ENTER)
    child.expect_exact("Password? ")
    child.send("typed-pass-77" + ENTER)
    child.expect_exact("hello ana, token ***")  # the operator's screen shows the output
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    run_dir = only_run_dir(work / "state")
    header, events = _cast(run_dir, "chat")
    assert header["version"] == 2 and header["width"] == 250 and header["height"] == 40
    assert all(isinstance(e[0], float) and e[1] in ("o", "i", "r") for e in events)
    typed = "".join(str(e[2]) for e in events if e[1] == "i")
    assert typed == "ana\r"  # the typed line is recorded; the password, typed unechoed, is not
    cast_text = next((run_dir / "logs").glob("*-chat.cast")).read_text()
    assert "typed-pass-77" not in cast_text
    finished = [e for e in journal_events(run_dir) if e["type"] == "command_finished"]
    assert finished[0]["data"]["hosts"][0]["exit_code"] == 3
    assert finished[0]["data"]["hosts"][0]["cast"].endswith("-chat.cast")
    steps = [e["step"] for e in journal_events(run_dir) if e["type"] == "step_started"]
    assert steps == ["chat", "after-failure"]  # on_failure: the exit code 3 decided
    # the session's process group is on record before it runs (a resumed run finds it)
    chat = [e for e in journal_events(run_dir) if e["step"] == "chat"]
    assert [e["type"] for e in chat][:4] == [
        "step_started", "command_started", "command_process", "command_finished"]
    assert chat[2]["data"]["pgid"] > 1
    report = only_report(work / "reports")
    assert "session recording <code>" in report and "-chat.cast</code>" in report
    # the last screen as text, as a terminal showed it: no escape codes, no \r
    screen = report.split("-chat.cast</code> · its last screen below</summary>")[1]
    screen = screen.split("</pre>")[0]
    assert "Name? ana\nPassword?\nhello ana, token ***" in screen
    assert "\r" not in screen and "\x1b" not in screen


def test_a_no_input_run_refuses_an_interactive_step_with_exit_2(work: Path) -> None:
    result = run_cli(["--runbooks", str(work / "runbooks"), "run", "talk", "--no-input",
                      "--report-dir", str(work / "reports")], work, work / "state",
                     RB_TALK_TOKEN="tok-talk-5a4b3c")
    assert result.code == 2, result
    assert "step 'chat' is interactive (it needs a terminal" in result.stdout + result.stderr
    assert 'Add "chat: {session: skip}" to an answers file' in result.stdout + result.stderr
    events = journal_events(only_run_dir(work / "state"))
    assert not [e for e in events if e["type"] == "command_started"]  # never half-attached


def test_the_answers_file_can_skip_it_and_the_report_says_so(work: Path) -> None:
    answers = write(work / "answers.yaml", "chat: {session: skip}\n")
    result = run_cli(["--runbooks", str(work / "runbooks"), "run", "talk", "--no-input",
                      "--answers", str(answers), "--report-dir", str(work / "reports")],
                     work, work / "state", RB_TALK_TOKEN="tok-talk-5a4b3c")
    assert result.code == 0, result
    report = only_report(work / "reports")
    assert "| Answer the program | interactive session" in report
    assert "skipped (session: skip, no terminal)" in report
    validated = run_cli(["--runbooks", str(work / "runbooks"), "validate", "talk", "--answers",
                         str(answers)], work, work / "state")
    assert validated.code == 0, validated


def test_a_wrong_session_answer_is_refused_by_validate(work: Path) -> None:
    answers = write(work / "answers.yaml", "chat: {session: run}\n")
    result = run_cli(["--runbooks", str(work / "runbooks"), "validate", "talk", "--answers",
                      str(answers)], work, work / "state")
    assert result.code != 0
    assert re.search(r"answers.yaml:1:\d+: chat: an interactive step is answered "
                     r"\{session: skip\}", result.stdout + result.stderr), result


def test_capture_does_not_go_with_interactive(work: Path) -> None:
    write(work / "runbooks" / "bad.yaml", """\
        id: bad
        title: Bad
        steps:
          - id: s
            run: psql
            interactive: true
            capture: out
    """)
    result = run_cli(["--runbooks", str(work / "runbooks"), "validate", "bad"], work, work / "state")
    assert result.code == 2
    assert "bad.yaml:7:5: `capture` does not go with `interactive: true`" in result.stderr


def test_an_interactive_psql_session_against_a_real_postgres(work: Path) -> None:
    with running_postgres() as pg:
        write(work / "runbooks" / "look.yaml", f"""\
            id: look
            title: Look around the database
            steps:
              - id: psql
                title: A psql session
                interactive: true
                run: psql -X {" ".join(pg.conn_args())}
              - id: done
                run: echo looked
        """)
        child = spawn_cli(["--runbooks", str(work / "runbooks"), "run", "look",
                           "--report-dir", str(work / "reports")], work, work / "state")
        child.expect(r"postgres=# ")
        child.send("select 40 + 2 as answer;" + ENTER)
        child.expect(r"\b42\b")
        child.expect(r"postgres=# ")
        child.send("\\q" + ENTER)
        child.expect_exact("Run completed")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    run_dir = only_run_dir(work / "state")
    _, events = _cast(run_dir, "psql")
    assert "select 40 + 2 as answer;" in "".join(str(e[2]) for e in events if e[1] == "i")
    assert "42" in "".join(str(e[2]) for e in events if e[1] == "o")
    report = only_report(work / "reports")
    assert "postgres=# select 40 + 2 as answer;" in report  # the last screen


def test_an_interactive_ssh_session_on_one_host(tmp_path: Path, sshd_fleet: Fleet) -> None:
    server = sshd_fleet.hosts(1)[0]
    project = tmp_path / "project"
    (project / "runbooks").mkdir(parents=True)
    write(project / "runbooks" / "remote.yaml", f"""\
        id: remote
        title: Remote session
        steps:
          - id: shell
            title: Look around on the host
            interactive: true
            ssh: 'printf "Host%s " "?"; read answer; echo "remote got $answer"; exit 4'
            hosts: {server.spec}
            on_failure: continue
    """)
    (project / "runbookctl.yaml").write_text(
        "ssh:\n"
        f"  identity_file: {sshd_fleet.client_key}\n"
        f"  known_hosts: {sshd_fleet.known_hosts}\n"
        f"  config_file: {sshd_fleet.root / 'no-ssh-config'}\n"
        "  connect_timeout: 5s\n")
    child = spawn_cli(["run", "remote", "--report-dir", str(project / "reports")], project,
                      project / "state")
    child.expect_exact("Host? ")
    child.send("yes-remote" + ENTER)
    child.expect_exact("remote got yes-remote")
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    run_dir = only_run_dir(project / "state")
    (cast,) = (run_dir / "logs").glob("*-shell*.cast")
    events = [json.loads(line) for line in cast.read_text().splitlines()[1:]]
    assert "yes-remote\r" in "".join(str(e[2]) for e in events if e[1] == "i")
    finished = [e for e in journal_events(run_dir) if e["type"] == "command_finished"]
    assert finished[0]["data"]["hosts"][0]["exit_code"] == 4
    assert finished[0]["data"]["hosts"][0]["host"] == server.spec


SHELLS = """\
    id: look
    title: Look first
    steps:
      - id: gate
        title: Restart the worker
        confirm: Restart the worker?
      - id: check
        title: Dashboard check
        manual: Check the dashboard.
"""


def test_a_shell_from_a_question_then_the_same_question_again(work: Path) -> None:
    write(work / "runbooks" / "look.yaml", SHELLS)
    child = spawn_cli(["--runbooks", str(work / "runbooks"), "run", "look",
                       "--report-dir", str(work / "reports")], work, work / "state",
                      SHELL="/bin/sh", PS1="shell> ")
    child.expect_exact("! opens a shell here")  # said before the question
    child.expect(prompt_re("Restart the worker?"))
    child.send("!")
    child.expect_exact("shell> ")
    child.send('echo "in the shell at $RUNBOOKCTL_STEP"' + ENTER)
    child.expect_exact("in the shell at gate")
    child.send("exit 5" + ENTER)
    child.expect_exact("back from the shell (exit 5)")
    child.expect(prompt_re("Restart the worker?"))  # the same question, asked again
    child.send("y")
    child.expect(prompt_re("check: done, skipped or failed?"))
    child.send("!")  # a menu takes the key too
    child.expect_exact("shell> ")
    child.send("exit" + ENTER)
    child.expect(prompt_re("check: done, skipped or failed?"))
    child.send(ENTER)  # done
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    run_dir = only_run_dir(work / "state")
    shells = [e for e in journal_events(run_dir) if e["type"] == "shell"]
    assert [(e["step"], e["data"]["exit_code"]) for e in shells] == [("gate", 5), ("check", 0)]
    _, events = _cast(run_dir, "gate.shell")
    assert 'echo "in the shell at $RUNBOOKCTL_STEP"' in "".join(
        str(e[2]) for e in events if e[1] == "i")
    timeline = only_report(work / "reports").split("## Timeline")[1].split("## Steps")[0]
    # the shell, then the answer given after it, in the step's row
    assert re.search(r"\| Restart the worker \| opened a shell \(/bin/sh, exit 5, [^|;]*\); "
                     r"recorded in [^|;]*-gate\.shell\.cast; Restart the worker\? → yes", timeline), \
        timeline


def test_commit_carries_the_session_recording(work: Path) -> None:
    from tests.helpers import git, postmortem_repo

    repo = postmortem_repo(work / "postmortems")
    write(work / "runbooks" / "rec.yaml", """\
        id: rec
        title: Recorded
        steps:
          - id: look
            interactive: true
            run: 'printf "Ready%s " "?"; read a; echo "saw $a"'
    """)
    child = spawn_cli(["--runbooks", str(work / "runbooks"), "run", "rec", "--commit",
                       "--report-dir", str(repo / "incidents")], work, work / "state")
    child.expect_exact("Ready? ")
    child.send("yes" + ENTER)
    child.expect_exact("Run completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    (report_path,) = (repo / "incidents").glob("*.md")
    report = report_path.read_text()
    (link,) = re.findall(r"Session recording \(asciinema\): \[[^\]]+\]\(([^)]+)\)", report)
    copied = report_path.parent / link
    assert copied.is_file() and link.endswith("-look.cast")
    assert str(copied.relative_to(repo)) in git(repo, "ls-files").splitlines()
    assert json.loads(copied.read_text().splitlines()[0])["version"] == 2
    verified = run_cli(["verify", str(report_path)], repo, work / "state")
    assert verified.code == 0, verified.output
    copied.write_text(copied.read_text().replace("saw yes", "saw no!"))
    tampered = run_cli(["verify", str(report_path)], repo, work / "state")
    assert tampered.code == 1 and "-look.cast" in tampered.stderr, tampered.output
