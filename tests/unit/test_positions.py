"""shown_name escapes only what a terminal acts on (#12.10)."""

from __future__ import annotations

from runbookctl.positions import Pos, shown_name


def test_shown_name_escapes_only_what_a_terminal_acts_on() -> None:
    assert shown_name("runbooks/a b é.yaml") == "runbooks/a b é.yaml"
    assert shown_name("a\nb\u202ec\x1b") == "a\\nb\\u202ec\\x1b"
    assert str(Pos("x\ny.yaml", 3, 4)) == "x\\ny.yaml:3:4"
