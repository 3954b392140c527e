"""A host's result is ok only when its command ran to exit 0 on its own."""

from __future__ import annotations

import pytest

from runbookctl.executors.base import HostResult


@pytest.mark.parametrize(("result", "ok"), [
    (HostResult("h", 0, 1.0), True),
    (HostResult("h", 1, 1.0), False),
    (HostResult("h", None, 1.0, error="refused"), False),
    (HostResult("h", 0, 1.0, timed_out=True), False),
    (HostResult("h", 0, 1.0, interrupted=True), False),
])
def test_ok_means_exit_0_without_timeout_or_interruption(result: HostResult, ok: bool) -> None:
    assert result.ok is ok
