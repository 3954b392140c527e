"""The journal's hash chain checked (docs/record.md, section 4): seq continuity, each
hash recomputed, each event linked to the one before, and the head against one recorded
elsewhere (the report's, a signature's)."""

from __future__ import annotations

from pathlib import Path

from runbookctl.record.journal import GENESIS, Event, event_hash, read_journal


def verify_journal(path: Path | str, expect_head: str | None = None) -> list[str]:
    """Every problem of the hash chain, located; empty when the journal is intact. Truncation
    at the end shows only against `expect_head`, a head recorded elsewhere (the report's)."""
    try:
        replay = read_journal(path)
    except OSError as exc:
        return [f"cannot read the journal {path}: {exc.strerror or exc}"]
    problems = list(replay.problems)
    if replay.torn:
        problems.append(replay.torn)
    problems += chain_problems(replay.events)
    if expect_head is not None and expect_head != replay.head_hash:
        problems.append(_head_problem(replay.events, expect_head))
    return problems


def chain_problems(events: list[Event], lines: list[int] | None = None, path: object = "") -> list[str]:
    """Seq continuity, each hash recomputed, each event linked to the one before
    (located as `path:line` when `lines`, the events' line numbers, is given)."""
    problems = []
    prev_seq, prev_hash = 0, GENESIS
    for index, event in enumerate(events, start=1):
        where = (f"{path}:{lines[index - 1]}" if lines else f"event {index}") + f" (seq {event.seq})"
        if event.seq == prev_seq + 1:
            pass
        elif event.seq > prev_seq + 1:
            problems.append(f"{where}: seq jumps from {prev_seq} to {event.seq} (events missing)")
        elif event.seq == prev_seq:
            problems.append(f"{where}: seq {event.seq} appears twice (duplicated event)")
        else:
            problems.append(f"{where}: seq {event.seq} follows {prev_seq} (events out of order)")
        if event_hash(prev_hash, event.to_dict()) != event.hash:
            problems.append(f"{where}: hash mismatch (this event was altered, or the one before"
                            " it was changed, removed or moved)")
        prev_seq, prev_hash = event.seq, event.hash
    return problems


def _head_problem(events: list[Event], expect_head: str) -> str:
    last_seq = events[-1].seq if events else 0
    for event in events:
        if event.hash == expect_head:
            return (f"the expected head is event seq {event.seq}, but the journal goes on"
                    f" to seq {last_seq} (events added after it)")
    head = events[-1].hash if events else GENESIS
    return (f"the journal ends at seq {last_seq} (head {head[:12]}…), not at the expected"
            f" head {expect_head[:12]}… (events removed from the end, or altered)")
