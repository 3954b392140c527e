"""A template or expression of a runbook, where it was written, and how to point
at a line inside it: what the template and command checks report against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runbookctl.positions import Pos
from runbookctl.runbook.yaml_positions import source_line


@dataclass(frozen=True)
class Source:
    """One template or expression of a runbook and where it was written."""

    text: str
    pos: Pos  # the position of the YAML value
    key_path: str  # e.g. steps[3].run
    expression: bool = False  # an EXPR (no braces) rather than a template
    extra: frozenset[str] = frozenset()  # names only this field sees (result, host)
    command: bool = False  # values are shell-quoted here (so `unquoted` matters)
    shell: str = ""  # the command's `shell:` (how it is read: sh or bash)


def locate(text: str, value_pos: Pos, lineno: int, where: tuple[str, ...] = ()) -> Pos:
    """The file position of line `lineno` of a YAML scalar starting at `value_pos`."""
    first = source_line(text, value_pos.line) or ""
    block = first[value_pos.col - 1: value_pos.col] in ("|", ">")
    line = value_pos.line + lineno - (0 if block else 1)
    source = source_line(text, line)
    if source is None:
        return value_pos
    start = value_pos.col - 1 if line == value_pos.line else 0
    for pattern in where:
        match = re.compile(pattern).search(source, start)
        if match:
            return Pos(value_pos.file, line, match.start() + 1)
    if line == value_pos.line:
        return value_pos
    return Pos(value_pos.file, line, len(source) - len(source.lstrip()) + 1)
