"""A journal event and a read journal (docs/record.md, sections 2-4): the values that
record/journal.py writes and reads, and the one JSON form that is hashed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
_FIELDS = ("seq", "ts", "type", "step", "actor", "data", "hash")
# Built once: json.dumps with any option builds a new encoder at every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(obj: Any) -> str:
    """The one serialisation that is hashed and written (docs/record.md, section 4)."""
    return _CANONICAL.encode(obj)


@dataclass(frozen=True)
class Event:
    """One journal line."""

    seq: int
    ts: str
    type: str
    step: str | None
    actor: str
    data: dict[str, Any]
    hash: str

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its recursive deep copy was most of append()'s CPU.
        return {"seq": self.seq, "ts": self.ts, "type": self.type, "step": self.step,
                "actor": self.actor, "data": self.data, "hash": self.hash}

    def to_line(self) -> str:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, obj: Any) -> Event:
        """Build from a parsed line; ValueError names what is wrong."""
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        missing = [name for name in _FIELDS if name not in obj]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        extra = sorted(set(obj) - set(_FIELDS))
        if extra:
            raise ValueError(f"unexpected key {', '.join(extra)}")
        seq, step, data = obj["seq"], obj["step"], obj["data"]
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ValueError("seq is not an integer")
        if step is not None and not isinstance(step, str):
            raise ValueError("step is not a string")
        if not isinstance(data, dict):
            raise ValueError("data is not an object")
        if not all(isinstance(obj[k], str) for k in ("ts", "type", "actor", "hash")):
            raise ValueError("ts, type, actor and hash must be strings")
        return cls(seq, obj["ts"], obj["type"], step, obj["actor"], data, obj["hash"])


@dataclass
class Replay:
    """What a journal file holds: its events and what was wrong reading it."""

    events: list[Event] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line number of each event
    torn: str | None = None  # a cut-off last line, described
    problems: list[str] = field(default_factory=list)  # unreadable lines (not the torn one)
    problem_lines: list[int] = field(default_factory=list)  # the line number of each problem
    good_size: int = 0  # bytes up to the end of the last complete line
    ends_with_newline: bool = True

    @property
    def head_hash(self) -> str:
        return self.events[-1].hash if self.events else GENESIS
