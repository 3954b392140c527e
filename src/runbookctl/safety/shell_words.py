"""What the words of a command mean to the shell reading them, for shell_contexts.py:
the frames of the scanner (the command being read, its words so far) and the
commands that make bash read a value as arithmetic, a variable name, or a
script another shell parses again; and the backquotes' first pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Frame kinds besides the quotes ('sq', 'dq', 'ansi') and heredoc bodies.
CMD, TEST, ARITH, BRACE = "cmd", "test", "arith", "brace"
WORD_END = frozenset(" \t\n;&|()<>")


@dataclass
class Heredoc:
    """A heredoc announced by `<<` (or `<<-`): its delimiter and how its body is read."""

    delim: str
    literal: bool
    strip_tabs: bool
    start: int = 0
    script: bool = False  # fed to a shell (`sh <<EOF`, `cat <<EOF | sh`): a value is refused


@dataclass
class Compound:
    """A compound command being read (`{ …; }`, `( … )` aside, loops, `if`, `case`): the
    values and heredocs of all its commands, which together are one pipeline stage, and
    what is piped into it (every command inside reads that input)."""

    stage: list[int] = field(default_factory=list)
    docs: list[Heredoc] = field(default_factory=list)
    piped: tuple[list[int], list[Heredoc]] | None = None


@dataclass
class Frame:
    """One nesting level the scanner is in: shell code, a quote, ${…}, arithmetic."""

    kind: str
    close: str = ""
    start: int = 0
    word: str = ""  # the current word so far (cmd / test frames)
    cmd_pos: bool = True  # the next word is a command name
    word_cmd: bool = False  # the current word started as a command name
    command: str = ""  # the command name of the current simple command
    after_v: bool = False  # the previous word was `-v` (printf -v NAME, test -v NAME)
    command_int: bool = False  # declare -i and the like: assignments are arithmetic
    command_ref: bool = False  # declare -n and the like: assignments are variable names
    words: list[str] = field(default_factory=list)  # the current command's arguments so far
    word_start: int = 0  # where the current word starts in the text
    feed: bool = False  # the next word is a here-string a shell reads as its script
    # Pipelines: the values (indices of the scanner's replacements) and heredocs of the
    # current stage, and those of the stage before `|` (None: no pipe into this one).
    stage: list[int] = field(default_factory=list)
    stage_docs: list[Heredoc] = field(default_factory=list)
    piped: tuple[list[int], list[Heredoc]] | None = None
    echoed: int = -1  # a value that may be all an `echo` of this stage writes
    compounds: list[Compound] = field(default_factory=list)  # open, innermost last
    procsub: str = ""  # `<(…)` or `>(…)`: its direction, '<' or '>'
    first_rep: int = 0  # the first replacement made inside this frame
    int_elements: bool = False  # `a=(…)` of an array declared integer: each is arithmetic
    elements: bool = False  # `a=(…)`: an element's `[subscript]=` is arithmetic too
    cases: list[str] = field(default_factory=list)  # subject | pattern | body
    depth: int = 0  # open parentheses (arithmetic)
    phase: str = "name"  # ${…}: name | word | int
    quoted: bool = False  # ${…} inside "…" or a heredoc body
    heredoc: bool = False  # ${…} inside a heredoc body


    def collect(self, rep: int | None = None, doc: Heredoc | None = None) -> None:
        """A value (replacement index) or heredoc of the current stage and of every compound
        command it is in; `rep` None with a `doc`: only the heredoc."""
        for stage, docs in ((self.stage, self.stage_docs),
                            *((c.stage, c.docs) for c in self.compounds)):
            if rep is not None:
                stage.append(rep)
            if doc is not None:
                docs.append(doc)


# Compound commands: the words that open one, and those that close it.
_OPENS = frozenset({"{", "if", "while", "until", "for", "select", "case"})
_CLOSES = frozenset({"}", "fi", "done", "esac"})
# Reserved words after which the next word is again a command name.
_LEADING = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}",
                      "time", "fi", "done"})
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")
_QUOTES = re.compile(r"\\(.)|['\"]", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUBSCRIPT_OPEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[[^\]]*$")
_ELEMENT_SUBSCRIPT = re.compile(r"\[[^\]]*$")  # `a=( [SUB]=v )`: bash evaluates SUB
# Operands of these are evaluated as arithmetic (or as names with subscripts) by bash.
_TEST_ARITH = re.compile(r"(?:^|\s)-(?:eq|ne|lt|le|gt|ge|v)(?=\s|$)")

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
               "(read, printf -v, unset, declare NAME=, declare -n REF=NAME, test -v): use a "
               "literal name",
    "unterminated": "comes after an unterminated quote or substitution: close it",
    "ssh-option": "is in an ssh option (-o …, -oName=…, or among its letters), where "
                  "ProxyCommand=… or LocalCommand=… runs a command: write the option in the "
                  "runbook",
    "reparsed": "is part of a script another shell parses again (eval, sh -c, su -c, ssh, "
                "watch, trap, a heredoc, here-string or pipe into a shell), where this quoting "
                "no longer protects it: pass it as an argument after the script "
                "(sh -c '… \"$1\"' sh {{ v }}) or in `env:`, or use an `ssh:` step",
}


def end_word(top: Frame, attributes: dict[str, str] | None = None, text: str = "") -> None:
    """The word being read has ended: what it means for the command it belongs to.
    `attributes` collects the variables declared integer ('int') or nameref ('varname');
    `text` is the word as written (quotes are removed from it, as the shell does)."""
    word, top.word = top.word, ""
    if not word:
        return
    top.feed = False
    plain = _QUOTES.sub(lambda m: m.group(1) or "", text) if text else word
    if top.cases and top.cases[-1] == "subject" and word == "in":
        top.cases[-1] = "pattern"
    elif top.cases and word == "esac" and (top.cases[-1] == "pattern" or top.cmd_pos):
        top.cases.pop()
        top.cmd_pos = False
        _close_compound(top)
    elif top.word_cmd and top.cmd_pos:
        _command_word(top, plain)
    else:
        _argument(top, plain, {} if attributes is None else attributes)

def _open_compound(top: Frame) -> None:
    top.compounds.append(Compound(list(top.stage), list(top.stage_docs), top.piped))


def _close_compound(top: Frame) -> None:
    """The compound command ends: all it holds is the stage a `|` after it pipes."""
    if top.compounds:
        done = top.compounds.pop()
        top.stage, top.stage_docs = done.stage, done.docs  # outer ones hold them already


def _command_word(top: Frame, word: str) -> None:
    if word in _OPENS:
        _open_compound(top)
    elif word in _CLOSES and word != "esac":
        _close_compound(top)
    if word == "case":
        top.cases.append("subject")
        top.cmd_pos = False
    elif word in _LEADING or _ASSIGNMENT.match(word):
        top.cmd_pos = True
    else:
        top.cmd_pos = False
        top.command = word
        top.command_int = top.command_ref = False
        top.words = []

def _argument(top: Frame, word: str, attributes: dict[str, str]) -> None:
    top.words.append(word)
    if top.command == "function" and word == "{":
        reset_command(top)  # `function name {`: the body's first word is a command
        return
    top.after_v = word == "-v" and top.command in ("printf", "test", "[")
    if top.command not in _DECLARE:
        return
    if word.startswith("-"):
        top.command_int = top.command_int or "i" in word
        top.command_ref = top.command_ref or ("n" in word and top.command != "export")
    elif top.command_int and (name := _NAME.match(word)):
        attributes[name.group(0)] = "int"
    elif top.command_ref and "=" not in word and (name := _NAME.match(word)):
        # `declare -n ref` with no target yet: the first `ref=NAME` gives it one. A nameref
        # with a target (`declare -n ref=x`) takes plain data: `ref=VALUE` sets x.
        attributes[name.group(0)] = "varname"


def array_name(raw: str) -> str:
    """The array a word assigns when `(` follows it (`a=(`, `a+=(`); '' for any other."""
    m = _ASSIGNMENT.fullmatch(raw)
    return m.group(1) if m and not m.group(2) else ""


_EXPANSION = re.compile(r"""\$\{[^{}]*\}|\$\([^()]*\)|`[^`]*`|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?$!-]|['"]""")


def may_be_empty(raw: str) -> bool:
    """The start of a word as written is only quotes and expansions, which may all be empty
    (`${U:+$U@}`, `"$prefix"`): what comes next may be the word's first character."""
    while True:
        shorter = _EXPANSION.sub("", raw)
        if shorter == raw:
            return not raw
        raw = shorter


def reset_command(top: Frame) -> None:
    """A separator (; & | newline) ends the simple command."""
    top.cmd_pos = True
    top.command = ""
    top.after_v = False
    top.command_int = top.command_ref = top.feed = False
    top.words = []


def command_rule(base: Frame, test_text: str, attributes: dict[str, str] | None = None) -> str:
    """'varname' or 'int' when bash reads the word being written as a variable name or
    as arithmetic even when quoted; '' otherwise. `test_text` is the `[[ … ]]` it is in;
    `attributes` the variables declared integer or nameref before."""
    if base.after_v or base.command in _NAME_COMMANDS or \
            (base.command == "printf" and base.word.startswith("-v")):
        return "varname"  # printf -v NAME, also joined: printf -vNAME
    if base.command in _DECLARE and ("=" not in base.word or base.command_ref):
        return "varname"  # declare NAME, and declare -n REF=NAME
    assigned = _ASSIGNMENT.match(base.word)
    if assigned and ((base.word_cmd and base.cmd_pos) or base.command in _DECLARE):
        kind = (attributes or {}).get(assigned.group(1), "")
        if kind:
            return kind  # declare -i n; n=VALUE — or a nameref's new target
    if base.command == "let" or base.command_int or _SUBSCRIPT_OPEN.fullmatch(base.word) \
            or (base.elements and _ELEMENT_SUBSCRIPT.fullmatch(base.word)):
        return "int"  # an associative array's key too: which kind `a` is, is not known here
    if base.kind == TEST and _TEST_ARITH.search(test_text):
        return "int"
    return ""


# Commands whose arguments bash may take as variable names (subscripts evaluated).
_NAME_COMMANDS = frozenset({"read", "mapfile", "readarray", "unset", "getopts"})
_DECLARE = frozenset({"declare", "typeset", "local", "export", "readonly"})


def specials(in_dq: bool) -> str:
    """What a backslash escapes inside `…` (the shell's first pass drops that backslash)."""
    return "\\\\`$" + ('"' if in_dq else "")


def backquoted(text: str, in_dq: bool = False) -> str:
    """`text` escaped to come out of the backquotes' first pass unchanged."""
    return re.sub(f"([{specials(in_dq)}])", r"\\\1", text)


def escaped_backslash(text: str, at: int) -> bool:
    """Whether the backslash at `at` is itself escaped (an even run ends there)."""
    run = 0
    while at - run - 1 >= 0 and text[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def closing_backquote(text: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == "`":
            return i
        else:
            i += 1
    return -1


def unescape(raw: str, escapable: str) -> tuple[str, list[int]]:
    """The shell's first pass over `…`: a backslash before a special is dropped.
    Also where each kept character was in `raw`."""
    out: list[str] = []
    where: list[int] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in escapable:
            i += 1
        out.append(raw[i])
        where.append(i)
        i += 1
    return "".join(out), where
