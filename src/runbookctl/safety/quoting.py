"""Quoting a value for the exact shell context it lands in (safety/shell_contexts.py
says which), or refusing it where no quoting is safe; and every form quoting can
make of a secret, so masking finds each one.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from runbookctl.errors import TemplateError
from runbookctl.safety.shell_contexts import (
    ANSI,
    DQ,
    DQ_BRACE,
    HEREDOC,
    INT,
    LITERAL,
    REFUSED,
    SQ,
    TEST_WORD,
    WORD,
    Ctx,
    Refusal,
)
from runbookctl.safety.shell_words import backquoted


class Unquoted(str):
    """A value the author chose not to quote (`| unquoted`)."""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if "\x00" in text:
        raise TemplateError(f"a value contains a NUL byte and cannot be passed to a shell: {text!r}")
    return text


def words(value: Any) -> list[str]:
    """Split on whitespace and commas: `{{ hosts | words }}` gives one argument per item."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [w for w in re.split(r"[\s,]+", "" if value is None else str(value)) if w]


def quote_for(value: Any, ctx: Ctx | str, index: int = 0) -> str:
    """Quote `value` so it stays literal data in context `ctx` (see shell_contexts.py); a
    context kind may be given by name ('bq': a word inside backquotes).

    A list in a word context becomes one quoted argument per item.
    """
    if isinstance(ctx, str):
        if ctx == "bq":
            return backquoted(quote_for(value, Ctx(WORD), index))
        ctx = Ctx(_KIND_NAMES.get(ctx, ctx))
    if isinstance(value, list | tuple) and ctx.kind == WORD:
        items = [_as_text(v) for v in value]
        _no_option(ctx, items, index)
        if ctx.one_word and len(items) > 1:
            raise Refusal(index, "is a list of several words where ssh takes one: ssh would run "
                                 "the words after the first as a remote command (one host per step, "
                                 "or the step's `hosts:`)")
        return " ".join(shlex.quote(v) for v in items)
    text = _as_text(value)
    if isinstance(value, Unquoted):
        return text
    kind = ctx.kind
    if kind == REFUSED:
        raise Refusal(index, ctx.reason)
    if kind == INT:
        return _integer(value, text, index)
    _no_option(ctx, [text], index)
    quoted = _quoted(text, kind)
    if ctx.in_heredoc and _CONTINUATION.search(quoted):
        raise Refusal(index, "holds a backslash at the end of a line, which the shell drops "
                             "inside a heredoc body: put the value in \"…\" or a variable")
    return quoted


def _no_option(ctx: Ctx, items: list[str], index: int) -> None:
    if ctx.no_option and any(item.startswith("-") for item in items):
        raise Refusal(index, "starts with '-', so ssh would read it as an option "
                             "(-oProxyCommand=… runs a command)")


_KIND_NAMES = {"bare": WORD}
# Every context a value can be quoted for (the redactor masks each form of a secret).
QUOTED_KINDS = (WORD, SQ, DQ, DQ_BRACE, HEREDOC, TEST_WORD, ANSI)


def quoted_forms(text: str) -> set[str]:
    """Every text runbookctl's quoting can make of `text`, also inside backquotes."""
    forms = {_quoted(text, kind) for kind in QUOTED_KINDS}
    return forms | {backquoted(f, dq) for f in forms for dq in (False, True)}


def _quoted(text: str, kind: str) -> str:
    if kind in _ESCAPES:
        return re.sub(_ESCAPES[kind], r"\\\1", text)
    if kind == DQ_BRACE:
        # "${x:-"…"}": bash would pair a lone ' in the word; in nested "…" it is literal
        return '"' + re.sub(_ESCAPES[DQ], r"\\\1", text) + '"'
    if kind == SQ:
        return text.replace("'", "'\\''")
    if kind == TEST_WORD:
        return "'" + text.replace("'", "'\\''") + "'"
    if kind == ANSI:
        # end $'…', add the value in '…', start $'… again: no escape is read in the value
        return "'" + shlex.quote(text) + "$'"
    if kind == LITERAL:
        return text
    return shlex.quote(text)


# Backslash-escaped characters per context: those the shell still reads there.
_ESCAPES = {DQ: r'([\\"$`])', HEREDOC: r"([\\$`])"}
_CONTINUATION = re.compile(r"(?<!\\)(?:\\\\)*\\\n")
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def _integer(value: Any, text: str, index: int) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if _INTEGER.fullmatch(text):
        return str(int(text))
    raise Refusal(index, "is in shell arithmetic, where only an integer is safe, and is not one "
                         "(write {{ value | int }} to convert it)")
