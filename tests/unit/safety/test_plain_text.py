"""Text from argv or the environment that is not UTF-8 is named by the byte it stood for."""

from __future__ import annotations

import os

import pytest

from runbookctl.safety.plain_text import first_undecodable, not_utf8


@pytest.mark.parametrize(("raw", "expected"), [
    (b"INC-42", None),
    ("café ✔".encode(), None),
    (b"INC-\xe9", "byte 0xe9"),
    (b"ok \xff\xfe", "byte 0xff"),
])
def test_a_byte_that_was_not_utf8_is_named(raw: bytes, expected: str | None) -> None:
    assert first_undecodable(os.fsdecode(raw)) == expected


def test_a_lone_surrogate_that_stood_for_no_byte_is_named_by_code_point() -> None:
    assert first_undecodable("a\ud800b") == "U+D800"


def test_the_message_names_what_was_given() -> None:
    assert not_utf8("--incident", "INC-1") is None
    assert not_utf8("--incident", os.fsdecode(b"INC-\xe9")) == (
        "--incident is not UTF-8 text (byte 0xe9); give one line of plain text")
    assert not_utf8("--var port", os.fsdecode(b"\xe9"), "give UTF-8 text") == (
        "--var port is not UTF-8 text (byte 0xe9); give UTF-8 text")
