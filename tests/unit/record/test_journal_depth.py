"""The journal's depth bound is iterative and exact (#12.11)."""

from __future__ import annotations

import json

import pytest

from runbookctl.record.journal import MAX_DEPTH, _depth_within, _parse_line


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_depth_bound_is_iterative_and_exact() -> None:
    assert _depth_within({"a": _nested(MAX_DEPTH - 1)}, MAX_DEPTH)
    assert not _depth_within({"a": _nested(MAX_DEPTH)}, MAX_DEPTH)
    assert not _depth_within(_nested(200_000), MAX_DEPTH)  # no RecursionError


def test_a_line_is_refused_one_level_past_the_bound_whatever_its_brackets() -> None:
    # Lines are read with a bracket count first (no line nests deeper than it has
    # brackets) and walked only when the count cannot settle it.
    at_bound = json.dumps(_nested(MAX_DEPTH)).encode()  # MAX_DEPTH lists, no brackets spare
    assert _parse_line(at_bound) == _nested(MAX_DEPTH)
    with pytest.raises(ValueError, match="nested deeper"):
        _parse_line(json.dumps(_nested(MAX_DEPTH + 1)).encode())
    brackets_in_text = json.dumps({"tail": "[{" * MAX_DEPTH, "a": [[1]]}).encode()
    assert _parse_line(brackets_in_text)["a"] == [[1]]  # counted many, walked: shallow
