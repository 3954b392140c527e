"""md_inline: Markdown escaping that keeps a value on one line (#12.10)."""

from __future__ import annotations

from runbookctl.record.report import md_inline


def test_md_inline_escapes_markup_and_keeps_one_line() -> None:
    assert md_inline("[x](http://e) **b** <i> a|b `c` _d_ #1 ~s~ &amp; !") == (
        r"\[x\](http://e) \*\*b\*\* \<i\> a\|b \`c\` \_d\_ \#1 \~s\~ \&amp; \!")
    assert md_inline("two\nlines\r\nhere") == "two lines here"
    assert md_inline(None) == ""
    assert md_inline("INC-42 on-call") == "INC-42 on-call"
