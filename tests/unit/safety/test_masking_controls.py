"""first_control: the first character a terminal would act on (#12.10)."""

from __future__ import annotations

import pytest

from runbookctl.safety.masking import first_control


@pytest.mark.parametrize(("text", "found"), [
    ("alice", None), ("Zoë Łukasz 山田", None), ("a b", None),
    ("a\nb", "U+000A"), ("a\rb", "U+000D"), ("a\tb", "U+0009"), ("\x1b[2J", "U+001B"),
    ("a\x00", "U+0000"), ("a\x9b", "U+009B"), ("a\u202eb", "U+202E"), ("a\u2028b", "U+2028"),
    ("a\u2066b", "U+2066"),
])
def test_first_control(text: str, found: str | None) -> None:
    assert first_control(text) == found
