"""The journal's depth bound is iterative and exact (#12.11)."""

from __future__ import annotations

from runbookctl.record.journal import MAX_DEPTH, _depth_within


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_depth_bound_is_iterative_and_exact() -> None:
    assert _depth_within({"a": _nested(MAX_DEPTH - 1)}, MAX_DEPTH)
    assert not _depth_within({"a": _nested(MAX_DEPTH)}, MAX_DEPTH)
    assert not _depth_within(_nested(200_000), MAX_DEPTH)  # no RecursionError
