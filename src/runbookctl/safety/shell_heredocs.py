"""The heredoc part of the shell scanner: `<<` and its delimiter word, bodies read
line by line (expanding or literal), and the check that no value ends a body early."""

from __future__ import annotations

from runbookctl.safety.shell_commands import reads_script
from runbookctl.safety.shell_contexts import HEREDOC, LITERAL, SENTINEL_RE, Ctx, Refusal
from runbookctl.safety.shell_scan_state import Heredoc, ScanState
from runbookctl.safety.shell_words import WORD_END, Frame


class HeredocBodies(ScanState):
    def _is_delim(self, doc: Heredoc, line: str) -> bool:
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

    def _literal_body(self, doc: Heredoc) -> None:
        while self.i < self.n:
            line, end = self._line()
            if self._is_delim(doc, line):
                self.bodies.append((doc, self.i))
                self.i = min(end + 1, self.n)
                return
            for m in SENTINEL_RE.finditer(line):
                why = self.poison or ("reparsed" if doc.script else "")
                ctx = self._refused(why) if why else Ctx(LITERAL)
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
            top = self.stack[-1]
            doc = Heredoc(delim, quoted, strip, script=reads_script(top))  # `sh <<EOF`
            self.pending.append(doc)
            top.collect(doc=doc)  # `cat <<EOF | sh`: known when the pipe's end is read

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
