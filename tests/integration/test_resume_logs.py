"""A resumed run keeps every log of its earlier sessions: each command's log file still
holds what the journal's sha256 says, even when the resumed session reruns the step
whose command wrote the first log."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.helpers import only_run_dir, run_cli

pytestmark = pytest.mark.integration

BOOK = """\
id: flaky
title: Flaky check
steps:
  - id: check
    title: Check the flag
    run: 'if test -f {{ flag }}; then echo second-session; else echo first-session; exit 1; fi'
    on_failure: ask
inputs:
  flag: {type: str}
"""


def test_a_rerun_step_after_resume_does_not_overwrite_the_first_sessions_log(tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()
    (books / "flaky.yaml").write_text(BOOK)
    flag, state = tmp_path / "flag", tmp_path / "state"
    common = ["--runbooks", str(books)]
    first = run_cli([*common, "run", "flaky", "--var", f"flag={flag}", "--no-input",
                     "--report-dir", str(tmp_path / "reports")], cwd=tmp_path, state=state)
    assert first.code == 2, first.output  # stopped at the failure prompt: no one to answer
    flag.write_text("")
    (tmp_path / "answers.yaml").write_text("check: {on_failure: retry}\n")
    second = run_cli([*common, "resume", "--no-input", "--answers", str(tmp_path / "answers.yaml")],
                     cwd=tmp_path, state=state)
    assert second.code == 0, second.output
    events = [json.loads(line) for line in
              (only_run_dir(state) / "journal.jsonl").read_text().splitlines()]
    hosts = [h for e in events if e["type"] == "command_finished" for h in e["data"]["hosts"]]
    assert len(hosts) == 2
    assert hosts[0]["log"] != hosts[1]["log"]
    for host, said in zip(hosts, ["first-session", "second-session"], strict=True):
        content = Path(host["log"]).read_bytes()
        assert said.encode() in content
        assert hashlib.sha256(content).hexdigest() == host["sha256"]
