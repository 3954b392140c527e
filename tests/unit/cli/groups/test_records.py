"""runs, stats, report, verify (cli/groups/records.py) reach their bodies with every option."""

from __future__ import annotations

from pathlib import Path

from runbookctl.cli.commands import history, stats, verify
from tests.unit.cli.groups.conftest import SESSION, UI, Bodies


def test_runs_passes_its_filters_and_defaults(bodies: Bodies) -> None:
    bodies.replace(history, "list_runs")
    bodies.invoke("runs")
    bodies.invoke("runs", "--json", "--limit", "5", "--runbook", "db", "--status", "failed",
                  "--since", "7d")
    assert [kw for _, _, kw in bodies.calls] == [
        {"as_json": False, "limit": 20, "runbook": None, "status": None, "since": None},
        {"as_json": True, "limit": 5, "runbook": "db", "status": "failed", "since": "7d"},
    ]


def test_stats_report_and_verify_pass_their_arguments(bodies: Bodies) -> None:
    bodies.replace(stats, "stats")
    bodies.replace(history, "rerender")
    bodies.replace(verify, "verify", code=1)
    bodies.invoke("stats", "--reports", "pm", "--runbook", "db")
    bodies.invoke("stats", "--markdown", "-o", "times.md")
    bodies.invoke("report", "20261101", "-o", "-")
    assert bodies.invoke("verify", "r.md").exit_code == 1
    assert bodies.calls == [
        ("stats", (SESSION, UI), {"as_json": False, "reports": Path("pm"), "runbook": "db",
                                  "markdown": False, "output": None}),
        ("stats", (SESSION, UI), {"as_json": False, "reports": None, "runbook": None,
                                  "markdown": True, "output": Path("times.md")}),
        ("rerender", (SESSION, UI, "20261101", Path("-")), {}),
        ("verify", (SESSION, "r.md", False), {}),
    ]


def test_note_passes_the_run_the_text_and_the_author(bodies: Bodies) -> None:
    from runbookctl.cli.commands import note

    bodies.replace(note, "add_note")
    bodies.invoke("note", "rolled back the deploy")
    bodies.invoke("note", "20261101", "paged the DBA", "--as", "bob", "--commit")
    assert bodies.calls == [
        ("add_note", (SESSION, UI, ["rolled back the deploy"], None, False), {}),
        ("add_note", (SESSION, UI, ["20261101", "paged the DBA"], "bob", True), {}),
    ]
    assert "[RUN_ID] TEXT" in bodies.invoke("note", "--help").output
