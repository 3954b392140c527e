"""The logs a committed report carries (record/log_copies.py): capped per log and per run
in the order the run wrote them, a note of what was cut, a manifest the report's links and
verify read back, and re-commits that neither duplicate nor lose a log."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from runbookctl.record.log_copies import (
    MANIFEST,
    LogCaps,
    copy_logs,
    copy_problems,
    logs_folder,
    read_manifest,
    report_links,
)
from runbookctl.record.run_state import RunState, StepRecord


def _run(tmp_path: Path, logs: dict[str, bytes]) -> tuple[RunState, Path]:
    """A replayed run whose steps wrote `logs` (name -> content) in its folder."""
    run_dir = tmp_path / "run"
    (run_dir / "logs").mkdir(parents=True)
    state = RunState(run_id="r1")
    for name, data in logs.items():
        path = run_dir / "logs" / name
        path.write_bytes(data)
        result = {"host": "local", "log": str(path), "sha256": hashlib.sha256(data).hexdigest()}
        step = StepRecord(name, name, "run", commands=[{"command": "x", "results": [result]}])
        state.steps[name] = step
    return state, run_dir


def _lines(count: int, width: int = 9) -> bytes:
    return b"".join(b"%0*d\n" % (width, i) for i in range(count))


def test_logs_under_the_cap_are_copied_byte_for_byte_beside_the_report(tmp_path: Path) -> None:
    state, run_dir = _run(tmp_path, {"0001-a.log": b"one\n", "0002-b.log": b"two\n"})
    report = tmp_path / "repo" / "2026-12-01-2002-db.md"
    folder = copy_logs(report, state, run_dir, LogCaps())
    assert folder == tmp_path / "repo" / "2026-12-01-2002-db.logs"
    assert (folder / "0001-a.log").read_bytes() == b"one\n"
    assert sorted(p.name for p in folder.iterdir()) == ["0001-a.log", "0002-b.log", MANIFEST]
    links = report_links(report, "r1")
    assert links["0002-b.log"] == {"name": "0002-b.log", "note": "",
                                   "href": "2026-12-01-2002-db.logs/0002-b.log"}
    assert copy_problems(report, state) == []


def test_a_log_over_the_cap_keeps_its_first_and_last_lines_and_says_what_was_cut(
        tmp_path: Path) -> None:
    big = _lines(1000)  # 10000 bytes
    state, run_dir = _run(tmp_path, {"0001-dump.log": big})
    report = tmp_path / "r.md"
    copy_logs(report, state, run_dir, LogCaps(per_log=1000))
    text = (logs_folder(report) / "0001-dump.log").read_text()
    sha = hashlib.sha256(big).hexdigest()
    first, *body = text.splitlines()
    assert first == (f"[runbookctl: this log was cut for the repository: 1000 of 10000 bytes "
                     f"kept (the first 500 and the last 500); the full log, sha256 {sha}, is "
                     f"logs/0001-dump.log in the run's state folder where it ran]")
    assert body[0] == "000000000" and body[-1] == "000000999"  # whole lines, both ends
    assert "[runbookctl: 9000 bytes cut here]" in body
    assert len([line for line in body if line.isdigit()]) == 100
    (copy,) = read_manifest(report, "r1") or []
    assert (copy.size, copy.head, copy.tail, copy.cut) == (10000, 500, 500, True)
    assert report_links(report, "r1")["0001-dump.log"]["note"].startswith(
        "this log was cut for the repository: 1000 of 10000 bytes kept")


def test_the_run_cap_is_spent_in_the_order_the_logs_were_written(tmp_path: Path) -> None:
    logs = {"0002-b.log": _lines(60), "0010-c.log": _lines(60), "0001-a.log": _lines(60)}
    state, run_dir = _run(tmp_path, logs)  # 600 bytes each
    report = tmp_path / "r.md"
    copy_logs(report, state, run_dir, LogCaps(per_log=1000, per_run=1000))
    kept = {c.name: (c.head + c.tail, c.cut) for c in read_manifest(report, "r1") or []}
    assert kept == {"0001-a.log": (600, False), "0002-b.log": (400, True),
                    "0010-c.log": (0, True)}
    assert (logs_folder(report) / "0010-c.log").read_text().startswith(
        "[runbookctl: this log was cut for the repository: 0 of 600 bytes kept")


def test_recommitting_after_a_resume_keeps_each_log_once(tmp_path: Path) -> None:
    state, run_dir = _run(tmp_path, {"0001-a.log": b"a\n"})
    report = tmp_path / "r.md"
    copy_logs(report, state, run_dir, LogCaps())
    (run_dir / "logs" / "0002-b.log").write_bytes(b"b\n")  # the resumed session's log
    state.steps["b"] = StepRecord("b", "b", "run", commands=[{"results": [
        {"log": str(run_dir / "logs" / "0002-b.log"), "sha256": hashlib.sha256(b"b\n").hexdigest()}]}])
    (logs_folder(report) / "0009-stale.log").write_text("from a bigger cap\n")
    copy_logs(report, state, run_dir, LogCaps())
    assert sorted(p.name for p in logs_folder(report).iterdir()) == [
        "0001-a.log", "0002-b.log", MANIFEST]
    assert [c.name for c in read_manifest(report, "r1") or []] == ["0001-a.log", "0002-b.log"]


def test_a_log_gone_from_the_run_folder_is_listed_without_a_link(tmp_path: Path) -> None:
    state, run_dir = _run(tmp_path, {"0001-a.log": b"a\n"})
    (run_dir / "logs" / "0001-a.log").unlink()
    report = tmp_path / "r.md"
    copy_logs(report, state, run_dir, LogCaps())
    assert not (logs_folder(report) / "0001-a.log").exists()
    link = report_links(report, "r1")["0001-a.log"]
    assert link["href"] is None and link["note"].startswith("not copied")
    assert copy_problems(report, state) == []


def test_verify_finds_an_edited_or_removed_copy_and_a_forged_manifest(tmp_path: Path) -> None:
    state, run_dir = _run(tmp_path, {"0001-a.log": b"a\n", "0002-b.log": _lines(200)})
    report = tmp_path / "r.md"
    folder = copy_logs(report, state, run_dir, LogCaps(per_log=500))
    assert folder is not None
    (folder / "0001-a.log").write_bytes(b"b\n")
    (folder / "0002-b.log").unlink()
    assert copy_problems(report, state) == [
        "r.logs/0001-a.log: its content differs from the sha256 the journal holds for this "
        "log: edited after it was committed",
        "r.logs/0002-b.log: missing (removed?): the report links it"]
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["logs"][0]["sha256"] = "0" * 64
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert copy_problems(report, state)[0].endswith(
        f"0001-a.log is not a log of the journal with sha256 {'0' * 64}")


def test_a_manifest_that_is_unreadable_or_of_another_run_gives_no_links(tmp_path: Path) -> None:
    state, run_dir = _run(tmp_path, {"0001-a.log": b"a\n"})
    report = tmp_path / "r.md"
    folder = copy_logs(report, state, run_dir, LogCaps())
    assert folder is not None
    assert report_links(report, "another-run") == {}
    for bad in ("{", '{"run_id": "r1", "logs": [{"name": "../../etc/passwd"}]}',
                '{"run_id": "r1", "logs": [{"name": "../x", "sha256": "", "size": 1, '
                '"head": 1, "tail": 0, "file_sha256": ""}]}'):
        (folder / MANIFEST).write_text(bad)
        assert report_links(report, "r1") == {}
        assert "missing or unreadable" in copy_problems(report, state)[0]


def test_a_report_naming_no_log_gets_no_folder(tmp_path: Path) -> None:
    state, run_dir = _run(tmp_path, {})
    report = tmp_path / "r.md"
    assert copy_logs(report, state, run_dir, LogCaps()) is None
    assert not logs_folder(report).exists()
    assert report_links(report, "r1") == {} and copy_problems(report, state) == []
