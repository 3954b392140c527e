"""A RUN_ID is a run's id or a unique prefix of it, matched as text against the state
dir's run folders: a path, a glob pattern, `..` or a name too long for the file system
is no run (exit 2), never a crash, and nothing is written outside the state dir.
Through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run_cli

pytestmark = pytest.mark.integration

COMMANDS = {
    "report": ["report", "ID"],
    "resume": ["resume", "ID", "--no-input"],
    "discard": ["discard", "ID"],
    "note": ["note", "ID", "hi"],
    "watch": ["watch", "ID"],
    "approve": ["approve", "ID", "gate", "--as", "bob"],
    "reject": ["reject", "ID", "gate", "--reason", "no", "--as", "bob"],
    "verify": ["verify", "ID"],
}

# Each resolved from the runs folder (state/runs) as a path, each a pattern matching runs
# and other folders, each an OSError or a ValueError of glob before.
BAD_IDS = ["/etc/passwd", "../../outside", "../../outside/", "a" * 300, "2026*", "*", "2026*ok*",
           "..", ".", "*/logs"]


@pytest.fixture
def stopped(tmp_path: Path) -> Path:
    """One run of counted stopped at its gate, and a folder `outside` the state dir where
    `../../outside` from state/runs leads."""
    (tmp_path / "out").mkdir()
    (tmp_path / "outside").mkdir()
    result = run_cli(["--runbooks", str(FIXTURES / "resume"), "run", "counted", "--var",
                      f"out={tmp_path / 'out'}", "--no-input", "--report-dir",
                      str(tmp_path / "reports")], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    return tmp_path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_run_id_is_never_a_path_nor_a_pattern(stopped: Path, command: str) -> None:
    runs = stopped / "state" / "runs"
    for run_id in BAD_IDS:
        if command == "verify" and run_id == "/etc/passwd":
            continue  # a journal file, as verify documents: checked, and found not intact
        args = [run_id if a == "ID" else a for a in COMMANDS[command]]
        result = run_cli(args, cwd=stopped, state=stopped / "state")
        assert result.code == 2, (run_id, result.output)
        if command == "verify" and ("/" in run_id or run_id in (".", "..")):
            expected = (f"runbookctl: no run folder at {run_id}: it holds no journal.jsonl "
                        "(give a report, a journal, a run folder or a run id)\n")
        else:
            expected = f"runbookctl: no run '{run_id}' in {runs} (runbookctl runs lists them)"
        assert result.stderr.startswith(expected), (run_id, result.stderr)
        assert list((stopped / "outside").iterdir()) == [], (run_id, "wrote outside")
    assert sorted(p.name for p in stopped.iterdir()) == ["out", "outside", "reports", "state"]


def test_a_unique_prefix_still_names_the_run(stopped: Path) -> None:
    (run_dir,) = (stopped / "state" / "runs").iterdir()
    result = run_cli(["discard", run_dir.name[:20], "--reason", "test"], cwd=stopped,
                     state=stopped / "state")
    assert result.code == 0, result.output
    assert f"Run abandoned ({run_dir.name})" in result.output
