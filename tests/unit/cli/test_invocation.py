"""What every command body is given (cli/invocation.py): the global options, a Session
and a UI."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.cli import invocation


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
