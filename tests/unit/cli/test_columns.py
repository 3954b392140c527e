"""The plain table of listings (cli/columns.py)."""

from __future__ import annotations

import textwrap

from hypothesis import example, given
from hypothesis import strategies as st

from runbookctl.cli.columns import _wrapped, columns


def test_columns_are_two_spaces_apart_and_padded() -> None:
    text = columns(["id", "title"], [["a", "One"], ["bbb", "Two"]], wrap=1, width=80)
    assert text.splitlines() == ["id   title", "a    One", "bbb  Two"]


def test_the_wrapped_column_fits_the_width_and_the_others_are_never_cut() -> None:
    long_id = "a-long-runbook-id-that-must-stay-whole-here"
    title = "Database overload — connections, long queries, blocking locks"
    text = columns(["id", "title", "steps"], [[long_id, title, "29"]], wrap=1, width=80)
    lines = text.splitlines()
    assert lines[1].split()[0] == long_id and lines[1].rstrip().endswith("29")
    assert all(len(line) <= 80 for line in lines)
    assert " ".join(" ".join(line[len(long_id) + 2:].split()) for line in lines[1:]).replace(
        " 29", "") == title


def test_the_wrapped_column_keeps_a_minimum_width_on_a_narrow_terminal() -> None:
    text = columns(["id", "title"], [["x" * 70, "word " * 10]], wrap=1, width=80)
    assert max(len(line.split("  ")[-1]) for line in text.splitlines()[1:]) <= 20
    assert len(text.splitlines()) > 2  # wrapped, not cut


def test_an_empty_cell_in_the_wrapped_column_keeps_its_row() -> None:
    assert columns(["id", "title"], [["a", ""]], wrap=1, width=80).splitlines() == ["id  title", "a"]


@given(st.text(alphabet=st.sampled_from("ab é-\t\n\u00a0\u2003.,"), max_size=60),
       st.integers(min_value=1, max_value=40))
@example("a title ", 20)
@example("a\ttab", 20)
@example("two\nlines", 20)
@example("", 5)
@example("Database overload — connections, long queries, blocking locks", 20)
@example("a-hyphenated title", 5)
@example("averyveryverylongword in it", 8)
@example("double  space", 8)
def test_a_cell_is_wrapped_exactly_as_textwrap_wraps_it(text: str, width: int) -> None:
    # the fast path (columns.py:_wrapped) must not change a line
    assert _wrapped(text, width) == (textwrap.wrap(text, width) or [""])
