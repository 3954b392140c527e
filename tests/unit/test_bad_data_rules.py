"""The small rules behind #12.9–12.11: ids, one-line fields, Markdown escaping, shown names,
journal depth and event data types."""

from __future__ import annotations

import json

import pytest

from runbookctl.positions import Pos, shown_name
from runbookctl.record.journal import GENESIS, MAX_DEPTH, Event, _depth_within, event_hash
from runbookctl.record.replay import EventDataError, replay
from runbookctl.record.report import md_inline
from runbookctl.runbook.schema import MAX_ID_LENGTH, id_problem
from runbookctl.safety.masking import first_control


@pytest.mark.parametrize("value", ["a", "db-overload", "x_1", "9", "a" * MAX_ID_LENGTH])
def test_good_ids(value: str) -> None:
    assert id_problem(value) is None


@pytest.mark.parametrize(("value", "why"), [
    ("a" * 65, "is 65 characters long; an id has at most 64"),
    ("a b", "use lowercase letters, digits, - and _ (e.g. 'a-b')"),
    ("$(id)", "(e.g. 'id')"),
    ("rtl\u202eexe", "(e.g. 'rtl-exe')"),
    ("new\nline", "(e.g. 'new-line')"),
    ("Upper", "(e.g. 'upper')"),
    ("-x", "use lowercase"),
    ("", "use lowercase"),
])
def test_bad_ids_say_why(value: str, why: str) -> None:
    problem = id_problem(value)
    assert problem is not None and why in problem


@pytest.mark.parametrize(("text", "found"), [
    ("alice", None), ("Zoë Łukasz 山田", None), ("a b", None),
    ("a\nb", "U+000A"), ("a\rb", "U+000D"), ("a\tb", "U+0009"), ("\x1b[2J", "U+001B"),
    ("a\x00", "U+0000"), ("a\x9b", "U+009B"), ("a\u202eb", "U+202E"), ("a\u2028b", "U+2028"),
    ("a\u2066b", "U+2066"),
])
def test_first_control(text: str, found: str | None) -> None:
    assert first_control(text) == found


def test_md_inline_escapes_markup_and_keeps_one_line() -> None:
    assert md_inline("[x](http://e) **b** <i> a|b `c` _d_ #1 ~s~ &amp; !") == (
        r"\[x\](http://e) \*\*b\*\* \<i\> a\|b \`c\` \_d\_ \#1 \~s\~ \&amp; \!")
    assert md_inline("two\nlines\r\nhere") == "two lines here"
    assert md_inline(None) == ""
    assert md_inline("INC-42 on-call") == "INC-42 on-call"


def test_shown_name_escapes_only_what_a_terminal_acts_on() -> None:
    assert shown_name("runbooks/a b é.yaml") == "runbooks/a b é.yaml"
    assert shown_name("a\nb\u202ec\x1b") == "a\\nb\\u202ec\\x1b"
    assert str(Pos("x\ny.yaml", 3, 4)) == "x\\ny.yaml:3:4"


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_depth_bound_is_iterative_and_exact() -> None:
    assert _depth_within({"a": _nested(MAX_DEPTH - 1)}, MAX_DEPTH)
    assert not _depth_within({"a": _nested(MAX_DEPTH)}, MAX_DEPTH)
    assert not _depth_within(_nested(200_000), MAX_DEPTH)  # no RecursionError


def _events(*bodies: dict[str, object]) -> list[Event]:
    out, prev = [], GENESIS
    for seq, body in enumerate(bodies, start=1):
        full = {"seq": seq, "ts": "2026-01-01T00:00:00.000Z", "actor": "t", "step": None, **body}
        full["hash"] = prev = event_hash(prev, full)
        out.append(Event.from_dict(json.loads(json.dumps(full))))
    return out


START = {"type": "run_started", "data": {"run_id": "r", "runbook": "rb", "title": "T"}}


@pytest.mark.parametrize(("body", "message"), [
    ({"type": "run_started", "data": {"run_id": 5}}, "run_started event: data.run_id is int, not str"),
    ({"type": "step_finished", "step": "s", "data": {"duration": "x"}},
     "step_finished event: data.duration is str, not int or float or null"),
    ({"type": "command_finished", "step": "s", "data": {"hosts": [1]}},
     "data.hosts holds a value that is not an object"),
    ({"type": "step_finished", "step": "s", "data": {"flow": {"target": 3}}},
     "data.flow.target is not a step id"),
    ({"type": "command_process", "step": "s", "data": {"pgid": 1}}, "data.pgid 1 is not a process"),
    ({"type": "message", "step": None, "data": {"text": "x"}}, "step is missing (null)"),
])
def test_wrongly_typed_event_data_is_named_with_its_index(body: dict[str, object], message: str) -> None:
    with pytest.raises(EventDataError) as err:
        replay(_events(START, body))
    assert err.value.index == 1
    assert message in str(err.value)


def test_well_typed_events_replay() -> None:
    state = replay(_events(START, {"type": "step_started", "step": "s",
                                   "data": {"title": "S", "action": "run"}}))
    assert state.run_id == "r" and "s" in state.steps
