"""record/writeup.py: a run's report written from its replayed journal — from the
state the caller already replayed when it has one (the end of a run replays the
events its journal holds once, for the report and the summary), else from the
journal file itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import CorruptJournal
from runbookctl.record.journal import Journal
from runbookctl.record.writeup import final_text, load_state, load_written, write_run_report


class Notes:
    def __init__(self) -> None:
        self.said: list[str] = []

    def warn(self, text: str) -> None:
        self.said.append(text)

    def info(self, text: str) -> None:
        self.said.append(text)


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNBOOKCTL_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "runs" / "r1"
    with Journal.create(folder / "journal.jsonl") as journal:
        journal.append("run_started", None, "ana", {
            "run_id": "r1", "runbook": "db", "title": "DB", "severity": None, "path": "/x.yaml",
            "sha256": "0" * 64, "git_commit": None, "version": "0", "incident": None,
            "report_dir": str(tmp_path / "reports"), "dry_run": False, "from_step": None,
            "answers": None, "no_input": True, "yes": False})
        journal.append("run_finished", None, "runbookctl", {"status": "completed", "reason": "done"})
    return folder


def test_the_report_is_written_from_the_journal(run_dir: Path) -> None:
    notes = Notes()
    path = write_run_report(run_dir, notes)
    assert path is not None and "run_id: \"r1\"" in path.read_text() and notes.said == []


def test_a_state_given_is_written_without_reading_the_journal_again(run_dir: Path) -> None:
    state = load_state(run_dir)
    (run_dir / "journal.jsonl").unlink()  # reading it now would fail
    notes = Notes()
    path = write_run_report(run_dir, notes, state=state)
    assert path is not None and "run_id: \"r1\"" in path.read_text() and notes.said == []


def test_an_unreadable_journal_is_a_warning_not_an_error(run_dir: Path) -> None:
    (run_dir / "journal.jsonl").unlink()
    notes = Notes()
    assert write_run_report(run_dir, notes) is None
    assert notes.said and notes.said[0].startswith("could not render the report: no journal")


def test_a_teams_report_template_is_rendered_in_the_sandbox(run_dir: Path, tmp_path: Path) -> None:
    """The team's report.md.j2 in a template dir wins over the bundled one, and is
    sandboxed: reaching for Python's internals fails the rendering, it shows nothing."""
    from runbookctl.errors import CorruptJournal
    from runbookctl.record.writeup import render_state

    state = load_state(run_dir)
    team = tmp_path / "templates"
    team.mkdir()
    (team / "report.md.j2").write_text("# {{ run.run_id }}\n")
    assert render_state(state, [team]) == "# r1\n"
    (team / "report.md.j2").write_text("{{ run.__class__.__init__.__globals__ | length }}\n")
    with pytest.raises(CorruptJournal, match="is unsafe"):
        render_state(state, [team])
    assert 'run_id: "r1"' in render_state(state, [])  # the bundled template


def test_a_command_that_printed_nothing_is_said_to_have_no_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A quiet command leaves no log file (executors/output.py): the report says so
    instead of naming an empty path, on one host and on many hosts shown grouped."""
    from runbookctl.record.writeup import render_state
    from tests.unit.engine.fakes import make_engine

    monkeypatch.setenv("RUNBOOKCTL_CACHE_DIR", str(tmp_path / "cache"))
    hosts = ", ".join(f"web{i}" for i in range(1, 7))
    run = make_engine(f"id: t\ntitle: T\nsteps:\n  - {{id: quiet, run: 'true'}}\n"
                      f"  - {{id: fleet, ssh: 'true', hosts: [{hosts}]}}\n")
    run.run()
    text = render_state(run.state())
    assert "<code></code>" not in text
    assert "local: exit 0 · 0.0s · 0 bytes · sha256  · no output, no log</summary>" in text
    assert "web[1-6] (6 hosts): exit 0 · 0 bytes · sha256  · no output, no logs</summary>" in text


def test_the_end_of_a_run_replays_what_it_wrote_as_a_read_would(tmp_path: Path,
                                                                run_dir: Path) -> None:
    journal = Journal.open_append(run_dir / "journal.jsonl")
    journal.append("note", None, "ana", {"text": "db back", "origin": "command"})
    (run_dir / "journal.jsonl").rename(tmp_path / "moved.jsonl")  # proof it is not read
    state = load_written(run_dir, journal)
    (tmp_path / "moved.jsonl").rename(run_dir / "journal.jsonl")
    assert final_text(state) == final_text(load_state(run_dir))
    assert state.events == 3 and any("db back" in str(t) for t in state.timeline)
    journal.close()


def test_the_end_of_a_run_reads_the_file_when_another_writer_appended(run_dir: Path) -> None:
    journal = Journal.open_append(run_dir / "journal.jsonl")
    with Journal.open_append(run_dir / "journal.jsonl") as other:  # `runbookctl note`
        other.append("note", None, "bob", {"text": "from elsewhere", "origin": "command"})
    state = load_written(run_dir, journal)
    assert state.events == 3 and any("from elsewhere" in str(t) for t in state.timeline)
    journal.close()


def test_the_end_of_a_run_names_the_bad_line_of_a_damaged_journal(run_dir: Path) -> None:
    journal = Journal.open_append(run_dir / "journal.jsonl")
    journal.append("step_finished", "a", "runbookctl", {"status": 7})  # wrongly typed
    with pytest.raises(CorruptJournal, match=r"journal.jsonl:3: step_finished event"):
        load_written(run_dir, journal)
    journal.close()
