"""Fixtures of the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A scratch folder with an empty `out/` for the side effects runbooks write
    (test modules that need more define their own `work`)."""
    (tmp_path / "out").mkdir()
    return tmp_path
