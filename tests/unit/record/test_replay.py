"""The timeline names the step a run stopped in (no end event), once, in time order."""

from __future__ import annotations

from pathlib import Path

from runbookctl.record.journal import Event, Journal, read_journal
from runbookctl.record.replay import replay


def _journal(path: Path, events: list[tuple[str, str | None, dict[str, object]]]) -> Journal:
    journal = Journal.create(path)
    for type_, step, data in events:
        journal.append(type_, step, "tester", data, sync=False)
    return journal


START = [
    ("run_started", None, {"run_id": "r", "runbook": "db"}),
    ("step_started", "check", {"title": "Check", "action": "run"}),
    ("step_finished", "check", {"status": "ok"}),
    ("step_started", "kill", {"title": "Kill", "action": "run"}),
    ("command_started", "kill", {"command": "pkill x"}),
]


def _rows(path: Path) -> list[tuple[str, str]]:
    return [(t["step"], t["what"]) for t in replay(read_journal(path).events).timeline]


def test_a_step_killed_mid_command_has_a_row_saying_the_outcome_is_unknown(tmp_path: Path) -> None:
    _journal(tmp_path / "j", START).close()
    assert _rows(tmp_path / "j") == [
        ("", "run started (db)"),
        ("check", "ok"),
        ("kill", "no end recorded: its command started, outcome unknown"),
    ]


def test_after_resume_the_row_stays_where_the_run_stopped_and_is_not_repeated(tmp_path: Path) -> None:
    journal = _journal(tmp_path / "j", START)
    journal.append("run_resumed", None, "tester", {"note": "after a crash"})
    journal.append("step_started", "kill", "tester", {"title": "Kill", "action": "run"})
    journal.append("step_finished", "kill", "tester", {"status": "ok"})
    journal.append("step_started", "page", "tester", {"title": "Page", "action": "confirm"})
    journal.close()
    assert _rows(tmp_path / "j") == [
        ("", "run started (db)"),
        ("check", "ok"),
        ("kill", "no end recorded: its command started, outcome unknown"),
        ("", "run resumed: after a crash"),
        ("kill", "ok"),
        ("page", "no end recorded: the run stopped during this step"),
    ]


def test_the_path_chart_escapes_pipes_in_edge_labels() -> None:
    """`next: if count | int > 10` must not close the Mermaid edge label early."""
    from runbookctl.record.report import mermaid_path
    from runbookctl.record.run_state import RunState, StepRecord

    state = RunState(status="completed")
    state.steps = {k: StepRecord(k, k, "run", status="ok") for k in ("count", "big")}
    state.path = [("count", "ok"), ("big", "ok")]
    state.edges = [("count", "big", "next: if count | int > 10")]
    edge = next(line for line in mermaid_path(state).splitlines() if "-->|" in line)
    assert edge == "  s_count -->|next: if count #124; int #gt; 10| s_big"


def _timed(*events: tuple[str, str, dict[str, object]]) -> list[Event]:
    """Events at chosen times (seconds after 10:00:00 UTC): replay reads `ts`, not the clock."""
    return [Event(i, f"2026-11-02T10:{int(s) // 60:02d}:{s % 60:06.3f}Z", type_,
                  None if type_.startswith("run_") else "step", "op", data, "")
            for i, (type_, s, data) in enumerate((t, float(at), d) for t, at, d in events)]


def test_a_5s_run_resumed_later_is_active_5s_not_its_wall_time() -> None:
    """The case of the issue: 5 s of running, a pause, a resume that ends at once."""
    state = replay(_timed(("run_started", "0", {"run_id": "r", "runbook": "db"}),
                          ("run_interrupted", "3", {"reason": "interrupted by SIGINT"}),
                          ("run_resumed", "95", {}),
                          ("run_finished", "97", {"status": "completed"})))
    assert state.active == 5.0
    assert state.duration == 97.0  # the wall time, kept as the report's duration


def test_a_session_that_stopped_with_no_end_event_counts_until_its_last_event() -> None:
    state = replay(_timed(("run_started", "0", {"run_id": "r", "runbook": "db"}),
                          ("message", "4", {"text": "then the machine died"}),
                          ("run_resumed", "600", {}),
                          ("message", "601.5", {"text": "still running"})))
    assert state.active == 5.5  # 4 s, then the open session up to its latest event


def test_discarding_a_stopped_run_later_adds_no_active_time() -> None:
    state = replay(_timed(("run_started", "0", {"run_id": "r", "runbook": "db"}),
                          ("message", "2", {"text": "x"}),
                          ("run_abandoned", "900", {"reason": "stale"})))
    assert state.active == 2.0


def test_a_signature_is_kept_with_its_signer_and_adds_no_timeline_row(tmp_path: Path) -> None:
    signed = {"events": 3, "head": "h", "signature": "journal.3.sig", "key_type": "ED25519",
              "fingerprint": "SHA256:abc", "namespace": "runbookctl-journal"}
    _journal(tmp_path / "j", [*START[:3], ("record_signed", None, signed)]).close()
    state = replay(read_journal(tmp_path / "j").events)
    assert [(s["events"], s["actor"], s["fingerprint"], s["seq"]) for s in state.signatures] == [
        (3, "tester", "SHA256:abc", 4)]
    assert [row["what"] for row in state.timeline] == ["run started (db)", "ok"]


def test_a_failed_command_on_many_hosts_names_each_ending_once_hosts_folded(tmp_path: Path
                                                                           ) -> None:
    hosts = [{"host": f"web{n:03d}", "exit_code": 3 if n in (42, 43) else 0}
             for n in range(1, 201)]
    events = [*START[:4], ("command_started", "kill", {"command": "uptime"}),
              ("command_finished", "kill", {"ok": False, "reason": "web[042-043]: exit code 3",
                                            "hosts": hosts})]
    _journal(tmp_path / "j", events).close()
    assert [r for r in _rows(tmp_path / "j") if "failed" in r[1]] == [(
        "kill", "command failed: web[042-043]: exit code 3 "
                "(web[001-041,044-200]: exit 0, web[042-043]: exit 3)")]


def test_a_failed_command_on_a_few_hosts_names_each_host(tmp_path: Path) -> None:
    hosts = [{"host": "a", "exit_code": 0}, {"host": "b", "exit_code": 1}]
    events = [*START[:4], ("command_started", "kill", {"command": "uptime"}),
              ("command_finished", "kill", {"ok": False, "reason": "b: exit code 1",
                                            "hosts": hosts})]
    _journal(tmp_path / "j", events).close()
    failed = [r for r in _rows(tmp_path / "j") if "failed" in r[1]]
    assert failed == [("kill", "command failed: b: exit code 1 (a: exit 0, b: exit 1)")]


def test_how_long_a_resumed_run_took_reads_active_then_wall() -> None:
    from runbookctl.record.commit import commit_message
    from runbookctl.record.run_state import summary

    paused = replay(_timed(("run_started", "0", {"run_id": "r", "runbook": "db"}),
                           ("run_interrupted", "3", {"reason": "interrupted by SIGINT"}),
                           ("run_resumed", "95", {}),
                           ("run_finished", "97", {"status": "completed"})))
    assert paused.took == "5.0s (wall 1m37s)"
    assert commit_message(paused).splitlines()[0] == "runbookctl: db completed in 5.0s (wall 1m37s)"
    row = summary(paused)
    assert (row["active"], row["duration"], row["took"]) == (5.0, 97.0, "5.0s (wall 1m37s)")
    straight = replay(_timed(("run_started", "0", {"run_id": "r", "runbook": "db"}),
                             ("run_finished", "7.5", {"status": "completed"})))
    assert straight.took == "7.5s"


def test_a_command_end_without_its_start_still_makes_a_report(tmp_path: Path) -> None:
    # a record cut or written by an older build: the report says what it can, never fails
    from runbookctl.record.writeup import render_state

    journal = _journal(tmp_path / "j", [
        ("run_started", None, {"run_id": "r", "runbook": "db"}),
        ("step_started", "kill", {"title": "Kill", "action": "run"}),
        ("command_finished", "kill", {
            "attempt": 2, "ok": False, "reason": "interrupted by SIGTERM", "again": False,
            "hosts": [{"host": "local", "exit_code": None, "duration": 0.0, "bytes": 0,
                       "sha256": "", "tail": "", "timed_out": False, "interrupted": True,
                       "error": "interrupted by SIGTERM", "log": "",
                       "host_key_accepted": None}]}),
        ("step_interrupted", "kill", {"reason": "interrupted by SIGTERM"}),
        ("run_interrupted", None, {"reason": "interrupted by SIGTERM"}),
    ])
    journal.close()
    state = replay(read_journal(tmp_path / "j").events)
    (command,) = state.steps["kill"].commands
    assert (command["command"], command["attempt"]) == ("?", 2)
    report = render_state(state)
    assert "### " in report and "`kill`" in report
    assert "$ ?" in report
    assert "interrupted by SIGTERM" in report
