"""A command on many hosts in the report (record/host_groups.py and the template):
every host's row, failed hosts first, and each distinct output once under its
folded hosts; a few hosts keep one block each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runbookctl.hostsets import expand
from runbookctl.record.host_groups import by_outcome, many_hosts, output_groups
from runbookctl.record.report import render_report
from runbookctl.record.run_state import RunState, StepRecord

TEMPLATE = (Path(__file__).parents[3] / "templates" / "report.md.j2").read_text()
T0 = "2026-12-01T10:00:00.000Z"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOKCTL_CACHE_DIR", str(tmp_path / "cache"))


def _host(n: int, tail: str = "up 3 days", code: int | None = 0, **kw: Any) -> dict[str, Any]:
    return {"host": f"web{n:03d}", "exit_code": code, "duration": 0.25, "bytes": len(tail) + 1,
            "sha256": str(hash(tail) & 0xFFFF).rjust(64, "0"), "tail": tail, "timed_out": False,
            "interrupted": False, "error": None, "log": f"logs/0001-probe.web{n:03d}.log", **kw}


def _fleet() -> list[dict[str, Any]]:
    hosts = [_host(n) for n in range(1, 201)]
    hosts[41] = _host(42, "disk full", 1)
    hosts[99] = _host(100, "", None, error="connection refused")
    return hosts


def test_failed_hosts_lead_the_table_in_their_order() -> None:
    rows = by_outcome(_fleet())
    assert [r["host"] for r in rows[:3]] == ["web042", "web100", "web001"]
    assert len(rows) == 200


def test_each_distinct_output_once_with_its_hosts_and_outcome() -> None:
    groups = output_groups(_fleet())
    assert [(g["hosts"], g["count"], g["outcome"]) for g in groups] == [
        ("web[001-041,043-099,101-200]", 198, "exit 0"),
        ("web042", 1, "exit 1"),
        ("web100", 1, "connection refused"),
    ]
    assert sum(len(expand(g["hosts"])) for g in groups) == 200


def test_each_group_names_a_log_of_its_own_hosts() -> None:
    hosts = [_host(n, "", log="") for n in range(1, 4)] + [_host(n, "up") for n in range(4, 9)]
    quiet, spoke = sorted(output_groups(hosts), key=lambda g: g["count"])
    assert (quiet["hosts"], quiet["log"]) == ("web[001-003]", "")
    assert (spoke["hosts"], spoke["log"]) == ("web[004-008]", "logs/0001-probe.web004.log")
    text = _report(hosts)
    assert "web[004-008] (5 hosts): exit 0 · 3 bytes · sha256 " in text
    assert "full logs: one per host beside <code>logs/0001-probe.web004.log</code>" in text
    assert "web[001-003] (3 hosts): exit 0 · 1 bytes · sha256 " in text
    assert text.count("no output, no logs") == 1


def test_the_same_output_ending_differently_says_how_many_ended_how() -> None:
    hosts = [_host(n) for n in range(1, 7)] + [_host(7, code=2), _host(8, code=2)]
    (group,) = output_groups(hosts)
    assert group["outcome"] == "exit 0 ×6, exit 2 ×2"


def test_grouping_is_for_more_than_five_hosts() -> None:
    assert not many_hosts(_fleet()[:5])
    assert many_hosts(_fleet()[:6])


def _report(results: list[dict[str, Any]]) -> str:
    state = RunState(run_id="r1", runbook="fleet", title="Fleet check", status="completed",
                     reason="completed", operator="ana", started=T0, finished=T0,
                     head_hash="ab" * 32, events=5)
    step = StepRecord("probe", "Probe", "ssh", status="failed", started=T0, visits=1)
    step.commands = [{"command": "uptime", "attempt": 1, "results": results}]
    state.steps = {"probe": step}
    state.path = [("probe", "failed")]
    return render_report(state, TEMPLATE, "0.0.0")


def test_the_report_has_every_hosts_row_and_each_output_once() -> None:
    text = _report(_fleet())
    steps = text.split("## Steps")[1]
    for n in range(1, 201):
        assert f"| web{n:03d} |" in steps
    assert steps.index("| web042 |") < steps.index("| web100 |") < steps.index("| web001 |")
    assert steps.count("<details>") == 3
    assert steps.count("up 3 days") == 1
    assert "web[001-041,043-099,101-200] (198 hosts): exit 0" in steps
    assert "web042 (1 host): exit 1" in steps


def test_a_few_hosts_keep_a_block_each() -> None:
    steps = _report(_fleet()[:3]).split("## Steps")[1]
    assert steps.count("<details>") == 3
    assert steps.count("up 3 days") == 3
