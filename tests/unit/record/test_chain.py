"""The hash chain's checks (record/chain.py): each kind of damage named where it is."""

from __future__ import annotations

import json
from pathlib import Path

from runbookctl.record.chain import chain_problems, verify_journal
from runbookctl.record.journal import Journal, read_journal


def _journal(path: Path, count: int) -> str:
    journal = Journal.create(path)
    for n in range(1, count + 1):
        journal.append("note", f"s{n}", "alice", {"n": n})
    head = journal.head_hash
    journal.close()
    return head


def test_an_intact_journal_has_no_problem_and_matches_its_head(tmp_path: Path) -> None:
    head = _journal(tmp_path / "j.jsonl", 4)
    assert verify_journal(tmp_path / "j.jsonl", expect_head=head) == []


def test_an_edited_event_is_located_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    _journal(path, 3)
    lines = path.read_text().splitlines()
    event = json.loads(lines[1])
    event["data"]["n"] = 99
    lines[1] = json.dumps(event)
    path.write_text("\n".join(lines) + "\n")
    replay = read_journal(path)
    assert chain_problems(replay.events, replay.lines, "j.jsonl") == [
        "j.jsonl:2 (seq 2): hash mismatch (this event was altered, or the one before it was "
        "changed, removed or moved)"]


def test_a_removed_event_shows_as_a_seq_jump_and_a_broken_link(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    _journal(path, 3)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    problems = verify_journal(path)
    assert problems[0] == "event 2 (seq 3): seq jumps from 1 to 3 (events missing)"
    assert len(problems) == 2 and "hash mismatch" in problems[1]


def test_events_cut_from_the_end_show_only_against_the_recorded_head(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    head = _journal(path, 3)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\n")
    assert verify_journal(path) == []
    [problem] = verify_journal(path, expect_head=head)
    assert problem.startswith("the journal ends at seq 2 (head ")
    assert problem.endswith(f"not at the expected head {head[:12]}… (events removed from the end, "
                            "or altered)")
