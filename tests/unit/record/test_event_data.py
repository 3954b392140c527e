"""Wrongly typed event data is named with its index (record/event_data.py); well typed
events replay (#12.11)."""

from __future__ import annotations

import json

import pytest

from runbookctl.record.event_data import EventDataError
from runbookctl.record.journal import GENESIS, Event, event_hash
from runbookctl.record.replay import replay


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
