"""Line breaks taken out of text, positions mapped back."""

from __future__ import annotations

import pytest

from runbookctl.safety.lines import Flat, flat_forms, squeeze


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\n    ", "  \n\t"])
def test_flat_text_maps_each_character_back(sep: str) -> None:
    text = f"ab{sep}cd{sep}{sep}ef"
    flat = Flat(text)
    assert flat.text == "abcdef"
    assert [text[flat.start(i)] for i in range(6)] == list("abcdef")
    assert text[flat.start(1) : flat.end(5)] == f"b{sep}cd{sep}{sep}e"
    assert flat.joined(1, 3) and not flat.joined(2, 4)


def test_text_without_line_breaks_is_its_own_flat_text() -> None:
    text = "one line  with spaces"
    flat = Flat(text)
    assert flat.text is text and flat.start(4) == 4 and flat.end(8) == 8


def test_forms_are_flattened_like_text() -> None:
    assert flat_forms(["key-line-1\n  key-line-2", "  padded  ", "ab\ncd"], 4) == {
        "key-line-1key-line-2", "  padded  ", "padded", "padded  ", "  padded", "abcd"}
    assert squeeze(" a\tb\r\nc ") == "abc"
