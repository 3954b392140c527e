"""Where each `{{ value }}` of a command lands, as the shell will read it.

A command is rendered with every value replaced by a sentinel; `scan` walks
that text the way sh/bash tokenise it (quotes, `$(…)`, backquotes, `${…}`,
arithmetic, `[[ … ]]`, `case` patterns, comments, heredoc bodies) and asks
`emit` for the text of each sentinel given its `Ctx`. Contexts where no
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

from runbookctl.safety.shell_words import (
    ARITH,
    BRACE,
    CMD,
    REFUSE_REASONS,
    TEST,
    WORD_END,
    Frame,
    backquoted,
    closing_backquote,
    command_rule,
    end_word,
    escaped_backslash,
    reparsing,
    reset_command,
    script_word,
    specials,
    ssh_position,
    unescape,
)

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

_SEPARATORS = frozenset(";&|\n")
_BRACE_OP = re.compile(r":[-=?+]|[-=?+]|##?|%%?|//?|/#|/%|\^\^?|,,?|@|:")
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


class Refusal(Exception):
    """A value cannot be placed safely where it is (raised by `emit` or a body check)."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


Emit = Callable[[int, Ctx], str]


@dataclass
class _Doc:
    delim: str
    literal: bool
    strip_tabs: bool
    start: int = 0


def scan(text: str, emit: Emit, *, dialect: str = "sh", check_bodies: bool = True
         ) -> str:
    """`text` with each sentinel replaced by `emit(index, ctx)` for its context."""
    reps = _Scanner(text, emit, dialect, check_bodies).run()
    out: list[str] = []
    pos = 0
    for start, end, rep in sorted(reps):
        out.append(text[pos:start])
        out.append(rep)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def dialect_of(shell: str) -> str:
    """'bash' for a shell that reads $'…', else 'sh' (which may or may not)."""
    return "bash" if shell.rsplit("/", 1)[-1] in ANSI_SHELLS else "sh"


class _Scanner:
    def __init__(self, text: str, emit: Emit, dialect: str, check_bodies: bool) -> None:
        self.t = text
        self.n = len(text)
        self.i = 0
        self.emit = emit
        self.dialect = dialect
        self.check_bodies = check_bodies
        self.stack = [Frame(CMD)]
        self.reps: list[tuple[int, int, str]] = []
        self.pending: list[_Doc] = []
        self.bodies: list[tuple[_Doc, int]] = []
        self.poison = ""  # once set, every later value is refused for this reason
        self.doc: _Doc | None = None  # the heredoc body being read (expanding)

    # --- driver -----------------------------------------------------------------

    def run(self) -> list[tuple[int, int, str]]:
        while self.i < self.n:
            if self.doc is not None and self._at_line_start() and self._doc_ends():
                continue
            if self.t[self.i] == "\x00" and self._sentinel():
                continue
            self._step(self.stack[-1])
        if self.doc is not None:
            self.bodies.append((self.doc, self.n))
        if self.check_bodies:
            self._check_bodies()
        return self.reps

    def _step(self, top: Frame) -> None:
        kind = top.kind
        if kind == "sq":
            self._sq()
        elif kind == "ansi":
            self._ansi()
        elif kind == "dq":
            self._dq(top)
        elif kind == BRACE:
            self._brace(top)
        elif kind == ARITH:
            self._arith(top)
        elif kind == HEREDOC:
            self._heredoc_char()
        else:
            self._cmd(top)

    def _sentinel(self) -> bool:
        m = SENTINEL_RE.match(self.t, self.i)
        if m is None:
            return False
        index = int(m.group(1))
        ctx = self._context()
        self.reps.append((m.start(), m.end(), self.emit(index, ctx)))
        top = self.stack[-1]
        if top.kind in (CMD, TEST):
            self._word_char(top, m.group(0))
        self.i = m.end()
        return True

    def _refused(self, why: str) -> Ctx:
        return Ctx(REFUSED, REFUSE_REASONS[why])

    def _context(self) -> Ctx:
        if self.poison:
            return self._refused(self.poison)
        prev = self.t[self.i - 1] if self.i else ""
        top = self.stack[-1]
        if prev == "\\" and top.kind != "sq" and not escaped_backslash(self.t, self.i - 1):
            return self._refused("backslash")
        if prev == "$" and top.kind != "sq":
            return self._refused("dollar")
        base = next(f for f in reversed(self.stack) if f.kind not in ("sq", "dq", "ansi"))
        if base.kind == ARITH:
            return Ctx(INT)
        if base.kind in (CMD, TEST):
            rule = self._command_rule(base)
            if rule is not None:
                return rule
        if top.kind == BRACE:
            return self._brace_context(top)
        kind = {"sq": SQ, "ansi": ANSI, "dq": DQ, HEREDOC: HEREDOC, TEST: TEST_WORD}.get(top.kind, WORD)
        # `ssh {{ host }}`: a value starting with '-' would be an option (-oProxyCommand=…).
        leading = base.kind == CMD and base.word in ("", "'", '"') and \
            ssh_position(base) == "destination"
        return Ctx(kind, in_heredoc=any(f.kind == HEREDOC for f in self.stack), no_option=leading)

    def _reparsed(self, base: Frame | None = None) -> str:
        """Why text here is read again: it becomes a script another shell reads (eval,
        sh -c …), also through a `$(…)` whose output lands there. The value as the whole
        script (`sh -c {{ cmd }}`, `eval "{{ cmd }}"`) says to run it: not refused."""
        for frame in self.stack:
            why = reparsing(frame) if frame.kind in (CMD, TEST) else ""
            if why == "reparsed" and frame is base and script_word(frame) and \
                    self._whole_word(frame):
                continue
            if why:
                return why
        return ""

    def _whole_word(self, base: Frame) -> bool:
        """The sentinel at `i` is all of its word (alone, or alone in quotes)."""
        m = SENTINEL_RE.match(self.t, self.i)
        if m is None or base.word not in ("", "'", '"'):
            return False
        if base.word and (len(self.stack) < 2 or self.stack[-2] is not base or
                          self.stack[-1].start != self.i - 1):
            return False  # text came before the value inside the quotes
        after = self.t[m.end(): m.end() + 2]
        if base.word:
            after = after[1:] if after[:1] == base.word else "x"
        return after[:1] in ("", *WORD_END)

    def _command_rule(self, base: Frame) -> Ctx | None:
        """Words bash evaluates as arithmetic or as variable names, even when quoted; text
        another shell parses again."""
        why = self._reparsed(base) or command_rule(base, self._test_text(base))
        if why == "int":
            return Ctx(INT)
        return self._refused(why) if why else None

    def _brace_context(self, top: Frame) -> Ctx:
        if top.phase == "name":
            return self._refused("name")
        if top.phase == "int":
            return Ctx(INT)
        if top.heredoc:
            return self._refused("heredoc-brace")
        return Ctx(DQ_BRACE if top.quoted else WORD)

    def _test_text(self, top: Frame) -> str:
        end = self.t.find("]]", self.i)
        return self.t[top.start: self.n if end < 0 else end]

    # --- heredoc bodies -----------------------------------------------------------

    def _at_line_start(self) -> bool:
        return self.i == 0 or self.t[self.i - 1] == "\n"

    def _line(self) -> tuple[str, int]:
        end = self.t.find("\n", self.i)
        end = self.n if end < 0 else end
        return self.t[self.i:end], end

    def _is_delim(self, doc: _Doc, line: str) -> bool:
        return (line.lstrip("\t") if doc.strip_tabs else line) == doc.delim

    def _doc_ends(self) -> bool:
        """At a line start in an expanding body: the delimiter line ends it."""
        doc = self.doc
        assert doc is not None
        if self.stack[-1].kind != HEREDOC:
            return False
        line, end = self._line()
        if not self._is_delim(doc, line):
            return False
        self.bodies.append((doc, self.i))
        self.stack.pop()
        self.doc = None
        self.i = min(end + 1, self.n)
        self._next_body()
        return True

    def _next_body(self) -> None:
        """After the newline ending a command line: read the pending heredoc bodies."""
        while self.pending:
            doc = self.pending.pop(0)
            doc.start = self.i
            if not doc.literal:
                self.doc = doc
                self.stack.append(Frame(HEREDOC))
                return
            self._literal_body(doc)

    def _literal_body(self, doc: _Doc) -> None:
        while self.i < self.n:
            line, end = self._line()
            if self._is_delim(doc, line):
                self.bodies.append((doc, self.i))
                self.i = min(end + 1, self.n)
                return
            for m in SENTINEL_RE.finditer(line):
                ctx = self._refused(self.poison) if self.poison else Ctx(LITERAL)
                self.reps.append((self.i + m.start(), self.i + m.end(),
                                  self.emit(int(m.group(1)), ctx)))
            self.i = min(end + 1, self.n)
        self.bodies.append((doc, self.n))

    def _check_bodies(self) -> None:
        """A value must not make a line equal to the delimiter: it would end the body."""
        for doc, end in self.bodies:
            inside = sorted(r for r in self.reps if doc.start <= r[0] < end)
            if not inside:
                continue
            text, spans = _apply(self.t, doc.start, end, inside)
            at = 0
            for line in text.split("\n"):
                if self._is_delim(doc, line) and at + len(line) < len(text):
                    culprit = next(i for i, (s, e) in enumerate(spans)
                                   if s <= at + len(line) and e >= at)
                    raise Refusal(_index_of(self.t, inside[culprit]),
                                  f"makes a line '{doc.delim}' in a heredoc body, which would "
                                  f"end it there and run the rest as commands")
                at += len(line) + 1

    def _heredoc_op(self) -> None:
        """`<<` / `<<-` then the delimiter word (quoted: a literal body)."""
        self.i += 2
        strip = self.i < self.n and self.t[self.i] == "-"
        self.i += 1 if strip else 0
        while self.i < self.n and self.t[self.i] in " \t":
            self.i += 1
        delim, quoted = self._delim_word()
        if delim:
            self.pending.append(_Doc(delim, quoted, strip))

    def _delim_word(self) -> tuple[str, bool]:
        start = self.i
        out: list[str] = []
        quoted = False
        while self.i < self.n and self.t[self.i] not in WORD_END:
            c = self.t[self.i]
            if c in "'\"":
                end = self.t.find(c, self.i + 1)
                end = self.n if end < 0 else end
                out.append(self.t[self.i + 1:end])
                quoted, self.i = True, end + 1
            elif c == "\\":
                out.append(self.t[self.i + 1: self.i + 2])
                quoted, self.i = True, self.i + 2
            else:
                out.append(c)
                self.i += 1
        for m in SENTINEL_RE.finditer(self.t, start, min(self.i, self.n)):
            self.reps.append((m.start(), m.end(),
                              self.emit(int(m.group(1)), self._refused("delimiter"))))
        return "".join(out), quoted

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

    # --- quotes -------------------------------------------------------------------

    def _next_is_plain(self) -> bool:
        """The character after a backslash is not a sentinel (which must stay visible)."""
        return self.i + 1 < self.n and self.t[self.i + 1] != "\x00"

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
        sub = _Scanner(inner, self.emit, self.dialect, self.check_bodies)
        sub.poison = self.poison or self._reparsed()
        for s, e, rep in sub.run():
            rep = backquoted(rep, in_dq)
            self.reps.append((start + where[s], start + where[e - 1] + 1, rep))
        self.i = end + 1

    # --- ${…} and arithmetic -------------------------------------------------------

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

    # --- shell code -----------------------------------------------------------------

    def _cmd(self, top: Frame) -> None:
        t, i = self.t, self.i
        c = t[i]
        if top.kind == TEST and top.word == "" and t.startswith("]]", i):
            self.stack.pop()
            self.i += 2
        elif c == "#" and top.word == "":
            self._comment()
        elif c == "(" and top.word == "" and t.startswith("((", i) and top.kind == CMD:
            end_word(top)
            self.stack.append(Frame(ARITH, "))", i))  # (( … )) and for (( … ))
            self.i += 2
        elif c in "'\"":
            self.stack.append(Frame("sq" if c == "'" else "dq", start=i))
            self._word_char(top, c)
        elif c == "\\":
            step = 2 if self._next_is_plain() else 1
            self._word_char(top, t[i:i + step])
            if t[i + 1: i + 2] == "\n" and top.word == "\\\n":
                top.word = ""  # a line continuation joins words, it is not one
        elif c == "$":
            self._word_char(top, "", advance=False)
            self._dollar(quoted=False)
        elif c == "`":
            self._word_char(top, "", advance=False)
            self._backquote(in_dq=False)
        elif c in WORD_END:
            self._operator(top)
        else:
            self._plain(top)

    def _plain(self, top: Frame) -> None:
        t, i = self.t, self.i
        if top.word == "" and top.cmd_pos and t.startswith("[[", i) and \
                t[i + 2: i + 3] in (" ", "\t", "\n"):
            self.stack.append(Frame(TEST, "]]", i, cmd_pos=False))
            self.i += 2
        else:
            self._word_char(top, t[i])

    def _word_char(self, top: Frame, text: str, *, advance: bool = True) -> None:
        if top.word == "":
            top.word_cmd = top.cmd_pos
        top.word += text or "$"
        if advance:
            self.i += len(text)

    def _comment(self) -> None:
        end = self.t.find("\n", self.i)
        end = self.n if end < 0 else end
        for m in SENTINEL_RE.finditer(self.t, self.i, end):
            self.reps.append((m.start(), m.end(),
                              self.emit(int(m.group(1)), self._refused("comment"))))
        self.i = end

    def _operator(self, top: Frame) -> None:
        """A blank, newline or operator character: ends the current word."""
        t, i = self.t, self.i
        c = t[i]
        end_word(top)
        if t.startswith("<<<", i):
            self.i += 3  # a here-string: an ordinary word follows
            return
        if t.startswith("<<", i) and top.kind == CMD:
            self._heredoc_op()
            return
        self.i += 1
        if c in _SEPARATORS:
            self._separator(top, c)
        elif c == "(":
            if top.cases and top.cases[-1] == "pattern":
                return  # the optional `(` before a case pattern
            self.stack.append(Frame(CMD, ")", i))
        elif c == ")":
            self._close_paren(top)

    def _separator(self, top: Frame, c: str) -> None:
        if c == ";" and top.cases and top.cases[-1] == "body" and \
                self.t[self.i: self.i + 1] in (";", "&"):
            top.cases[-1] = "pattern"
            self.i += 2 if self.t.startswith(";&", self.i) else 1
        reset_command(top)
        if c == "\n" and self.pending and self.doc is None:
            self._next_body()

    def _close_paren(self, top: Frame) -> None:
        if top.cases and top.cases[-1] == "pattern":
            top.cases[-1] = "body"
            top.cmd_pos = True
        elif top.close == ")":
            self.stack.pop()

def _apply(text: str, start: int, end: int, reps: list[tuple[int, int, str]]
           ) -> tuple[str, list[tuple[int, int]]]:
    """text[start:end] with `reps` (sorted) applied, and where each replacement landed."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = start
    size = 0
    for s, e, rep in reps:
        out.append(text[pos:s])
        size += s - pos
        spans.append((size, size + len(rep)))
        out.append(rep)
        size += len(rep)
        pos = e
    out.append(text[pos:end])
    return "".join(out), spans


def _index_of(text: str, rep: tuple[int, int, str]) -> int:
    m = SENTINEL_RE.match(text, rep[0])
    return int(m.group(1)) if m else 0
