"""Quotes and expansions as the scanner reads them (safety/shell_expansions.py):
'…', "…", $'…', $(( )), $[ ], ${…}, backquotes."""

from __future__ import annotations

import pytest

from runbookctl.safety.shell_contexts import REFUSED
from tests.unit.safety.scanning import kinds


@pytest.mark.parametrize(("template", "found"), [
    ("echo $(( {} + 1 )) $(({}))", ["int", "int"]),
    ("echo $[ {} ]", ["int"]),
    ("echo ${x:-{}} \"${x:-{}}\" \"${x:-\"{}\"}\" ${x#{}}", ["word", "dq-brace", "dq", "word"]),
    ("echo $'{}' $\"{}\"", ["ansi", "dq"]),
    ("echo `echo {} \"{}\"` \"`echo {}`\"", ["word", "dq", "word"]),
    ("echo \\\\{} \"\\\\{}\"", ["word", "dq"]),
])
def test_each_expansion_gives_its_context(template: str, found: list[str]) -> None:
    assert kinds(template) == found


@pytest.mark.parametrize(("template", "why"), [
    ("echo ${{}} ${!{}}", "parameter"),
    ("echo $'\\n' {}", "$'…'"),
])
def test_values_no_quoting_makes_safe_in_an_expansion_are_refused(template: str, why: str) -> None:
    assert REFUSED in kinds(template)


def test_ansi_c_quotes_are_read_as_bash_reads_them_when_the_shell_is_bash() -> None:
    assert kinds("echo $'\\n' {}", "bash") == ["word"]
    assert kinds("echo $'\\'{}'", "bash") == ["ansi"]
