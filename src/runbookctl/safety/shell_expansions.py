"""The quoting and expansion part of the shell scanner: '…', "…", $'…', `$(…)`,
`$((…))`, `${…}`, backquotes, arithmetic, and the characters of an expanding
heredoc body (where `$` and backquotes stay live)."""

from __future__ import annotations

import re

from runbookctl.safety.shell_scan_state import ScanState
from runbookctl.safety.shell_words import (
    ARITH,
    BRACE,
    CMD,
    Frame,
    backquoted,
    closing_backquote,
    specials,
    unescape,
)

_BRACE_OP = re.compile(r":[-=?+]|[-=?+]|##?|%%?|//?|/#|/%|\^\^?|,,?|@|:")


class Expansions(ScanState):
    def _heredoc_char(self) -> None:
        """A character of an expanding body: `$` and backquotes live; `"` literal."""
        c = self.t[self.i]
        if c == "\\":
            self.i += 2 if self._next_is_plain() else 1
        elif c == "$":
            self._dollar(quoted=True, heredoc=True)
        elif c == "`":
            self._backquote(in_dq=False)
        else:
            self.i += 1

    def _sq(self) -> None:
        if self.t[self.i] == "'":
            self.stack.pop()
        self.i += 1

    def _ansi(self) -> None:
        c = self.t[self.i]
        if c == "\\":
            if self.dialect != "bash":
                self.poison = self.poison or "ansi-sh"
            self.i += 2 if self._next_is_plain() else 1
            return
        if c == "'":
            self.stack.pop()
        self.i += 1

    def _dq(self, top: Frame) -> None:
        c = self.t[self.i]
        if c == '"':
            self.stack.pop()
            self.i += 1
        elif c == "\\":
            self.i += 2 if self._next_is_plain() else 1
        elif c == "$":
            self._dollar(quoted=True)
        elif c == "`":
            self._backquote(in_dq=True)
        else:
            self.i += 1

    def _dollar(self, *, quoted: bool, heredoc: bool = False) -> None:
        """`$(`, `$((`, `${`, `$[`, and outside "…" also `$'` and `$"`."""
        t, i = self.t, self.i
        nxt = t[i + 1: i + 3]
        if nxt == "((":
            self.stack.append(Frame(ARITH, "))", i))
            self.i += 3
        elif nxt[:1] == "(":
            self.stack.append(Frame(CMD, ")", i))
            self.i += 2
        elif nxt[:1] == "{":
            self.stack.append(Frame(BRACE, "}", i, quoted=quoted, heredoc=heredoc))
            self.i += 2
        elif nxt[:1] == "[":
            self.stack.append(Frame(ARITH, "]", i))
            self.i += 2
        elif nxt[:1] == "'" and not quoted:
            self.stack.append(Frame("ansi"))
            self.i += 2
        elif nxt[:1] == '"' and not quoted:
            self.stack.append(Frame("dq"))
            self.i += 2
        else:
            self.i += 1

    def _backquote(self, *, in_dq: bool) -> None:
        """Scan `…` as the shell does: drop its escapes, scan, escape what was emitted."""
        start = self.i + 1
        end = closing_backquote(self.t, start)
        if end < 0:
            self.poison = self.poison or "unterminated"
            self.i += 1
            return
        inner, where = unescape(self.t[start:end], specials(in_dq))
        sub = self._nested(inner)
        sub.poison = self.poison or self._reparsed()
        for s, e, rep in sub.run():
            rep = backquoted(rep, in_dq)
            self.reps.append((start + where[s], start + where[e - 1] + 1, rep))
            self._staged(len(self.reps) - 1)
        self.i = end + 1

    def _brace(self, top: Frame) -> None:
        c = self.t[self.i]
        if c == "}":
            self.stack.pop()
            self.i += 1
        elif top.phase == "name":
            self._brace_name(top)
        elif c == "\\":
            self.i += 2 if self._next_is_plain() else 1
        elif c == "$":
            self._dollar(quoted=top.quoted, heredoc=top.heredoc)
        elif c == "`":
            self._backquote(in_dq=top.quoted)
        elif c == '"':
            self.stack.append(Frame("dq"))
            self.i += 1
        elif c == "'" and not top.quoted:
            self.stack.append(Frame("sq"))
            self.i += 1
        else:
            self.i += 1

    def _brace_name(self, top: Frame) -> None:
        m = re.compile(r"[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])?").match(self.t, self.i)
        assert m is not None
        self.i = m.end()
        if self.t.startswith("[", self.i):
            self.stack.append(Frame(ARITH, "]", self.i))
            self.i += 1
            return
        op = _BRACE_OP.match(self.t, self.i)
        if op is not None:
            top.phase = "int" if op.group(0) == ":" else "word"
            self.i = op.end()
        elif self.i < self.n and self.t[self.i] not in "}\x00":
            self.i += 1  # not a form we know: it stays "name", where values are refused

    def _arith(self, top: Frame) -> None:
        c = self.t[self.i]
        if top.depth == 0 and self.t.startswith(top.close, self.i):
            self.stack.pop()
            self.i += len(top.close)
            return
        if c in "()":
            top.depth += 1 if c == "(" else -1
            self.i += 1
        elif c == "$":
            self._dollar(quoted=False)
        elif c == "`":
            self._backquote(in_dq=False)
        elif c in "'\"":
            self.stack.append(Frame("sq" if c == "'" else "dq"))
            self.i += 1
        elif c == "\\":
            self.i += 2 if self._next_is_plain() else 1
        else:
            self.i += 1
