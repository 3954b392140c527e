"""The shell scanner: where each sentinel of a rendered command lands (see
safety/shell_contexts.py), walking the text as sh/bash tokenise it.

This module reads shell code (words, operators, comments, `[[ … ]]`, `case`)
and decides each value's context; quotes and expansions are read by
safety/shell_expansions.py, heredocs by safety/shell_heredocs.py.
"""

from __future__ import annotations

import re

from runbookctl.safety.shell_commands import (
    one_word,
    reads_script,
    reparsing,
    script_file,
    script_word,
    ssh_joined,
    ssh_position,
)
from runbookctl.safety.shell_contexts import (
    ANSI,
    DQ,
    DQ_BRACE,
    HEREDOC,
    INT,
    SENTINEL_RE,
    SQ,
    TEST_WORD,
    WORD,
    Ctx,
    Emit,
)
from runbookctl.safety.shell_expansions import Expansions
from runbookctl.safety.shell_heredocs import HeredocBodies
from runbookctl.safety.shell_words import (
    ARITH,
    BRACE,
    CMD,
    TEST,
    WORD_END,
    Frame,
    Heredoc,
    array_name,
    command_rule,
    end_word,
    escaped_backslash,
    may_be_empty,
    reset_command,
)

_SEPARATORS = frozenset(";&|\n")
_FUNCTION = re.compile(r"\(\s*\)")


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


class _Scanner(Expansions, HeredocBodies):
    def run(self) -> list[tuple[int, int, str]]:
        while self.i < self.n:
            if self.doc is not None and self._at_line_start() and self._doc_ends():
                continue
            if self.t[self.i] == "\x00" and self._sentinel():
                continue
            self._step(self.stack[-1])
        if self.doc is not None:
            self.bodies.append((self.doc, self.n))
        for frame in self.stack:
            if frame.kind == CMD:  # the text ends the last word and command
                end_word(frame, self.attributes, self.t[frame.word_start:] if frame.word else "")
                self._end_stage(frame, "")
        if self.check_bodies:
            self._check_bodies()
        return self.reps

    def _staged(self, rep: int, whole: Frame | None = None) -> None:
        """A value of the pipeline stage of every command it is in (`echo "$(x {{ v }})" | sh`);
        `whole`: the frame of an echo of which it may be the whole output."""
        for frame in self.stack:
            if frame.kind == CMD:
                frame.collect(rep)
        if whole is not None:
            whole.echoed = rep

    def _echoed_whole(self) -> Frame | None:
        """`echo {{ cmd }} | sh`: the value is all that echo writes, the whole script; the
        frame of that echo (None when it is not so)."""
        base = self.stack[-1] if self.stack[-1].kind == CMD else self.stack[-2]
        whole = base.kind == CMD and base.command == "echo" and not base.words and \
            self._whole_word(base)
        return base if whole else None

    def _end_stage(self, top: Frame, c: str) -> None:
        """A pipeline stage ends: when it reads a script on its input, every value and heredoc
        of the stage before the `|` is (part of) that script. Inside a compound command the
        next command reads the compound's input again (`| while read l; do sh; done`)."""
        if top.piped is not None and reads_script(top):
            self._script(*top.piped)
        inherited = top.compounds[-1].piped if top.compounds else None
        if top.echoed in top.stage and top.command == "echo" and len(top.words) == 1:
            top.stage.remove(top.echoed)  # `echo {{ cmd }} | sh`: says to run it, as written
        top.piped = (top.stage, top.stage_docs) if c == "|" else inherited
        top.stage, top.stage_docs, top.echoed = [], [], -1

    def _script(self, reps: list[int], docs: list[Heredoc]) -> None:
        """These values and heredoc bodies are (part of) a script another shell reads: each
        value is refused, also in a body read before the shell was known (`{ cat <<EOF …`)."""
        for doc in docs:
            doc.script = True
            ends = [end for body, end in self.bodies if body is doc]
            reps = reps + [k for k, r in enumerate(self.reps)
                           if ends and doc.start <= r[0] < ends[0]]
        for k in sorted(set(reps)):
            start, end, _ = self.reps[k]
            self.reps[k] = (start, end, self.emit(_index_at(self.t, start),
                                                  self._refused("reparsed")))

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
        whole = self._echoed_whole()
        self.reps.append((m.start(), m.end(), self.emit(index, ctx)))
        self._staged(len(self.reps) - 1, whole)
        top = self.stack[-1]
        if top.kind in (CMD, TEST):
            self._word_char(top, m.group(0))
        self.i = m.end()
        return True

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
        if base.kind not in (CMD, TEST) and self._reparsed():
            return self._refused(self._reparsed())  # `sh -c "${x:-{{ v }}}"`, `sh <<EOF`
        if base.kind in (CMD, TEST):
            rule = self._command_rule(base)
            if rule is not None:
                return rule
        if top.kind == BRACE:
            return self._brace_context(top)
        kind = {"sq": SQ, "ansi": ANSI, "dq": DQ, HEREDOC: HEREDOC, TEST: TEST_WORD}.get(top.kind, WORD)
        # `ssh {{ host }}`: a value starting with '-' would be an option (-oProxyCommand=…),
        # a list of several words would put all but the first in the remote command.
        position = ssh_position(base) if base.kind == CMD else ""
        leading = position == "destination" and \
            may_be_empty(self.t[base.word_start:self.i] if base.word else "")
        return Ctx(kind, in_heredoc=any(f.kind == HEREDOC for f in self.stack), no_option=leading,
                   one_word=one_word(base, position))

    def _reparsed(self, base: Frame | None = None) -> str:
        """Why text here is read again: it becomes a script another shell reads (eval,
        sh -c …, a heredoc or here-string fed to a shell), also through a `$(…)` whose
        output lands there. The value as the whole script (`sh -c {{ cmd }}`,
        `eval "{{ cmd }}"`) says to run it: not refused."""
        if self.doc is not None and self.doc.script and any(f.kind == HEREDOC for f in self.stack):
            return "reparsed"
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
        why = ssh_joined(base) or self._reparsed(base) or ("int" if base.int_elements else "") \
            or command_rule(base, self._test_text(base), self.attributes)
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

    def _nested(self, text: str) -> _Scanner:
        sub = _Scanner(text, self.emit, self.dialect, self.check_bodies)
        sub.attributes = self.attributes
        return sub

    def _cmd(self, top: Frame) -> None:
        t, i = self.t, self.i
        c = t[i]
        if top.kind == TEST and top.word == "" and t.startswith("]]", i):
            self.stack.pop()
            self.i += 2
        elif c == "#" and top.word == "":
            self._comment()
        elif c == "(" and top.word == "" and t.startswith("((", i) and top.kind == CMD:
            end_word(top, self.attributes)
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
            top.word_start = self.i
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
        raw = t[top.word_start:i] if top.word else ""
        end_word(top, self.attributes, raw)
        if t.startswith("<<<", i):
            self.i += 3  # a here-string: an ordinary word follows (a script, fed to a shell)
            top.feed = reads_script(top)
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
            paren = _FUNCTION.match(t, i)
            if paren and top.command and not top.words:
                self.i = paren.end()  # `name()`: a function's body follows, a command
                reset_command(top)
                return
            self._open_paren(top, raw)
        elif c == ")":
            self._close_paren(top)

    def _separator(self, top: Frame, c: str) -> None:
        if c == "|" and self.t[self.i: self.i + 1] in ("|", "&"):
            c = "&" if self.t[self.i] == "|" else "|"  # `||` is no pipe; `|&` is one
            self.i += 1
        self._end_stage(top, c)
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
            self._end_stage(top, "")
            self.stack.pop()
            if top.procsub == "<":
                self._read_from(top, self.stack[-1])

    def _open_paren(self, top: Frame, raw: str) -> None:
        """`(`: a subshell (reading the pipe into it), `name=(` an array's elements,
        `<(…)` / `>(…)` a process substitution."""
        i = self.i - 1
        inner = Frame(CMD, ")", i, first_rep=len(self.reps))
        name = array_name(raw)
        if name:
            inner.int_elements = self.attributes.get(name) == "int"  # `declare -ai a=(…)`
            inner.elements = True
        elif i and self.t[i - 1] in "<>" and not self.t.startswith("<<(", i - 2):
            inner.procsub = self.t[i - 1]
            if inner.procsub == ">":  # `| tee >(sh)`, `cmd > >(sh)`: what the command writes
                before = top.piped or ([], [])
                inner.piped = (before[0] + top.stage, before[1] + top.stage_docs)
        else:
            inner.piped = top.piped  # `… | (sh)`: the subshell reads the pipe
        self.stack.append(inner)

    def _read_from(self, sub: Frame, top: Frame) -> None:
        """`<(…)` closed: its output is a file the command reads; when that file is the
        script a shell runs (`bash <(…)`, `source <(…)`, `sh < <(…)`), every value in it
        is part of that script."""
        redirect = self.t[:sub.start - 1].rstrip(" \t").endswith("<")
        if (reads_script(top) if redirect else script_file(top)):
            self._script(list(range(sub.first_rep, len(self.reps))), [])
        if not redirect:
            top.words.append("/dev/fd/63")  # an operand: what follows is no script file


def _index_at(text: str, start: int) -> int:
    m = SENTINEL_RE.match(text, start)
    return int(m.group(1)) if m else 0
