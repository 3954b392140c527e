"""engine/shell_escape.py: a shell opened at a question runs on a real pty (a second
pty stands in for the operator's terminal), in the run's folder with the run's
environment, and is journaled with its recording for the timeline."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from runbookctl.engine.shell_escape import open_shell
from runbookctl.executors.cast import read_cast
from runbookctl.safety.masking import Redactor
from tests.pty_operator import DEADLINE, Operator
from tests.unit.engine.fakes import OPERATOR, make_engine

BOOK = "id: t\ntitle: T\nsteps:\n  - {id: gate, confirm: Go?}\n"


def test_the_shell_runs_where_the_run_runs_and_is_journaled(
        tmp_path: Path, operator: Operator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHELL", "/bin/sh")
    monkeypatch.setenv("PS1", "shell> ")
    monkeypatch.chdir(tmp_path)
    redactor = Redactor()
    redactor.add("tok-shell-1234")
    run = make_engine(BOOK, run_dir=tmp_path / "run", redactor=redactor)
    typist = operator.type_after([(b"shell> ", b'echo "at $RUNBOOKCTL_STEP in $(pwd) tok-shell-1234"\r'),
                                  (b"at gate in", b"exit 7\r")])
    # the shell has no deadline of its own (a person leaves it): the test gives it one
    watchdog = threading.Timer(DEADLINE, lambda: os.write(operator.master, b"\x03exit 99\r"))
    watchdog.start()
    try:
        result = open_shell(run.engine, "gate", operator.slave, operator.slave)
    finally:
        watchdog.cancel()
    typist.join(DEADLINE)
    operator.wait_for(f"at gate in {tmp_path} ***".encode())
    assert result.exit_code == 7
    (event,) = run.events("shell")
    assert event.step == "gate" and event.actor == OPERATOR
    assert event.data["exit_code"] == 7 and event.data["shell"] == "/bin/sh"
    assert event.data["cwd"] == str(tmp_path)
    cast = Path(event.data["cast"])
    assert cast.parent == tmp_path / "run" / "logs" and cast.name.endswith("-gate.shell.cast")
    _, events = read_cast(cast)
    assert "tok-shell-1234" not in cast.read_text()
    assert "echo" in "".join(str(e[2]) for e in events if e[1] == "i")
    row = run.state().timeline[-1]
    assert row["step"] == "gate" and row["what"].startswith("opened a shell (/bin/sh, exit 7, ")
