"""Heredocs as the scanner reads them (safety/shell_heredocs.py): expanding and literal
bodies, `<<-`, several heredocs on one line, the delimiter word, and no value that
ends a body early."""

from __future__ import annotations

import pytest

from runbookctl.safety.shell_contexts import REFUSED, SENTINEL, Ctx, Refusal
from runbookctl.safety.shell_scan import scan
from tests.unit.safety.scanning import kinds


@pytest.mark.parametrize(("template", "found"), [
    ("cat <<EOF\n{} '{}' \"{}\"\nEOF\necho {}", ["heredoc", "heredoc", "heredoc", "word"]),
    ("cat <<'EOF'\n$(x) {}\nEOF\n", ["literal"]),
    ("cat <<\"EOF\"\n{}\nEOF\n", ["literal"]),
    ("cat <<\\EOF\n{}\nEOF\n", ["literal"]),
    ("cat <<-EOF\n\t{}\n\tEOF\necho {}", ["heredoc", "word"]),
    ("cat <<A <<'B'\n{}\nA\n{}\nB\n{}", ["heredoc", "literal", "word"]),
    ("x=$(cat <<EOF\n{}\nEOF\n) && echo \"{}\"", ["heredoc", "dq"]),
    ("cat <<EOF\n$(echo {} \"{}\")\nEOF", ["word", "dq"]),
])
def test_each_body_is_read_as_the_shell_reads_it(template: str, found: list[str]) -> None:
    assert kinds(template) == found


@pytest.mark.parametrize(("template", "why"), [
    ("cat <<EOF\n\\{}\nEOF", "backslash"),
    ("cat <<{}\nx\n", "delimiter"),
    ("cat <<'E{}'\nx\n", "delimiter"),
    ("cat <<EOF\n${x:-{}}\nEOF", "heredoc"),
])
def test_values_no_quoting_makes_safe_in_a_heredoc_are_refused(template: str, why: str) -> None:
    assert kinds(template) == [REFUSED]


def test_a_value_that_would_end_the_body_early_is_refused_by_its_index() -> None:
    text = f"cat <<EOF\nok {SENTINEL.format(0)}\n{SENTINEL.format(1)}\nEOF\necho done"

    def emit(index: int, ctx: Ctx) -> str:
        return "EOF" if index == 1 else "fine"

    with pytest.raises(Refusal) as caught:
        scan(text, emit)
    assert caught.value.index == 1
    assert "makes a line 'EOF' in a heredoc body" in caught.value.reason
    assert scan(text, lambda index, ctx: "EOF " + str(index)) == \
        "cat <<EOF\nok EOF 0\nEOF 1\nEOF\necho done"
