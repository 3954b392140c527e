"""Text whose line breaks are taken out, so that a secret spread over several
lines (`fold -w 8`, `base64` wrapping at 76 columns, an indented block) is
found like one written on one line, and where it was in the text is known.

A line break here is `\\n` or `\\r\\n` with the spaces and tabs around it (the
end of one line, the indentation of the next): a *joint*. The forms looked for
are flattened the same way (`flat_forms`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

JOINT = re.compile(r"[ \t]*\r?\n[ \t]*")
# Deleted from text and forms alike for a quick, permissive check (`squeeze`).
_SQUEEZED = " \t\r\n"
_SQUEEZE_TABLE = str.maketrans("", "", _SQUEEZED)
SQUEEZED_BYTES = _SQUEEZED.encode("ascii")
# Text without these has only bare `\n` joints.
_JOINT_EDGES = ("\r", " \n", "\t\n", "\n ", "\n\t")


# A passphrase's spaces each may sit next to a line break (`fold` ends a line with one or
# starts the next with it), where the flat text loses them: every subset for up to this
# many spaces, else all of them at once.
SPACES_EACH = 6


def flat_forms(forms: Iterable[str], minimum: int) -> set[str]:
    """Each form with its joints taken out, as text is; a form's spaces, at its ends
    or inside, may sit next to a line break, where the text loses them."""
    flat = set()
    for form in forms:
        joined = JOINT.sub("", form)
        flat |= {joined, joined.strip(" \t"), joined.lstrip(" \t"), joined.rstrip(" \t")}
        flat |= _spaces_lost(joined.strip(" \t"))
    return {f for f in flat if len(f) >= minimum}


def _spaces_lost(form: str) -> set[str]:
    spaces = [i for i, c in enumerate(form) if c in " \t"]
    if not spaces:
        return set()
    if len(spaces) > SPACES_EACH:
        return {squeeze(form)}
    out = set()
    for mask in range(1, 1 << len(spaces)):
        lost = {spaces[j] for j in range(len(spaces)) if mask >> j & 1}
        out.add("".join(c for i, c in enumerate(form) if i not in lost))
    return out


def squeeze(text: str) -> str:
    """`text` without spaces, tabs and line breaks: when a squeezed form is not
    in the squeezed text, the form is not in the text, over lines or not."""
    return text.translate(_SQUEEZE_TABLE)


class Flat:
    """`text` without its joints (`.text`), mapping positions back to `text`.

    The flat text is made at C speed (`str.replace` when every joint is a bare
    `\n`); where the joints were is worked out only when a position is asked
    for, which is when a form was found: rarely.
    """

    __slots__ = ("_at", "_shift", "_source", "text")

    def __init__(self, text: str) -> None:
        self._source = text
        self._at: list[int] | None = None  # flat positions where a joint was taken out
        self._shift: list[int] = []  # characters taken out up to and including it
        if "\n" not in text:
            self.text = text
        elif any(edge in text for edge in _JOINT_EDGES):
            self.text = JOINT.sub("", text)
        else:
            self.text = text.replace("\n", "")

    def _joints(self) -> list[int]:
        if self._at is None:
            self._at = []
            removed = 0
            for joint in JOINT.finditer(self._source):
                self._at.append(joint.start() - removed)
                removed += joint.end() - joint.start()
                self._shift.append(removed)
        return self._at

    def start(self, flat: int) -> int:
        """Where the character at flat position `flat` is in the text."""
        i = bisect_right(self._joints(), flat)
        return flat + (self._shift[i - 1] if i else 0)

    def end(self, flat: int) -> int:
        """Where a span ending (exclusive) at flat position `flat` ends in the text:
        right after its last character, the line break that follows left out."""
        return self.start(flat - 1) + 1 if flat > 0 else 0

    def joined(self, flat_start: int, flat_end: int) -> bool:
        """Whether the flat span crosses a line break of the text."""
        at = self._joints()
        return bisect_right(at, flat_start) < bisect_right(at, flat_end - 1)
