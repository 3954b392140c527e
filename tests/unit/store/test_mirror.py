"""The team's runs mirrored from the store (store/mirror.py): only what is new is
fetched, a run held locally or with an unsafe id is never written, and `verify --store`
finds a stored event that differs from the journal."""

from __future__ import annotations

from pathlib import Path

from runbookctl.record.journal import Journal, read_journal
from runbookctl.store.mirror import mirror_root, mirror_runs, mirrored, store_problems
from tests.unit.store.conftest import write_events

NAME = "rb@db:5432/runs"


class ReadStore:
    """The reads of PgStore over a dict of run id -> lines."""

    name = NAME

    def __init__(self, runs: dict[str, list[str]]) -> None:
        self.runs = runs
        self.asked: list[dict[str, int]] = []

    def run_heads(self) -> dict[str, int]:
        return {run_id: len(lines) for run_id, lines in self.runs.items()}

    def lines(self, wanted: dict[str, int]) -> dict[str, list[str]]:
        self.asked.append(dict(wanted))
        return {run_id: self.runs[run_id][after:] for run_id, after in wanted.items()}


def _lines(tmp_path: Path, name: str, count: int) -> list[str]:
    path = tmp_path / "src" / name / "journal.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with Journal.open_append(path) if path.exists() else Journal.create(path) as j:
        write_events(j, count)
    return path.read_text().splitlines()


def test_the_mirror_fetches_only_new_lines_and_skips_local_and_unsafe_runs(tmp_path: Path) -> None:
    root = mirror_root(tmp_path / "state", NAME)
    assert root == tmp_path / "state" / "store" / "rb_db_5432_runs" / "runs"
    store = ReadStore({"r1": _lines(tmp_path, "r1", 3), "mine": ["x"], "../evil": ["x"]})
    mirror_runs(store, root, local={"mine"})  # type: ignore[arg-type]
    assert [p.name for p in mirrored(root)] == ["r1"]
    assert store.asked == [{"r1": 0}]
    store.runs["r1"] = _lines(tmp_path, "r1", 2)
    mirror_runs(store, root, local={"mine"})  # type: ignore[arg-type]
    assert store.asked[-1] == {"r1": 3}
    copy = read_journal(root / "r1" / "journal.jsonl")
    assert [e.seq for e in copy.events] == [1, 2, 3, 4, 5] and not copy.problems
    mirror_runs(store, root, local={"mine"})  # type: ignore[arg-type]
    assert store.asked[-1] == {}  # up to date: nothing fetched
    assert not (tmp_path / "state" / "store" / "rb_db_5432_runs" / "evil").exists()


def test_store_problems_checks_the_chain_and_each_event_against_the_journal(tmp_path: Path) -> None:
    lines = _lines(tmp_path, "r1", 3)
    journal = tmp_path / "src" / "r1" / "journal.jsonl"
    store = ReadStore({"r1": lines})
    assert store_problems(store, "r1", journal) == (3, [])  # type: ignore[arg-type]
    altered = [*lines[:1], lines[1].replace("event 1", "event X"), *lines[2:]]
    count, problems = store_problems(ReadStore({"r1": altered}), "r1", journal)  # type: ignore[arg-type]
    assert count == 3
    assert any("hash mismatch" in p for p in problems)
    assert "store seq 2: differs from the local journal's event 2" in problems
    _count, broken = store_problems(ReadStore({"r1": [lines[0], "nonsense"]}), "r1", None)  # type: ignore[arg-type]
    assert broken and broken[0].startswith("store row 2: not a journal event")
