"""The report's front page: a truthful status, responders, key times, review fields (#14.1)."""

from __future__ import annotations

from runbookctl.record.front_page import (
    ActionItem,
    action_items,
    headline,
    key_times,
    responders,
    review_fields,
    signer,
)
from runbookctl.record.run_state import RunState, StepRecord

T0 = "2026-12-01T10:00:00.000Z"


def _answer(step: str, kind: str, value: object, actor: str = "ana") -> dict[str, object]:
    return {"step": step, "kind": kind, "value": value, "actor": actor, "ts": T0}


def _state(status: str, **kw: object) -> RunState:
    state = RunState(status=status, operator="ana", started=T0, **kw)  # type: ignore[arg-type]
    state.steps = {"kill": StepRecord("kill", "Terminate the blockers", "run", status="ok")}
    state.path = [("kill", "ok")]
    return state


def test_the_status_says_how_the_run_ended() -> None:
    assert headline(_state("completed")) == "completed"
    assert headline(_state("completed", milestones={"resolved": T0})) == "resolved"
    aborted = _state("aborted", answers=[_answer("kill", "confirm", "abort", "bo")])
    assert headline(aborted) == "aborted by bo at Terminate the blockers"
    assert headline(_state("interrupted")) == "interrupted, resumable"
    assert headline(_state("abandoned")) == "abandoned"
    failed = _state("completed")
    failed.steps["kill"].status = "failed"
    assert headline(failed) == "completed — 1 step failed (continued)"


def test_key_times_count_from_the_start_and_missing_ones_are_none() -> None:
    state = _state("completed", milestones={"mitigated": "2026-12-01T10:05:30.000Z"})
    times = {t.label: (t.ts, t.since_start) for t in key_times(state)}
    assert times["Mitigated"] == ("2026-12-01T10:05:30.000Z", 330.0)
    assert times["Acknowledged"] == (None, None) and times["Resolved"] == (None, None)


def test_responders_and_review_fields_come_from_the_answers() -> None:
    state = _state("completed", answers=[_answer("kill", "confirm", True, "bo"),
                                          _answer("post-incident/impact", "ask", "pages slow"),
                                          _answer("post-incident/action-items", "ask",
                                                  "ana - add lock_timeout - 2026-12-08; none")])
    assert responders(state) == {"operator": ["ana"], "approvers": ["bo"], "answered": ["bo", "ana"]}
    fields = dict(review_fields(state))
    assert fields["Impact"] == "pages slow" and fields["Root cause"] is None
    assert action_items(state) == [ActionItem("add lock_timeout", "ana", "2026-12-08")]


def test_structured_action_items_keep_their_ticket() -> None:
    state = _state("completed", answers=[_answer("action-items", "ask", [
        {"action": "fix pool", "owner": "bo", "due": "2026-12-09", "ticket": "https://t/1"}])])
    assert action_items(state) == [ActionItem("fix pool", "bo", "2026-12-09", "https://t/1")]


def test_a_report_key_names_the_field_an_answer_fills_whatever_its_step_id() -> None:
    state = _state("completed", answers=[
        {**_answer("why", "ask", "a lock on accounts"), "report": "root-cause"},
        {**_answer("todo", "ask", [{"action": "add lock_timeout", "owner": "ana"}]),
         "report": "action-items"},
        _answer("why-not", "ask", "not a field")])
    assert dict(review_fields(state))["Root cause"] == "a lock on accounts"
    assert action_items(state) == [ActionItem("add lock_timeout", "ana")]


def test_the_front_page_fields_are_the_ones_a_runbook_can_name() -> None:
    from runbookctl.record.front_page import ACTION_ITEMS, FIELDS
    from runbookctl.runbook.schema import REPORT_FIELDS

    assert [*FIELDS, ACTION_ITEMS] == list(REPORT_FIELDS)


def _signed(events: int, seq: int, actor: str = "ana", fp: str = "SHA256:abc") -> dict[str, object]:
    return {"events": events, "seq": seq, "actor": actor, "key_type": "ED25519",
            "fingerprint": fp, "signature": f"journal.{events}.sig"}


def test_the_record_line_says_who_signed_with_which_key_or_unsigned() -> None:
    assert signer(_state("completed")) == "Unsigned"
    state = _state("completed", events=22, signatures=[_signed(21, 22)])
    assert signer(state) == "Signed by ana (ssh-ed25519 SHA256:abc)"


def test_each_signer_is_named_once_and_unsigned_events_after_the_last_signature_are_said() -> None:
    # signed at the interruption (1-10, event 11) and at the end (1-30, event 31) by two keys,
    # then two events written after the last signature (a `note`, a `discard`)
    state = _state("completed", events=33, signatures=[
        _signed(10, 11), _signed(30, 31, "bo", "SHA256:xyz"), ])
    assert signer(state) == ("Signed by ana (ssh-ed25519 SHA256:abc), bo (ssh-ed25519 SHA256:xyz); "
                             "events 32–33 are not signed")
    same = _state("completed", events=31, signatures=[_signed(10, 11), _signed(30, 31)])
    assert signer(same) == "Signed by ana (ssh-ed25519 SHA256:abc)"


def test_the_approvals_table_says_who_decided_when_how_why_and_how_long_it_waited() -> None:
    from runbookctl.record import events as ev
    from runbookctl.record.front_page import approvals
    from runbookctl.record.journal import Event
    from runbookctl.record.replay import replay

    def event(seq: int, ts: str, type_: str, step: str | None, actor: str, **data: object) -> Event:
        return Event(seq, f"2026-12-01T10:{ts}.000Z", type_, step, actor, dict(data), "h")

    state = replay([
        event(1, "00:00", ev.RUN_STARTED, None, "ana", run_id="r", runbook="rb"),
        event(2, "01:00", ev.APPROVAL_REQUESTED, "drop", "runbookctl", operator="ana"),
        event(3, "03:30", ev.APPROVAL_DECIDED, "drop", "bob", decision="approve", by="bob",
              reason=None, via="web"),
        event(4, "04:00", ev.APPROVAL_REQUESTED, "kill", "runbookctl", operator="ana"),
        event(5, "05:00", ev.APPROVAL_DECIDED, "kill", "cy", decision="reject", by="cy",
              reason="peak traffic", via="cli"),
        event(6, "06:00", ev.APPROVAL_REQUESTED, "flip", "runbookctl", operator="ana"),
        event(7, "36:00", ev.APPROVAL_TIMED_OUT, "flip", "runbookctl", timeout=1800.0,
              then="page-oncall"),
        event(8, "37:00", ev.APPROVAL_REQUESTED, "last", "runbookctl", operator="ana"),
        event(9, "38:00", ev.NOTE, None, "ana", text="still waiting"),
    ])
    rows = [(a["step"], a["decision"], a["by"], a["how"], a["reason"], a["waited"])
            for a in approvals(state)]
    assert rows == [("drop", "approved", "bob", "web page", "", 150.0),
                    ("kill", "rejected", "cy", "command line", "peak traffic", 60.0),
                    ("flip", "timed out", "", None, "", 1800.0),
                    ("last", "waiting", "", None, "", 0.0)]  # a note later is not waiting longer
    assert responders(state)["approvers"] == ["bob"]
    whats = [t["what"] for t in state.timeline]
    assert "waiting for approval (anyone but ana)" in whats
    assert "rejected by cy (cli): peak traffic" in whats
    assert "approval timed out after 30m00s: going to page-oncall" in whats
