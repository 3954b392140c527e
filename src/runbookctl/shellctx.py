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
from dataclasses import dataclass, field

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

_CMD, _TEST, _ARITH, _BRACE = "cmd", "test", "arith", "brace"
_SEPARATORS = frozenset(";&|\n")
_WORD_END = frozenset(" \t\n;&|()<>")
# Reserved words after which the next word is again a command name.
_LEADING = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}",
                      "time", "fi", "done"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_SUBSCRIPT_OPEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[[^\]]*$")
# Operands of these are evaluated as arithmetic (or as names with subscripts) by bash.
_TEST_ARITH = re.compile(r"(?:^|\s)-(?:eq|ne|lt|le|gt|ge|v)(?=\s|$)")
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
class _Frame:
    kind: str
    close: str = ""
    start: int = 0
    word: str = ""  # the current word so far (cmd / test frames)
    cmd_pos: bool = True  # the next word is a command name
    word_cmd: bool = False  # the current word started as a command name
    command: str = ""  # the command name of the current simple command
    after_v: bool = False  # the previous word was `-v` (printf -v NAME, test -v NAME)
    command_int: bool = False  # declare -i and the like: assignments are arithmetic
    words: list[str] = field(default_factory=list)  # the current command's arguments so far
    cases: list[str] = field(default_factory=list)  # subject | pattern | body
    depth: int = 0  # open parentheses (arithmetic)
    phase: str = "name"  # ${…}: name | word | int
    quoted: bool = False  # ${…} inside "…" or a heredoc body
    heredoc: bool = False  # ${…} inside a heredoc body


@dataclass
class _Doc:
    delim: str
    literal: bool
    strip_tabs: bool
    start: int = 0


REFUSE_REASONS = {
    "comment": "is inside a shell comment, where a newline in it would end the comment and run "
               "the rest: take it out of the comment",
    "backslash": "follows a backslash, which would escape the value's first character: remove "
                 "the backslash (or write \\\\ for a literal one)",
    "dollar": "follows a `$`, which would turn the value into an expansion: remove the `$` or "
              "put the value in a variable first",
    "delimiter": "is (part of) a heredoc delimiter: write the delimiter literally",
    "name": "names a parameter in ${…}: only a literal name can go there",
    "heredoc-brace": "is inside ${…} in a heredoc body, where sh and bash read quotes and "
                     "backslashes differently: put the value in a variable first",
    "ansi-sh": "comes after a $'…' holding a backslash, which sh and bash end at different "
               "places: use '…' or set `shell: bash`",
    "varname": "is where bash takes a variable name and evaluates an array subscript in it "
               "(read, printf -v, unset, declare NAME=, test -v): use a literal name",
    "unterminated": "comes after an unterminated quote or substitution: close it",
    "ssh-option": "is an ssh -o option, where ProxyCommand=… or LocalCommand=… runs a "
                  "command: write the option in the runbook",
    "reparsed": "is part of a script another shell parses again (eval, sh -c, su -c, ssh, "
                "watch, trap), where this quoting no longer protects it: pass it as an argument "
                "after the script (sh -c '… \"$1\"' sh {{ v }}) or in `env:`, or use an `ssh:` "
                "step",
}


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
        self.stack = [_Frame(_CMD)]
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

    def _step(self, top: _Frame) -> None:
        kind = top.kind
        if kind == "sq":
            self._sq()
        elif kind == "ansi":
            self._ansi()
        elif kind == "dq":
            self._dq(top)
        elif kind == _BRACE:
            self._brace(top)
        elif kind == _ARITH:
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
        if top.kind in (_CMD, _TEST):
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
        if prev == "\\" and top.kind != "sq" and not _escaped_backslash(self.t, self.i - 1):
            return self._refused("backslash")
        if prev == "$" and top.kind != "sq":
            return self._refused("dollar")
        base = next(f for f in reversed(self.stack) if f.kind not in ("sq", "dq", "ansi"))
        if base.kind == _ARITH:
            return Ctx(INT)
        if base.kind in (_CMD, _TEST):
            rule = self._command_rule(base)
            if rule is not None:
                return rule
        if top.kind == _BRACE:
            return self._brace_context(top)
        kind = {"sq": SQ, "ansi": ANSI, "dq": DQ, HEREDOC: HEREDOC, _TEST: TEST_WORD}.get(top.kind, WORD)
        # `ssh {{ host }}`: a value starting with '-' would be an option (-oProxyCommand=…).
        leading = base.kind == _CMD and base.word in ("", "'", '"') and \
            _ssh_position(base) == "destination"
        return Ctx(kind, in_heredoc=any(f.kind == HEREDOC for f in self.stack), no_option=leading)

    def _reparsed(self, base: _Frame | None = None) -> str:
        """Why text here is read again: it becomes a script another shell reads (eval,
        sh -c …), also through a `$(…)` whose output lands there. The value as the whole
        script (`sh -c {{ cmd }}`, `eval "{{ cmd }}"`) says to run it: not refused."""
        for frame in self.stack:
            why = _reparsing(frame) if frame.kind in (_CMD, _TEST) else ""
            if why == "reparsed" and frame is base and _script_word(frame) and \
                    self._whole_word(frame):
                continue
            if why:
                return why
        return ""

    def _whole_word(self, base: _Frame) -> bool:
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
        return after[:1] in ("", *_WORD_END)

    def _command_rule(self, base: _Frame) -> Ctx | None:
        """Words bash evaluates as arithmetic or as variable names, even when quoted; text
        another shell parses again."""
        why = self._reparsed(base)
        if why:
            return self._refused(why)
        if base.after_v or base.command in _NAME_COMMANDS:
            return self._refused("varname")
        if base.command in _DECLARE and "=" not in base.word:
            return self._refused("varname")
        if base.command == "let" or base.command_int or _SUBSCRIPT_OPEN.fullmatch(base.word):
            return Ctx(INT)
        if base.kind == _TEST and _TEST_ARITH.search(self._test_text(base)):
            return Ctx(INT)
        return None

    def _brace_context(self, top: _Frame) -> Ctx:
        if top.phase == "name":
            return self._refused("name")
        if top.phase == "int":
            return Ctx(INT)
        if top.heredoc:
            return self._refused("heredoc-brace")
        return Ctx(DQ_BRACE if top.quoted else WORD)

    def _test_text(self, top: _Frame) -> str:
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
                self.stack.append(_Frame(HEREDOC))
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
        while self.i < self.n and self.t[self.i] not in _WORD_END:
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

    def _dq(self, top: _Frame) -> None:
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
            self.stack.append(_Frame(_ARITH, "))", i))
            self.i += 3
        elif nxt[:1] == "(":
            self.stack.append(_Frame(_CMD, ")", i))
            self.i += 2
        elif nxt[:1] == "{":
            self.stack.append(_Frame(_BRACE, "}", i, quoted=quoted, heredoc=heredoc))
            self.i += 2
        elif nxt[:1] == "[":
            self.stack.append(_Frame(_ARITH, "]", i))
            self.i += 2
        elif nxt[:1] == "'" and not quoted:
            self.stack.append(_Frame("ansi"))
            self.i += 2
        elif nxt[:1] == '"' and not quoted:
            self.stack.append(_Frame("dq"))
            self.i += 2
        else:
            self.i += 1

    def _backquote(self, *, in_dq: bool) -> None:
        """Scan `…` as the shell does: drop its escapes, scan, escape what was emitted."""
        start = self.i + 1
        end = _closing_backquote(self.t, start)
        if end < 0:
            self.poison = self.poison or "unterminated"
            self.i += 1
            return
        inner, where = _unescape(self.t[start:end], _specials(in_dq))
        sub = _Scanner(inner, self.emit, self.dialect, self.check_bodies)
        sub.poison = self.poison or self._reparsed()
        for s, e, rep in sub.run():
            rep = backquoted(rep, in_dq)
            self.reps.append((start + where[s], start + where[e - 1] + 1, rep))
        self.i = end + 1

    # --- ${…} and arithmetic -------------------------------------------------------

    def _brace(self, top: _Frame) -> None:
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
            self.stack.append(_Frame("dq"))
            self.i += 1
        elif c == "'" and not top.quoted:
            self.stack.append(_Frame("sq"))
            self.i += 1
        else:
            self.i += 1

    def _brace_name(self, top: _Frame) -> None:
        m = re.compile(r"[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])?").match(self.t, self.i)
        assert m is not None
        self.i = m.end()
        if self.t.startswith("[", self.i):
            self.stack.append(_Frame(_ARITH, "]", self.i))
            self.i += 1
            return
        op = _BRACE_OP.match(self.t, self.i)
        if op is not None:
            top.phase = "int" if op.group(0) == ":" else "word"
            self.i = op.end()
        elif self.i < self.n and self.t[self.i] not in "}\x00":
            self.i += 1  # not a form we know: it stays "name", where values are refused

    def _arith(self, top: _Frame) -> None:
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
            self.stack.append(_Frame("sq" if c == "'" else "dq"))
            self.i += 1
        elif c == "\\":
            self.i += 2 if self._next_is_plain() else 1
        else:
            self.i += 1

    # --- shell code -----------------------------------------------------------------

    def _cmd(self, top: _Frame) -> None:
        t, i = self.t, self.i
        c = t[i]
        if top.kind == _TEST and top.word == "" and t.startswith("]]", i):
            self.stack.pop()
            self.i += 2
        elif c == "#" and top.word == "":
            self._comment()
        elif c == "(" and top.word == "" and t.startswith("((", i) and top.kind == _CMD:
            self._end_word(top)
            self.stack.append(_Frame(_ARITH, "))", i))  # (( … )) and for (( … ))
            self.i += 2
        elif c in "'\"":
            self.stack.append(_Frame("sq" if c == "'" else "dq", start=i))
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
        elif c in _WORD_END:
            self._operator(top)
        else:
            self._plain(top)

    def _plain(self, top: _Frame) -> None:
        t, i = self.t, self.i
        if top.word == "" and top.cmd_pos and t.startswith("[[", i) and \
                t[i + 2: i + 3] in (" ", "\t", "\n"):
            self.stack.append(_Frame(_TEST, "]]", i, cmd_pos=False))
            self.i += 2
        else:
            self._word_char(top, t[i])

    def _word_char(self, top: _Frame, text: str, *, advance: bool = True) -> None:
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

    def _operator(self, top: _Frame) -> None:
        """A blank, newline or operator character: ends the current word."""
        t, i = self.t, self.i
        c = t[i]
        self._end_word(top)
        if t.startswith("<<<", i):
            self.i += 3  # a here-string: an ordinary word follows
            return
        if t.startswith("<<", i) and top.kind == _CMD:
            self._heredoc_op()
            return
        self.i += 1
        if c in _SEPARATORS:
            self._separator(top, c)
        elif c == "(":
            if top.cases and top.cases[-1] == "pattern":
                return  # the optional `(` before a case pattern
            self.stack.append(_Frame(_CMD, ")", i))
        elif c == ")":
            self._close_paren(top)

    def _separator(self, top: _Frame, c: str) -> None:
        if c == ";" and top.cases and top.cases[-1] == "body" and \
                self.t[self.i: self.i + 1] in (";", "&"):
            top.cases[-1] = "pattern"
            self.i += 2 if self.t.startswith(";&", self.i) else 1
        top.cmd_pos = True
        top.command = ""
        top.after_v = False
        top.command_int = False
        top.words = []
        if c == "\n" and self.pending and self.doc is None:
            self._next_body()

    def _close_paren(self, top: _Frame) -> None:
        if top.cases and top.cases[-1] == "pattern":
            top.cases[-1] = "body"
            top.cmd_pos = True
        elif top.close == ")":
            self.stack.pop()

    def _end_word(self, top: _Frame) -> None:
        word, top.word = top.word, ""
        if not word:
            return
        if top.cases and top.cases[-1] == "subject" and word == "in":
            top.cases[-1] = "pattern"
        elif top.cases and word == "esac" and (top.cases[-1] == "pattern" or top.cmd_pos):
            top.cases.pop()
            top.cmd_pos = False
        elif top.word_cmd and top.cmd_pos:
            self._command_word(top, word)
        else:
            self._argument(top, word)

    def _command_word(self, top: _Frame, word: str) -> None:
        if word == "case":
            top.cases.append("subject")
            top.cmd_pos = False
        elif word in _LEADING or _ASSIGNMENT.match(word):
            top.cmd_pos = True
        else:
            top.cmd_pos = False
            top.command = word
            top.command_int = False
            top.words = []

    def _argument(self, top: _Frame, word: str) -> None:
        top.words.append(word)
        top.after_v = word == "-v" and top.command in ("printf", "test", "[")
        if top.command in _DECLARE and word.startswith("-") and "i" in word:
            top.command_int = True


# Commands that hand an argument to a shell to parse again: every argument of the first
# group; the one after -c (-lc, -ec …) of the second.
_REPARSE_ALL = frozenset({"eval", "trap", "watch"})
_SHELL_NAMES = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "su", "runuser",
                          "flock", "script"})
_SCRIPT_OPTION = re.compile(r"-[A-Za-z]*c[A-Za-z]*")


def _script_word(frame: _Frame) -> bool:
    """The next word is the whole script: `eval WORD`, `sh -c WORD`."""
    if frame.command.rsplit("/", 1)[-1] == "eval":
        return not frame.words
    return bool(frame.words) and _SCRIPT_OPTION.fullmatch(frame.words[-1]) is not None


def _reparsing(frame: _Frame) -> str:
    """'reparsed' when the frame's next word is read again by another shell,
    'ssh-option' when it is the argument of ssh -o; else ''."""
    names = [w.rsplit("/", 1)[-1] for w in (frame.command, *frame.words)]
    if any(n in _REPARSE_ALL for n in names):
        return "reparsed"
    if frame.words and _SCRIPT_OPTION.fullmatch(frame.words[-1]) is not None and \
            any(n in _SHELL_NAMES for n in names[:-1]):
        return "reparsed"
    position = _ssh_position(frame)
    return {"command": "reparsed", "-o": "ssh-option"}.get(position, "")


# Commands that run the command in their arguments (`sudo ssh …`).
_WRAPPERS = frozenset({"sudo", "doas", "env", "timeout", "nice", "nohup", "exec", "command",
                       "time", "stdbuf", "ionice", "setsid", "chrt", "taskset"})
# ssh options that take an argument (`-i key`, `-p 22`, `-o Opt=v` …).
_SSH_ARGUMENT = frozenset("BbcDEeFIiJLlmOoPpQRSWw")


def _ssh_position(frame: _Frame) -> str:
    """Where the next word goes when the command is ssh: 'destination', 'command'
    (joined and run by the remote shell), an option's argument ('-o', 'option'), or ''."""
    names = [w.rsplit("/", 1)[-1] for w in (frame.command, *frame.words)]
    if "ssh" not in names or (names[0] != "ssh" and names[0] not in _WRAPPERS):
        return ""
    after = names[len(names) - names[::-1].index("ssh"):]
    expect = ""
    destination = False
    for word in after:
        if expect:
            expect = ""
        elif destination:
            return "command"
        elif word.startswith("-") and len(word) > 1:
            expect = word[-1] if len(word) == 2 and word[-1] in _SSH_ARGUMENT else ""
        else:
            destination = True
    if expect:
        return "-o" if expect == "o" else "option"
    return "command" if destination else "destination"


# Commands whose arguments bash may take as variable names (subscripts evaluated).
_NAME_COMMANDS = frozenset({"read", "mapfile", "readarray", "unset", "getopts"})
_DECLARE = frozenset({"declare", "typeset", "local", "export", "readonly"})


def _specials(in_dq: bool) -> str:
    """What a backslash escapes inside `…` (the shell's first pass drops that backslash)."""
    return "\\\\`$" + ('"' if in_dq else "")


def backquoted(text: str, in_dq: bool = False) -> str:
    """`text` escaped to come out of the backquotes' first pass unchanged."""
    return re.sub(f"([{_specials(in_dq)}])", r"\\\1", text)


def _escaped_backslash(text: str, at: int) -> bool:
    """Whether the backslash at `at` is itself escaped (an even run ends there)."""
    run = 0
    while at - run - 1 >= 0 and text[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _closing_backquote(text: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == "`":
            return i
        else:
            i += 1
    return -1


def _unescape(raw: str, specials: str) -> tuple[str, list[int]]:
    """The shell's first pass over `…`: a backslash before a special is dropped.
    Also where each kept character was in `raw`."""
    out: list[str] = []
    where: list[int] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in specials:
            i += 1
        out.append(raw[i])
        where.append(i)
        i += 1
    return "".join(out), where


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
