"""The options of `run` are checked before anything runs (exit 2, no run created) —
`--hosts`, `--vars-file`, where the report goes and `--commit` — and `--hosts`, which says
where the run acts, is kept for `resume`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import CliResult, journal_events, only_report, only_run_dir, run_cli

pytestmark = pytest.mark.integration

HOSTS = """\
id: h
title: Hosts
hosts:
  db: db-prod.invalid
steps:
  - {id: check, run: "touch ran; false", readonly: true}
  - {id: q, ssh: uptime, hosts: db}
"""


def _book(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("option", ["db", "db=", "=db-staging.invalid"])
def test_a_malformed_hosts_option_is_refused_before_the_first_step(option: str,
                                                                    tmp_path: Path) -> None:
    rb = _book(tmp_path, "h.yaml", HOSTS)
    result = run_cli(["run", str(rb), "--no-input", "--hosts", option], cwd=tmp_path,
                     state=tmp_path / "state")
    assert result.code == 2, result.output
    assert result.stderr == f"runbookctl: --hosts expects GROUP=host1,host2, got '{option}'\n"
    assert not (tmp_path / "ran").exists()
    assert not (tmp_path / "state").exists()  # no run was created


def test_a_hosts_group_no_step_uses_is_refused_with_the_near_one(tmp_path: Path) -> None:
    rb = _book(tmp_path, "h.yaml", HOSTS)
    result = run_cli(["run", str(rb), "--no-input", "--dry-run", "--hosts",
                      "dbb=db-staging.invalid"], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert result.stderr == ("runbookctl: --hosts dbb=db-staging.invalid: no step of h runs on "
                             "a group 'dbb' (did you mean 'db'?); its steps run on: db\n")
    assert not (tmp_path / "state").exists()


def test_a_hosts_group_an_included_runbooks_step_uses_is_taken(tmp_path: Path) -> None:
    _book(tmp_path, "child.yaml", HOSTS.replace("id: h\n", "id: child\n"))
    _book(tmp_path, "parent.yaml", "id: parent\ntitle: P\nsteps:\n  - {id: in, include: child}\n")
    result = run_cli(["--runbooks", str(tmp_path), "run", "parent", "--no-input", "--dry-run",
                      "--hosts", "db=db-staging.invalid", "--answers",
                      str(_book(tmp_path, "a.yaml", "child/check: {on_failure: skip}\n"))],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert "would run on db-staging.invalid" in result.stdout


def test_resume_runs_on_the_hosts_the_run_began_with_and_the_report_says_so(
    tmp_path: Path,
) -> None:
    """Before, resume dropped --hosts: the retried step ran on the runbook's production host."""
    rb = _book(tmp_path, "h.yaml", HOSTS)
    state, reports = tmp_path / "state", tmp_path / "reports"
    first = run_cli(["run", str(rb), "--no-input", "--dry-run", "--report-dir", str(reports),
                     "--hosts", "db=db-staging.invalid"], cwd=tmp_path, state=state)
    assert first.code == 2, first.output  # `check` failed, nobody to ask: interrupted
    run_dir = only_run_dir(state)
    started = journal_events(run_dir)[0]
    assert started["data"]["hosts"] == {"db": ["db-staging.invalid"]}
    answers = _book(tmp_path, "a.yaml", "check: {on_failure: skip}\n")
    resumed = run_cli(["resume", run_dir.name, "--no-input", "--answers", str(answers)],
                      cwd=tmp_path, state=state)
    assert resumed.code == 0, resumed.output
    assert "would run on db-staging.invalid (root@db-staging.invalid:22): uptime" in resumed.stdout
    assert "db-prod" not in resumed.output
    assert "| **Hosts** | --hosts db=db-staging.invalid |" in only_report(reports)


VARS = """\
id: v
title: Vars
inputs:
  port: {type: int, default: 1}
steps:
  - {id: a, run: "echo port={{ port }}"}
"""


@pytest.mark.parametrize(("text", "where", "message"), [
    ("port: eighty\n", "1:7", "input port: 'eighty' is not an integer (from --vars-file)"),
    ("prot: 8080\n", "1:1", "prot: the runbook has no input 'prot' (inputs: port)"),
])
def test_a_vars_file_problem_is_named_at_its_place_before_the_run(
    text: str, where: str, message: str, tmp_path: Path,
) -> None:
    """Before: no place for a bad value, and a mistyped name ran the default, exit 0
    (while `--var prot=8080` was refused)."""
    rb = _book(tmp_path, "v.yaml", VARS)
    vars_file = _book(tmp_path, "vars.yaml", text)
    result = run_cli(["run", str(rb), "--no-input", "--vars-file", str(vars_file)], cwd=tmp_path,
                     state=tmp_path / "state")
    assert result.code == 2, result.output
    col = int(where.split(":")[1])
    caret = " " * (col - 1) + "^"
    assert f"{vars_file}:{where}: {message}\n    {text.rstrip()}\n    {caret}\n" in result.stderr
    assert "port=" not in result.stdout
    assert not (tmp_path / "state").exists()


# --- where the report goes: checked before the first step ---------------------------------

OK = "id: ok\ntitle: OK\nsteps:\n  - {id: a, run: touch ran}\n"


def _refused_before_the_run(result: CliResult, tmp_path: Path, message: str) -> None:
    assert result.code == 2, result.output
    assert result.stderr == f"runbookctl: {message}\n"
    assert not (tmp_path / "ran").exists()
    assert not (tmp_path / "state").exists()


def test_a_report_dir_that_is_a_file_is_refused_before_the_first_step(tmp_path: Path) -> None:
    """Before, every step ran, the report could not be written, and the run exited 0."""
    rb = _book(tmp_path, "ok.yaml", OK)
    _book(tmp_path, "notadir", "")
    for where, message in [
        ("notadir", "--report-dir notadir: is not a folder; the report could not be written "
                    "there"),
        ("notadir/sub", f"--report-dir notadir/sub: cannot be made: {tmp_path / 'notadir'} is "
                        "not a folder; the report could not be written there"),
    ]:
        result = run_cli(["run", str(rb), "--no-input", "--report-dir", where], cwd=tmp_path,
                         state=tmp_path / "state")
        _refused_before_the_run(result, tmp_path, message)


def test_a_reports_folder_that_cannot_be_written_is_refused_before_the_first_step(
    tmp_path: Path,
) -> None:
    rb = _book(tmp_path, "ok.yaml", OK)
    result = run_cli(["run", str(rb), "--no-input", "--report-dir", "/proc/reports"],
                     cwd=tmp_path, state=tmp_path / "state")
    _refused_before_the_run(result, tmp_path, "--report-dir /proc/reports: cannot write to "
                            "/proc: No such file or directory; the report could not be written "
                            "there")
    if os.geteuid() == 0:
        return  # root writes into a folder of mode 0555
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = run_cli(["run", str(rb), "--no-input", "--report-dir", str(locked)],
                     cwd=tmp_path, state=tmp_path / "state")
    _refused_before_the_run(result, tmp_path, f"--report-dir {locked}: cannot write to {locked}: "
                            "Permission denied; the report could not be written there")


def test_the_configs_reports_dir_is_checked_and_named(tmp_path: Path) -> None:
    rb = _book(tmp_path, "ok.yaml", OK)
    _book(tmp_path, "notadir", "")
    _book(tmp_path, "runbookctl.yaml", "reports_dir: notadir\n")
    result = run_cli(["run", str(rb), "--no-input"], cwd=tmp_path, state=tmp_path / "state")
    _refused_before_the_run(result, tmp_path, f"reports_dir (runbookctl.yaml) {tmp_path}/notadir: "
                            "is not a folder; the report could not be written there")


def test_resume_checks_the_runs_report_folder_before_a_step(tmp_path: Path) -> None:
    rb = _book(tmp_path, "h.yaml", HOSTS)
    state, reports = tmp_path / "state", tmp_path / "reports"
    first = run_cli(["run", str(rb), "--no-input", "--dry-run", "--report-dir", str(reports)],
                    cwd=tmp_path, state=state)
    assert first.code == 2, first.output  # `check` failed, nobody to ask: interrupted
    shutil.rmtree(reports)
    reports.write_text("")
    (tmp_path / "ran").unlink()
    resumed = run_cli(["resume", only_run_dir(state).name, "--no-input"], cwd=tmp_path,
                      state=state)
    assert resumed.code == 2, resumed.output
    assert resumed.stderr == (f"runbookctl: the run's report folder {reports}: is not a folder; "
                              "the report could not be written there\n")
    assert not (tmp_path / "ran").exists()
