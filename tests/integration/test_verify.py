"""`runbookctl verify`: untouched records pass; every kind of tampering is caught and located."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, only_run_dir, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture
def record(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A completed run: (work dir, its journal, its report)."""
    (tmp_path / "out").mkdir()
    (tmp_path / "answers.yaml").write_text("gate: yes\n")
    result = run_cli(["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var",
                      f"out={tmp_path / 'out'}", "--no-input", "--answers",
                      str(tmp_path / "answers.yaml"), "--report-dir", str(tmp_path / "reports")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    report = next((tmp_path / "reports").glob("*.md"))
    return tmp_path, only_run_dir(tmp_path / "state") / "journal.jsonl", report


def _verify(work: Path, target: Path | str) -> tuple[int, str]:
    result = run_cli(["verify", str(target)], cwd=work, state=work / "state")
    return result.code, result.output


def test_untouched_report_journal_and_run_pass(record: tuple[Path, Path, Path]) -> None:
    work, journal, report = record
    for target in (report, journal, journal.parent, journal.parent.name):
        code, out = _verify(work, target)
        assert code == 0, out
        assert "intact" in out


def _lines(journal: Path) -> list[str]:
    return journal.read_text().splitlines(keepends=True)


def _flip(line: str) -> str:
    """One byte of the event's timestamp changed (the JSON stays valid)."""
    i = line.index('"ts":"') + len('"ts":"') + 3  # the last digit of the year
    return line[:i] + ("1" if line[i] != "1" else "2") + line[i + 1:]


TAMPERING: dict[str, tuple[Callable[[list[str]], list[str]], str]] = {
    "flipped byte": (lambda ls: [*ls[:3], _flip(ls[3]), *ls[4:]], "hash mismatch"),
    "deleted event": (lambda ls: ls[:4] + ls[5:], "seq jumps from 4 to 6"),
    "reordered events": (lambda ls: [*ls[:4], ls[5], ls[4], *ls[6:]], "out of order"),
    "duplicated event": (lambda ls: [*ls[:5], ls[4], *ls[5:]], "appears twice"),
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampered_journal_is_caught_and_located(record: tuple[Path, Path, Path],
                                                kind: str) -> None:
    work, journal, report = record
    change, message = TAMPERING[kind]
    journal.write_text("".join(change(_lines(journal))))
    for target in (journal, report):
        code, out = _verify(work, target)
        assert code == 1, out
        assert message in out
        assert "TAMPERED" in out


def test_truncated_journal_is_caught_against_the_report(record: tuple[Path, Path, Path]) -> None:
    work, journal, report = record
    journal.write_text("".join(_lines(journal)[:-2]))
    code, out = _verify(work, report)
    assert code == 1
    assert "events removed from the end" in out


def test_edited_report_is_caught(record: tuple[Path, Path, Path]) -> None:
    work, _journal, report = record
    text = report.read_text()
    edited = text.replace("local: exit 0", "local: exit 1", 1)
    assert edited != text
    report.write_text(edited)
    code, out = _verify(work, report)
    assert code == 1
    assert "the body differs from what its journal renders" in out


def test_edited_front_matter_is_caught(record: tuple[Path, Path, Path]) -> None:
    work, _journal, report = record
    report.write_text(report.read_text().replace('journal_events: ', 'journal_events: 1', 1))
    code, out = _verify(work, report)
    assert code == 1
    assert "events" in out


def test_a_report_from_an_earlier_version_is_checked_by_its_hashes_not_its_body(
        tmp_path: Path) -> None:
    """0.2.0 added a timeline row for the step a run stopped in. A report written by 0.1.0
    has no such row: verify must not call it tampered (it checks the chain and the front
    matter); a report from this version with that row removed is tampered."""
    import re

    (tmp_path / "slow.yaml").write_text(
        "id: slow\ntitle: Slow\nsteps:\n  - id: nap\n    run: kill -TERM $PPID; sleep 30\n")
    result = run_cli(["run", str(tmp_path / "slow.yaml"), "--no-input", "--report-dir",
                      str(tmp_path / "reports")], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 130, result.output
    report = next((tmp_path / "reports").glob("*.md"))
    text = report.read_text()
    row = next(line for line in text.splitlines(keepends=True)
               if "| nap | command interrupted by SIGTERM" in line)
    assert "| nap | command interrupted by SIGTERM; command stopped with SIGTERM |" in row
    report.write_text(text.replace(row, ""))
    code, out = _verify(tmp_path, report)
    assert code == 1 and "the body differs from what its journal renders" in out
    report.write_text(re.sub(r"(?m)^runbookctl_version: .*$", "runbookctl_version: 0.1.0",
                             text.replace(row, "")))
    code, out = _verify(tmp_path, report)
    assert code == 0, out
