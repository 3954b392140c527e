"""The one error handler (cli/error_handler.py): a command body's code, or its error as a
message and an exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from runbookctl.cli.error_handler import guard, handle
from runbookctl.errors import UsageError


def test_guard_exits_with_the_body_code_and_errors_become_codes(capsys: pytest.CaptureFixture[str]
                                                                 ) -> None:
    for body, code in ((lambda: None, 0), (lambda: 1, 1)):
        with pytest.raises(typer.Exit) as caught:
            guard(body)
        assert caught.value.exit_code == code

    def bad() -> int:
        raise UsageError("no such runbook 'x'")

    with pytest.raises(typer.Exit) as caught:
        guard(bad)
    assert caught.value.exit_code == 2
    assert capsys.readouterr().err == "runbookctl: no such runbook 'x'\n"


def test_a_bug_is_one_line_and_a_crash_log(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path))

    def bug() -> int:
        raise KeyError("k")

    assert handle(bug) == 3
    err = capsys.readouterr().err
    assert err.startswith("runbookctl: internal error: KeyError('k')\n  crash log: ")
    assert "Traceback" not in err
    (log,) = (tmp_path / "crash").iterdir()
    assert err.rstrip().endswith(str(log))
    assert "KeyError: 'k'" in log.read_text()  # the details are kept there


def test_a_terminal_closed_before_any_run_is_an_interruption_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A prompt for the run's inputs whose terminal closed (EIO): exit 130, no crash log."""
    import errno

    from runbookctl.cli.error_handler import handle

    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path))

    def closed() -> int:
        raise OSError(errno.EIO, "Input/output error")

    assert handle(closed) == 130
    assert not (tmp_path / "crash").exists()
