"""What every command body is given (cli/invocation.py): the global options, a Session,
a UI, and the one error handler turning errors into exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from runbookctl.cli import invocation
from runbookctl.errors import UsageError


def test_guard_exits_with_the_body_code_and_errors_become_codes(capsys: pytest.CaptureFixture[str]
                                                                 ) -> None:
    for body, code in ((lambda: None, 0), (lambda: 1, 1)):
        with pytest.raises(typer.Exit) as caught:
            invocation.guard(body)
        assert caught.value.exit_code == code

    def bad() -> int:
        raise UsageError("no such runbook 'x'")

    with pytest.raises(typer.Exit) as caught:
        invocation.guard(bad)
    assert caught.value.exit_code == 2
    assert capsys.readouterr().err == "runbookctl: no such runbook 'x'\n"


def test_the_session_is_made_from_the_global_options(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rb").mkdir()
    (tmp_path / "rb" / "mine.yaml").write_text("id: mine\ntitle: T\nsteps:\n  - id: a\n    run: 'true'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(invocation.G, "runbooks", [tmp_path / "rb"])
    monkeypatch.setattr(invocation.G, "config", None)
    session = invocation.session()
    assert session.registry.find("mine") == tmp_path / "rb" / "mine.yaml"
    assert type(invocation.ui()).__name__ == "UI"
