"""What the parts of the shell scanner share (safety/shell_scan_state.py)."""

from __future__ import annotations

import pytest

from runbookctl.safety.shell_contexts import REFUSED, Ctx
from runbookctl.safety.shell_scan_state import ScanState
from runbookctl.safety.shell_words import REFUSE_REASONS, Frame


class _Bare(ScanState):
    def run(self) -> list[tuple[int, int, str]]:
        return self.reps

    def _reparsed(self, base: Frame | None = None) -> str:
        return ""

    def _staged(self, rep: int) -> None:
        pass

    def _nested(self, text: str) -> ScanState:
        return _Bare(text, self.emit, self.dialect, self.check_bodies)


def _state(text: str) -> _Bare:
    return _Bare(text, lambda index, ctx: "", "sh", True)


def test_a_scanner_must_say_how_to_scan_and_to_nest() -> None:
    with pytest.raises(TypeError, match="abstract"):
        ScanState("x", lambda index, ctx: "", "sh", True)  # type: ignore[abstract]


def test_a_new_state_starts_in_shell_code_at_the_first_character() -> None:
    state = _state("echo a\nb")
    assert (state.i, state.n, [f.kind for f in state.stack]) == (0, 8, ["cmd"])
    assert (state.reps, state.pending, state.doc, state.poison) == ([], [], None, "")


def test_lines_and_line_starts() -> None:
    state = _state("cat <<EOF\nbody\nEOF")
    assert state._at_line_start() and state._line() == ("cat <<EOF", 9)
    state.i = 10
    assert state._at_line_start() and state._line() == ("body", 14)
    state.i = 15
    assert state._line() == ("EOF", 18)  # the last line has no newline
    state.i = 11
    assert not state._at_line_start()


def test_a_backslash_before_a_sentinel_leaves_it_visible() -> None:
    state = _state("\\a\\\x00")
    assert state._next_is_plain()
    state.i = 2
    assert not state._next_is_plain()


def test_a_refused_context_says_why() -> None:
    assert _state("")._refused("comment") == Ctx(REFUSED, REFUSE_REASONS["comment"])
