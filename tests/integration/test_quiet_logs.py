"""A command that prints nothing leaves no log file (executors/output.py, LogWriter): its
record says so (`log` empty, 0 bytes, the empty output's sha256), nothing links it, and
`--commit` carries only the logs of commands that printed something; a command that
prints, even on stderr only, keeps its log as before."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.helpers import git, journal_events, only_run_dir, run_cli

pytestmark = pytest.mark.integration

RUNBOOK = """\
id: quiet
title: Quiet and loud steps
steps:
  - id: silent
    run: "true"
  - id: loud
    run: echo to stdout
  - id: grumble
    run: echo to stderr >&2
  - id: touch
    run: touch {{ out }}
inputs:
  out: {prompt: A file to touch}
"""


def test_only_commands_with_output_have_a_log(tmp_path: Path) -> None:
    (tmp_path / "quiet.yaml").write_text(RUNBOOK)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    touched = tmp_path / "touched"
    result = run_cli(["run", "quiet.yaml", "--no-input", "--var", f"out={touched}",
                      "--report-dir", str(repo / "incidents"), "--commit"],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert touched.exists()
    run_dir = only_run_dir(tmp_path / "state")
    assert sorted(p.name for p in (run_dir / "logs").iterdir()) == ["0002-loud.log",
                                                                     "0003-grumble.log"]
    assert (run_dir / "logs" / "0003-grumble.log").read_text() == "to stderr\n"
    hosts = {e["step"]: e["data"]["hosts"][0] for e in journal_events(run_dir)
             if e["type"] == "command_finished"}
    empty = hashlib.sha256(b"").hexdigest()
    for quiet in ("silent", "touch"):
        assert hosts[quiet]["log"] == "" and hosts[quiet]["bytes"] == 0
        assert hosts[quiet]["sha256"] == empty and hosts[quiet]["exit_code"] == 0
    assert hosts["loud"]["log"] == str(run_dir / "logs" / "0002-loud.log")
    committed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(Path(f).name for f in committed if f.endswith(".log")) == [
        "0002-loud.log", "0003-grumble.log"]
    report = (repo / committed[-1]).read_text()
    assert report.count("· no output, no log</summary>") == 2 and "<code></code>" not in report
    verified = run_cli(["verify", str(repo / committed[-1])], cwd=tmp_path,
                       state=tmp_path / "state")
    assert verified.code == 0, verified.output
