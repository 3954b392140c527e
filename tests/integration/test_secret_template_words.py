"""A secret equal to a word of the report template (`Summary`, `status`, ...) is masked
where the run's data holds it, never in the template's own text: so `verify` of an
honest report says ok, and `report` rebuilds the very same file without the secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import only_run_dir, run_cli

pytestmark = pytest.mark.integration

# Words of templates/report.md.j2 (headings, table headers, front matter keys, statuses).
WORDS = ["Summary", "status", "Timeline", "Duration", "completed", "Operator", "runbook",
         "Steps", "journal_hash"]


@pytest.mark.parametrize("word", WORDS)
def test_verify_accepts_an_honest_report_whatever_the_secret(tmp_path: Path, word: str) -> None:
    (tmp_path / "words.yaml").write_text(
        "id: words\ntitle: Template words\nsecrets:\n  WORD: {env: RB_WORD}\nsteps:\n"
        "  - id: say\n    run: echo \"the value is $RB_WORD\"\n")
    reports = tmp_path / "reports"
    result = run_cli(["run", str(tmp_path / "words.yaml"), "--no-input", "--report-dir",
                      str(reports)], cwd=tmp_path, state=tmp_path / "state", RB_WORD=word)
    assert result.code == 0, result.output
    assert "the value is ***" in result.output
    report = next(reports.glob("*.md"))
    text = report.read_text()
    assert "the value is ***" in text and f"the value is {word}" not in text
    assert "## Summary" in text and "status:" in text  # the template's own words stay
    verified = run_cli(["verify", str(report)], cwd=tmp_path, state=tmp_path / "state")
    assert verified.code == 0, verified.output
    assert "intact" in verified.output
    rebuilt = tmp_path / "rebuilt.md"
    again = run_cli(["report", only_run_dir(tmp_path / "state").name, "--output", str(rebuilt)],
                    cwd=tmp_path, state=tmp_path / "state")
    assert again.code == 0, again.output
    assert rebuilt.read_text() == text


def test_a_secret_equal_to_a_status_or_a_step_id_leaves_the_record_intact(tmp_path: Path) -> None:
    """runbookctl's own words in the journal (a status, a jump target, a name) are not
    data: a secret that happens to equal one must not turn them into ***."""
    (tmp_path / "ids.yaml").write_text(
        "id: ids\ntitle: Ids\nsecrets:\n  DONE: {env: RB_DONE}\n  TARGET: {env: RB_TARGET}\n"
        "steps:\n  - id: start\n    run: echo \"$RB_DONE $RB_TARGET\"\n"
        "    next: [{if: \"1 == 1\", goto: finish}]\n"
        "  - id: skipped\n    run: exit 1\n  - id: finish\n    run: echo end\n")
    reports = tmp_path / "reports"
    result = run_cli(["run", str(tmp_path / "ids.yaml"), "--no-input", "--report-dir",
                      str(reports)], cwd=tmp_path, state=tmp_path / "state",
                     RB_DONE="completed", RB_TARGET="finish")
    assert result.code == 0, result.output
    assert "*** ***" in result.output  # the data is masked
    runs = run_cli(["runs"], cwd=tmp_path, state=tmp_path / "state")
    assert " completed " in runs.output, runs.output
    text = next(reports.glob("*.md")).read_text()
    assert 'status: "completed"' in text
    assert "`finish`" in text and "`skipped`" not in text.split("## Steps")[-1]
    verified = run_cli(["verify", str(next(reports.glob("*.md")))], cwd=tmp_path,
                       state=tmp_path / "state")
    assert verified.code == 0, verified.output
