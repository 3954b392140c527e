"""Multi-line `run` and `ssh` commands stop at their first failing line (set -e; bash
also -o pipefail), through the real CLI and real shells; `errexit: false` runs every
line as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import journal_events, only_run_dir, run_cli, write
from tests.sshd import Fleet

pytestmark = pytest.mark.integration


def _run(work: Path, steps: str, *, config: str = "", inventory: str = "") -> tuple[int, str]:
    (work / "runbooks").mkdir(exist_ok=True)
    write(work / "runbooks" / "strict.yaml", f"id: strict\ntitle: Strict\nsteps:\n{steps}")
    if inventory:
        write(work / "runbooks" / "inventory.yaml", inventory)
    if config:
        write(work / "runbookctl.yaml", config)
    result = run_cli(["--runbooks", str(work / "runbooks"), "run", "strict", "--no-input",
                      "--report-dir", str(work / "reports")], cwd=work, state=work / "state")
    return result.code, result.output


def _finished(work: Path, step: str) -> tuple[str, list[int | None]]:
    """The step's status and the exit code of each host, as journaled."""
    events = journal_events(only_run_dir(work / "state"))
    end = next(e for e in events if e["type"] == "step_finished" and e["step"] == step)
    cmd = next(e for e in events if e["type"] == "command_finished" and e["step"] == step)
    return end["data"]["status"], [h["exit_code"] for h in cmd["data"]["hosts"]]


def test_the_second_line_failing_stops_the_command_with_its_exit_code(work: Path) -> None:
    code, out = _run(work, """\
  - id: two
    run: |
      echo first-line-ran
      sh -c 'exit 7'
      touch out/third-line-ran
    on_failure: continue
""")
    assert code == 0, out  # completed: the failure was continued past
    assert "first-line-ran" in out and "exit code 7" in out
    assert not (work / "out" / "third-line-ran").exists()
    assert _finished(work, "two") == ("failed", [7])


def test_bash_also_fails_on_a_failing_pipeline_stage_sh_does_not(work: Path) -> None:
    code, out = _run(work, """\
  - id: bash-pipe
    shell: bash
    run: |
      false | cat
      touch out/bash-went-on
    on_failure: continue
  - id: sh-pipe
    run: |
      false | cat
      touch out/sh-went-on
""")
    assert code == 0, out
    assert _finished(work, "bash-pipe") == ("failed", [1])
    assert not (work / "out" / "bash-went-on").exists()
    # dash has no pipefail: a pipeline's status is its last stage's, as sh always had it
    assert _finished(work, "sh-pipe") == ("ok", [0])
    assert (work / "out" / "sh-went-on").exists()


def test_errexit_false_runs_every_line(work: Path) -> None:
    code, out = _run(work, """\
  - id: loose
    errexit: false
    shell: bash
    run: |
      false | cat
      sh -c 'exit 5'
      touch out/last-line-ran
""")
    assert code == 0, out
    assert (work / "out" / "last-line-ran").exists()
    assert _finished(work, "loose") == ("ok", [0])


def test_a_single_line_command_is_unaffected(work: Path) -> None:
    code, out = _run(work, """\
  - id: one
    run: "false; touch out/went-on"
""")
    assert code == 0, out
    assert (work / "out" / "went-on").exists()


def test_an_ssh_command_stops_at_its_failing_line_on_the_host(work: Path, sshd_fleet: Fleet) -> None:
    host = sshd_fleet.hosts(1)[0]
    scratch = sshd_fleet.scratch()
    code, out = _run(work, f"""\
  - id: remote
    hosts: web
    ssh: |
      echo remote-first
      sh -c 'exit 6'
      touch {scratch}/remote-went-on
    on_failure: continue
""", inventory=f"web:\n  - {host.spec}\n", config=(
        "ssh:\n"
        f"  identity_file: {sshd_fleet.client_key}\n"
        f"  known_hosts: {sshd_fleet.known_hosts}\n"
        f"  config_file: {sshd_fleet.root / 'no-ssh-config'}\n"
        "  connect_timeout: 5s\n"))
    assert code == 0, out
    assert "remote-first" in out
    assert not (Path(scratch) / "remote-went-on").exists()
    assert _finished(work, "remote") == ("failed", [6])
