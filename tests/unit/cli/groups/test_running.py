"""run, weekly, resume, discard (cli/groups/running.py): every option reaches the request."""

from __future__ import annotations

from pathlib import Path

from runbookctl.cli.commands import resume, run, stale, weekly
from runbookctl.engine.request import RunRequest
from tests.unit.cli.groups.conftest import SESSION, UI, Bodies

EVERY_OPTION = ["--var", "a=1", "--var", "b=2", "--vars-file", "v.yaml", "--answers", "ans.yaml",
                "--yes", "--no-input", "--dry-run", "--from", "s2", "--report-dir", "out",
                "--operator", "ann", "--incident", "INC-7", "--commit", "--hosts", "web=h1,h2"]
FULL = dict(variables=["a=1", "b=2"], vars_file=Path("v.yaml"), answers=Path("ans.yaml"),
            yes=True, no_input=True, dry_run=True, from_step="s2", report_dir=Path("out"),
            operator="ann", incident="INC-7", commit=True, hosts=["web=h1,h2"])


def test_run_builds_the_request_from_every_option(bodies: Bodies) -> None:
    bodies.replace(run, "run_command")
    bodies.invoke("run", "db-overload")
    bodies.invoke("run", "db-overload", *EVERY_OPTION)
    assert bodies.calls == [
        ("run_command", (RunRequest(runbook="db-overload"), SESSION, UI), {}),
        ("run_command", (RunRequest(runbook="db-overload", **FULL), SESSION, UI), {}),
    ]


def test_weekly_runs_the_checklist_of_the_day_with_the_same_options(bodies: Bodies) -> None:
    bodies.replace(weekly, "weekly_command")
    assert bodies.invoke("weekly", "Monday", *EVERY_OPTION).exit_code == 0
    assert bodies.calls == [
        ("weekly_command", (RunRequest(runbook="weekly-monday", **FULL), SESSION, UI), {})]
    assert bodies.invoke("weekly", "someday").exit_code == 2  # a usage error, no run
    assert len(bodies.calls) == 1


def test_resume_and_discard_pass_their_options(bodies: Bodies) -> None:
    bodies.replace(resume, "resume_command")
    bodies.replace(stale, "discard_command")
    bodies.invoke("resume", "2026", "--force", "--var", "x=1", "--yes", "--operator", "bo")
    bodies.invoke("discard", "2026", "--reason", "drill")
    (_, (req, session, ui), _), discard = bodies.calls
    assert (session, ui) == (SESSION, UI)
    assert req == resume.ResumeRequest(run_id="2026", force=True, answers=None, yes=True,
                                       no_input=False, operator="bo", variables=["x=1"],
                                       commit=False)
    assert discard == ("discard_command", (SESSION, UI, "2026", "drill"), {})
