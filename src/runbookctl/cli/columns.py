"""A plain text table for listings (`list`): columns two spaces apart, as wide as the
terminal allows, one column wrapped to fit and the others never cut (an id is what a
command takes). Rich's Table measured every cell through its renderer: 500 runbooks
took ~0.3 s to lay out, more than everything else `list` does.
"""

from __future__ import annotations

import shutil
import textwrap

GAP = "  "
MIN_WRAP = 20  # the wrapped column never gets narrower than this


def columns(headers: list[str], rows: list[list[str]], *, wrap: int,
            width: int | None = None) -> str:
    """The table as text; column `wrap` wraps at word boundaries to fit `width` (default:
    the terminal's, or $COLUMNS, else 80)."""
    total = width or shutil.get_terminal_size().columns
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    others = sum(w for i, w in enumerate(widths) if i != wrap) + len(GAP) * (len(headers) - 1)
    widths[wrap] = max(MIN_WRAP, min(widths[wrap], total - others))
    lines = [_line(headers, widths)]
    for row in rows:
        parts = _wrapped(row[wrap], widths[wrap])
        for n, part in enumerate(parts):
            cells = [part if i == wrap else (cell if n == 0 else "") for i, cell in enumerate(row)]
            lines.append(_line(cells, widths))
    return "\n".join(lines)


def _wrapped(text: str, width: int) -> list[str]:
    """textwrap.wrap's lines (at least one). Text that is words between single spaces,
    printable and without hyphens (where textwrap also breaks) is filled greedily here,
    as textwrap fills it: its general wrap of 500 titles took longer than the rest of
    the table. A test compares the two on arbitrary text."""
    words = text.split(" ")
    if not (text.isprintable() and "-" not in text and all(0 < len(w) <= width for w in words)):
        return textwrap.wrap(text, width) or [""]
    lines, line = [], words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    return [*lines, line]


def _line(cells: list[str], widths: list[int]) -> str:
    return GAP.join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
