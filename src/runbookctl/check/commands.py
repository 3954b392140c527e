"""`validate`'s view of where each `{{ value }}` of a command lands (safety/shell_contexts.py):
a value in a place no quoting makes safe (a comment, a heredoc delimiter, after
a backslash, …) is an error at its file:line:col, and so is a value in shell
arithmetic unless the template makes it an integer (`| int`).

The template is read with Jinja's own lexer: literal text is kept, each
`{{ … }}` becomes a sentinel, `{% … %}` tags are dropped (both branches of an
`if` are read in a row; the run itself checks the text it really runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runbookctl.errors import Problem
from runbookctl.positions import Pos
from runbookctl.runbook.yaml_positions import problem, source_line
from runbookctl.safety.shell_contexts import INT, REFUSED, SENTINEL, Ctx, dialect_of
from runbookctl.safety.shell_scan import scan

if TYPE_CHECKING:
    from runbookctl.check.sources import Source

# Filters whose result is an integer: such a value is safe in arithmetic.
INTEGER_FILTERS = frozenset({"int", "length", "count"})
_SKIP = frozenset({"whitespace"})
_INT_REASON = ("is in shell arithmetic, where only an integer is safe: write {{ %s | int }} "
               "or give the input `type: int`")


@dataclass(frozen=True)
class _Value:
    expr: str  # the text between the braces
    raw: str  # `{{ expr }}` as written
    line: int  # line in the template (1-based)
    occurrence: int  # how many times `raw` came before on that line


def command_problems(src: Source, text: str, shell: str,
                     integers: frozenset[str] = frozenset()) -> list[Problem]:
    """Errors for values of command `src` (a template) that land where they cannot be safe."""
    if "{{" not in src.text:
        return []
    from jinja2 import TemplateSyntaxError

    try:
        linear, values = _linearize(src.text)
    except TemplateSyntaxError:  # templates.py reports it
        return []
    found: dict[int, Ctx] = {}

    def emit(index: int, ctx: Ctx) -> str:
        found[index] = ctx
        return "0"

    scan(linear, emit, dialect=dialect_of(shell or "/bin/sh"), check_bodies=False)
    out = []
    for index, ctx in sorted(found.items()):
        message = _message(values[index], ctx, integers)
        if message:
            key = src.key_path.rsplit(".", 1)[-1]
            out.append(problem(text, _position(text, src.pos, values[index]),
                               f"{key}: {message}", src.key_path))
    return out


def _message(value: _Value, ctx: Ctx, integers: frozenset[str]) -> str | None:
    kinds = _expression_kinds(value.expr, integers)
    if "unquoted" in kinds:
        return None  # the author's explicit opt-out (templates.py warns about it)
    if ctx.kind == REFUSED:
        return f"{value.raw} {ctx.reason}"
    if ctx.kind == INT and "integer" not in kinds:
        return f"{value.raw} " + _INT_REASON % value.expr
    return None


def _expression_kinds(expr: str, integers: frozenset[str]) -> set[str]:
    """'integer' when the expression's result is an int (`| int`, an input of type int);
    'unquoted' when it opts out."""
    from jinja2 import TemplateSyntaxError, nodes

    from runbookctl.safety.templating import _env

    try:
        output: Any = _env().parse("{{ " + expr + " }}").body[0]
        node = output.nodes[0]
    except (TemplateSyntaxError, IndexError, AttributeError):
        return set()
    kinds = set()
    if any(f.name == "unquoted" for f in node.find_all(nodes.Filter)) or \
            (isinstance(node, nodes.Filter) and node.name == "unquoted"):
        kinds.add("unquoted")
    if isinstance(node, nodes.Filter) and node.name in INTEGER_FILTERS:
        kinds.add("integer")
    if isinstance(node, nodes.Const) and type(node.value) is int:
        kinds.add("integer")
    if isinstance(node, nodes.Name) and node.name in integers:
        kinds.add("integer")
    return kinds


def _linearize(source: str) -> tuple[str, list[_Value]]:
    """The literal text of a template with a sentinel per `{{ … }}`, and those values."""
    from runbookctl.safety.templating import _env

    out: list[str] = []
    values: list[_Value] = []
    offset = 0
    begin = -1
    for _, kind, raw in _env().lexer.tokeniter(source, None):
        at = source.find(raw, offset) if raw else offset
        at = offset if at < 0 else at
        offset = at + len(raw)
        if kind == "data":
            out.append(raw)
        elif kind == "variable_begin":
            begin = at
        elif kind == "variable_end" and begin >= 0:
            written = source[begin: at + len(raw.rstrip())]
            values.append(_value(source, begin, written))
            out.append(SENTINEL.format(len(values) - 1))
            begin = -1
    return "".join(out), values


def _value(source: str, begin: int, written: str) -> _Value:
    line_start = source.rfind("\n", 0, begin) + 1
    expr = written.strip("{}").strip("-").strip()
    return _Value(expr, written, source.count("\n", 0, begin) + 1,
                  source[line_start:begin].count(written))


def _position(text: str, value_pos: Pos, value: _Value) -> Pos:
    """The file position of the value's `{{` (its line found as names.locate does)."""
    from runbookctl.check.sources import locate

    pos = locate(text, value_pos, value.line)
    line = source_line(text, pos.line) or ""
    start = pos.col - 1 if pos.line == value_pos.line else 0
    at = -1
    for _ in range(value.occurrence + 1):
        at = line.find(value.raw, at + 1 if at >= 0 else start)
        if at < 0:
            return pos
    return Pos(pos.file, pos.line, at + 1)
