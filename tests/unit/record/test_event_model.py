"""record/event_model.py: one journal line as an Event, refused with the reason a
reader shows (docs/record.md, section 2), and the one JSON form that is hashed."""

from __future__ import annotations

from typing import Any

import pytest

from runbookctl.record.event_model import GENESIS, Event, Replay, canonical_json

LINE: dict[str, Any] = {"seq": 1, "ts": "2026-12-02T04:00:00.000Z", "type": "note", "step": None,
                        "actor": "ana", "data": {"text": "é"}, "hash": "ab" * 32}


def test_a_whole_line_is_an_event_and_back() -> None:
    event = Event.from_dict(dict(LINE))
    assert event.to_dict() == LINE
    assert event.to_line() == ('{"actor":"ana","data":{"text":"é"},"hash":"' + "ab" * 32 +
                               '","seq":1,"step":null,"ts":"2026-12-02T04:00:00.000Z",'
                               '"type":"note"}')


def test_canonical_json_sorts_keys_without_spaces_or_ascii_escapes() -> None:
    assert canonical_json({"b": [1, 2.5], "a": "ü"}) == '{"a":"ü","b":[1,2.5]}'


@pytest.mark.parametrize(("change", "why"), [
    ({"seq": True}, "seq is not an integer"),
    ({"seq": "1"}, "seq is not an integer"),
    ({"step": 3}, "step is not a string"),
    ({"data": []}, "data is not an object"),
    ({"actor": None}, "ts, type, actor and hash must be strings"),
    ({"extra": 1, "more": 2}, "unexpected key extra, more"),
])
def test_a_wrongly_typed_line_is_refused_with_its_reason(change: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError, match=f"^{why}$"):
        Event.from_dict({**LINE, **change})


def test_a_line_missing_fields_names_them_and_a_non_object_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^missing seq, hash$"):
        Event.from_dict({k: v for k, v in LINE.items() if k not in ("seq", "hash")})
    with pytest.raises(ValueError, match=r"^not a JSON object$"):
        Event.from_dict([LINE])


def test_the_head_of_an_empty_journal_is_the_genesis_hash() -> None:
    assert Replay().head_hash == GENESIS == "0" * 64
    assert Replay(events=[Event.from_dict(dict(LINE))]).head_hash == "ab" * 32
