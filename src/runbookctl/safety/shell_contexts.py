"""Where each `{{ value }}` of a command lands, as the shell will read it: the contexts.

A command is rendered with every value replaced by a sentinel;
`shell_scan.scan` walks that text the way sh/bash tokenise it (quotes, `$(…)`,
backquotes, `${…}`, arithmetic, `[[ … ]]`, `case` patterns, comments, heredoc
bodies) and asks `emit` for the text of each sentinel given its `Ctx`. Contexts where no
quoting keeps a value literal (a comment, a heredoc delimiter, a parameter
name, a backslash or `$` right before the value, …) are `REFUSED`: the
caller refuses them, it never guesses. Backquoted text is scanned after the
shell's own first pass removes its escapes, and what `emit` returns is
escaped again for it, so nesting needs no special cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

SENTINEL = "\x00RBQ{}\x00"
SENTINEL_RE = re.compile("\x00RBQ(\\d+)\x00")

# Contexts (Ctx.kind).
WORD = "word"  # unquoted shell code: one quoted word
TEST_WORD = "test-word"  # inside [[ … ]]: always in quotes (a bare -n would be an operator)
SQ = "sq"  # inside '…'
DQ = "dq"  # inside "…"
DQ_BRACE = "dq-brace"  # the word of "${x:-…}": also `}` is escaped
ANSI = "ansi"  # inside bash $'…'
HEREDOC = "heredoc"  # unquoted heredoc body: like "…" but `"` is literal
LITERAL = "literal"  # quoted heredoc body (<<'EOF'): nothing is special
INT = "int"  # arithmetic: an integer only
REFUSED = "refused"

# Shells that read $'…' (the others read `$` then '…').
ANSI_SHELLS = frozenset({"bash", "zsh", "ksh", "ksh93", "mksh"})


@dataclass(frozen=True)
class Ctx:
    kind: str
    reason: str = ""  # why a REFUSED context is refused, and what to do instead
    # Inside an unquoted heredoc body, where the shell drops every backslash-newline
    # (also inside '…' there) before it reads the rest.
    in_heredoc: bool = False
    no_option: bool = False  # must not start with '-' (ssh's destination)
    one_word: bool = False  # a list must be one word (ssh's destination or an option's argument)


class Refusal(Exception):
    """A value cannot be placed safely where it is (raised by `emit` or a body check)."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


Emit = Callable[[int, Ctx], str]


def dialect_of(shell: str) -> str:
    """'bash' for a shell that reads $'…', else 'sh' (which may or may not)."""
    return "bash" if shell.rsplit("/", 1)[-1] in ANSI_SHELLS else "sh"
