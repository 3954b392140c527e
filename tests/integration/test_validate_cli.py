"""`runbookctl validate` as a user runs it: every malformed runbook gives path:line:col and
exit 2, never a traceback; valid ones exit 0; run refuses an invalid runbook the same way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run_cli

pytestmark = pytest.mark.integration

BAD = sorted((FIXTURES / "bad").glob("*.yaml"))


def _expectation(path: Path) -> tuple[str, str]:
    match = re.match(r"# expect: (\d+:\d+) (.+)", path.read_text().splitlines()[0])
    assert match, f"{path} has no '# expect: L:C fragment' header"
    return match.group(1), match.group(2).strip()


def test_every_malformed_runbook_is_reported_at_its_place(tmp_path: Path) -> None:
    assert len(BAD) >= 20
    result = run_cli(["--runbooks", str(FIXTURES / "good"), "validate", *map(str, BAD)],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2
    assert "Traceback" not in result.output
    for path in BAD:
        where, fragment = _expectation(path)
        line = next((ln for ln in result.stderr.splitlines()
                     if ln.startswith(f"{path}:{where}: ")), None)
        assert line is not None, (path.name, where, result.stderr[-2000:])
        assert fragment in line, (path.name, line)


@pytest.mark.parametrize("path", BAD[:25], ids=[p.stem for p in BAD[:25]])
def test_run_refuses_an_invalid_runbook_before_doing_anything(tmp_path: Path, path: Path) -> None:
    result = run_cli(["run", str(path), "--no-input"], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: ", result.stderr)
    assert not (tmp_path / "state" / "runs").exists()


def test_valid_runbooks_pass(tmp_path: Path) -> None:
    result = run_cli(["--runbooks", str(FIXTURES / "good"), "validate", str(FIXTURES / "good")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert "0 error(s)" in result.output
