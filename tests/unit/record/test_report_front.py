"""The rendered report (#14.1/#14.2): the front page first, then the timeline by
title, then the steps; missing facts show as "—", never "None"; output stays in
fences it cannot close and HTML from it is inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.record.report import render_report, session
from runbookctl.record.run_state import RunState, StepRecord

TEMPLATE = (Path(__file__).parents[3] / "templates" / "report.md.j2").read_text()
T0 = "2026-12-01T10:00:00.000Z"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOKCTL_CACHE_DIR", str(tmp_path / "cache"))


def _state() -> RunState:
    state = RunState(run_id="r1", runbook="db", title="DB overload", severity="P1", incident="INC-7",
                     status="completed", reason="all steps done", operator="ana", started=T0,
                     finished="2026-12-01T10:20:00.000Z", head_hash="ab" * 32, events=9)
    state.milestones = {"mitigated": "2026-12-01T10:05:00.000Z"}
    kill = StepRecord("kill", "Terminate the blockers", "run", status="ok", started=T0, visits=1)
    kill.commands = [{"command": "psql -c 'select 1'", "attempt": 1, "results": [
        {"host": "local", "exit_code": 0, "duration": 0.1, "bytes": 40, "sha256": "c" * 64,
         "log": "logs/0001-kill.log", "timed_out": False, "interrupted": False, "error": None,
         "tail": "```\n</details><script>x</script>\n</pre>\n| a | b |"}]}]
    ask = StepRecord("impact", "Impact", "ask", status="ok", started=T0, visits=1)
    answer = {"step": "impact", "kind": "ask", "value": "pages | slow", "actor": "bo", "ts": T0,
              "origin": "terminal", "question": "What was the impact?"}
    ask.answers = [answer]
    state.answers = [answer]
    state.steps = {"kill": kill, "impact": ask}
    state.path = [("kill", "ok"), ("impact", "ok")]
    state.edges = [("kill", "impact", "")]
    state.timeline = [{"ts": T0, "step": "", "what": "run started (db)", "who": "ana"},
                      {"ts": T0, "step": "kill", "what": "ok", "who": "runbookctl"},
                      {"ts": T0, "step": "impact", "what": "ask: pages | slow (terminal)", "who": "bo",
                       "question": "What was the impact?"}]
    return state


def test_the_front_page_comes_first_and_fits_one_screen() -> None:
    text = render_report(_state(), TEMPLATE, "0.0.0")
    body = text.split("---\n", 2)[2]
    assert body.index("# DB overload — INC-7 (P1)") < body.index("## Timeline") < body.index("## Steps")
    front = body[:body.index("## Timeline")]
    assert len(front.splitlines()) <= 60
    assert "| **Mitigated** | 2026-12-01T10:05:00.000Z (time to mitigate: 5m00s) |" in front
    assert "| **Acknowledged** | — |" in front and "| **Trigger** | — |" in front
    assert "| **Impact** | pages \\| slow |" in front
    assert "| — | no action items recorded | — | — |" in front
    assert "None" not in text


def test_a_run_completed_past_failures_says_so_once() -> None:
    """The engine's reason ("completed; failed steps continued past: kill") restates the
    status; the failed steps are listed right below it."""
    state = _state()
    state.steps["kill"].status = "failed"
    state.path[0] = ("kill", "failed")
    state.reason = "completed; failed steps continued past: kill"
    text = render_report(state, TEMPLATE, "0.0.0")
    status = next(line for line in text.splitlines() if line.startswith("| **Status** |"))
    assert status == "| **Status** | ⚠️ **completed — 1 step failed (continued)** |"
    assert "continued past" not in text.split("## Timeline")[0]


def test_the_timeline_names_steps_by_title_and_human_steps_have_no_detail() -> None:
    text = render_report(_state(), TEMPLATE, "0.0.0")
    timeline = text.split("## Timeline")[1].split("## Steps")[0]
    assert "| Impact | What was the impact? → pages \\| slow (terminal) | bo |" in timeline
    assert "| Terminate the blockers | ok | runbookctl |" in timeline
    assert "`impact`" not in text.split("## Steps")[1]


def test_output_cannot_close_its_block_nor_inject_html() -> None:
    steps = render_report(_state(), TEMPLATE, "0.0.0").split("## Steps")[1]
    assert "<details><summary><b>run</b> · ok · 10:00:00 · local: exit 0" in steps
    block = ("<pre>$ psql -c 'select 1'\n```\n&lt;/details&gt;&lt;script&gt;x&lt;/script&gt;\n"
             "&lt;/pre&gt;\n| a | b |</pre></details>")
    assert block in steps
    assert session("a\nb", "") == "$ a\nb"
