"""Text typed on the command line that the record keeps: is it UTF-8?

An argument or environment variable holding bytes that are not UTF-8 (a Latin-1 `é`
pasted into `--incident`) reaches Python as lone surrogates (surrogateescape, U+DC80 to
U+DCFF). The journal, the report and git cannot write them: such text is refused (exit
2) where it is read, before any run folder exists, as a control character is
(`masking.first_control`).
"""

from __future__ import annotations

import re

_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def first_undecodable(text: str) -> str | None:
    """The first character of `text` that is no UTF-8 text: the byte it stood for
    (`byte 0xe9`), or U+XXXX for a lone surrogate that stood for no byte; else None."""
    found = _SURROGATE_RE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    return f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"


def not_utf8(what: str, text: str, hint: str = "give one line of plain text") -> str | None:
    """`WHAT is not UTF-8 text (byte 0xe9); HINT` for a usage error, or None when it is."""
    bad = first_undecodable(text)
    if bad is None:
        return None
    return f"{what} is not UTF-8 text ({bad}); {hint}"
