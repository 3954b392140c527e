"""web/runs_source.py: runs found only by their exact id, events after a seq, whole lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import CorruptJournal
from runbookctl.web.runs_source import NoSuchRun, RunsSource, read_events
from tests.unit.web.runs import RUN, append, ended, note, step, write_run


def test_a_run_is_found_by_its_exact_id_only(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path / "runs")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "journal.jsonl").write_text("{}\n")
    source = RunsSource(tmp_path / "runs")
    assert source.run_dir(RUN) == run_dir
    for bad in ("../outside", RUN[:10], "..", str(run_dir), "", f"{RUN}/.."):
        with pytest.raises(NoSuchRun):
            source.run_dir(bad)


def test_runs_are_listed_running_first_then_newest_first(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root, ended(), run_id="20261201T100000Z-db-aaaa")
    write_run(root, run_id="20261201T090000Z-db-bbbb")  # still running
    write_run(root, ended(), run_id="20261201T110000Z-db-cccc")
    (root / "20261201T120000Z-db-dddd").mkdir()  # no journal: not a run
    (root / "20261201T130000Z-db-eeee").mkdir()
    (root / "20261201T130000Z-db-eeee" / "journal.jsonl").write_text("not json\n")  # damaged
    source = RunsSource(root)
    assert [s.run_id for s in source.list_runs()] == [
        "20261201T090000Z-db-bbbb", "20261201T110000Z-db-cccc", "20261201T100000Z-db-aaaa"]
    assert RunsSource(tmp_path / "none").list_runs() == []


def test_events_after_a_seq_in_order(tmp_path: Path) -> None:
    write_run(tmp_path, step("check"), note("hello"), ended())
    source = RunsSource(tmp_path)
    assert [e.seq for e in source.run_events(RUN)] == [1, 2, 3, 4]
    assert [e.type for e in source.run_events(RUN, after_seq=2)] == ["note", "run_finished"]
    assert source.run_events(RUN, after_seq=4) == []


def test_a_line_being_written_waits_and_a_damaged_one_is_named(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path)
    journal = run_dir / "journal.jsonl"
    events, offset = read_events(journal, 0)
    assert [e.seq for e in events] == [1] and offset == journal.stat().st_size
    with open(journal, "ab") as f:
        f.write(b'{"seq": 2, "ts"')  # a writer is half-way through its line
    assert read_events(journal, offset) == ([], offset)
    append_ok = journal.read_bytes()[:offset]
    journal.write_bytes(append_ok + b"garbage\n")
    with pytest.raises(CorruptJournal, match="not a journal event"):
        read_events(journal, offset)


def test_a_log_is_served_from_the_runs_logs_folder_only(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path)
    (run_dir / "logs" / "0001-check.log").write_text("hi\n")
    (run_dir / "lock").write_text("pid 1\n")
    source = RunsSource(tmp_path)
    assert source.log_path(RUN, "0001-check.log").read_text() == "hi\n"
    for bad in ("../lock", "../journal.jsonl", "lock", "0002-none.log", "../../x.log"):
        with pytest.raises(NoSuchRun):
            source.log_path(RUN, bad)


def test_is_live_while_a_process_holds_the_run(tmp_path: Path) -> None:
    from runbookctl.record import lock

    run_dir = write_run(tmp_path)
    source = RunsSource(tmp_path)
    assert not source.is_live(RUN)
    assert not source.is_live("20990101T000000Z-none-0000")
    append(run_dir, ended())
    lock.acquire(run_dir, "test")
    try:  # this process counts as nobody (lock.is_free): a child holds it instead
        import subprocess
        import sys

        lock.release(run_dir)
        holder = subprocess.Popen([sys.executable, "-c", (
            "import sys, time; from pathlib import Path; from runbookctl.record import lock; "
            f"lock.acquire(Path({str(run_dir)!r}), 'run'); print('held', flush=True); "
            "sys.stdin.read()")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert source.is_live(RUN)
        holder.communicate("", timeout=10)
        assert not source.is_live(RUN)
    finally:
        lock.release(run_dir)
