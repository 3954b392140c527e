"""YAML parsing that keeps file:line:col for every node.

PyYAML's composer gives nodes with marks; we turn them into YNode trees
(scalars constructed with the safe constructor) so every later check can point
at the exact place a value came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runbookctl.errors import Problem, ValidationError
from runbookctl.positions import Pos


@dataclass
class YNode:
    """A YAML value with its position. Mappings keep their keys' positions."""

    value: Any  # dict[str, YNode] | list[YNode] | scalar
    pos: Pos
    key_pos: dict[str, Pos] = field(default_factory=dict)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)


def source_line(text: str, line: int) -> str | None:
    """The 1-based `line` of `text`, or None."""
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else None


def problem(text: str, pos: Pos, message: str, key_path: str = "", severity: str = "error") -> Problem:
    """A Problem carrying the offending source line for the caret display."""
    return Problem(pos, message, key_path, severity, source_line(text, pos.line))


def _pos(path: str, mark: yaml.Mark | None) -> Pos:
    if mark is None:
        return Pos(path, 0, 0)
    return Pos(path, mark.line + 1, mark.column + 1)


# libyaml's composer when PyYAML was built with it (5-10x faster; same nodes and marks).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Aliases are expanded into the tree: a small file can expand exponentially
# ("billion laughs"). No runbook comes near this many values.
MAX_NODES = 200_000


class _TooBig(Exception):
    pass


class _Builder:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")
        self.count = 0

    def build(self, node: yaml.Node) -> YNode:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig
        pos = _pos(self.path, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            out: dict[str, YNode] = {}
            key_pos: dict[str, Pos] = {}
            for k_node, v_node in node.value:
                kpos = _pos(self.path, k_node.start_mark)
                key = self.constructor.construct_object(k_node, deep=True)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    self.problems.append(problem(self.text, kpos, f"duplicate key '{key}'"))
                out[key] = self.build(v_node)
                key_pos[key] = kpos
            return YNode(out, pos, key_pos)
        if isinstance(node, yaml.SequenceNode):
            return YNode([self.build(n) for n in node.value], pos)
        if node.tag == "tag:yaml.org,2002:str":  # most scalars: no constructor needed
            return YNode(node.value, pos)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problems.append(problem(self.text, pos, f"bad value: {exc}"))
            value = None
        return YNode(value, pos)


def _reader_problem(text: str, path: str, exc: yaml.reader.ReaderError) -> Problem:
    """`unacceptable character #x001b` at its line and column (PyYAML gives an offset
    into "<unicode string>"), with the character named, not shown."""
    offset = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
    msg = f"YAML error: the character {what} is not allowed here ({exc.reason})"
    return problem(text, Pos(path, line, col), msg)


def parse_yaml(text: str, path: str) -> YNode:
    """Parse one YAML document; raise ValidationError (with positions) on bad syntax."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _pos(path, mark)
        msg = f"YAML syntax error: {exc.problem or exc.context or exc}"
        raise ValidationError([problem(text, pos, msg)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, where it is
        raise ValidationError([_reader_problem(text, path, exc)]) from None
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(Pos(path, 1, 1), f"YAML error: {exc}")]) from None
    if root is None:
        raise ValidationError([Problem(Pos(path, 1, 1), "the file is empty")])
    builder = _Builder(text, path)
    try:
        node = builder.build(root)
    except RecursionError:  # an alias that contains itself (`&a [*a]`), or absurd nesting
        msg = "the YAML refers to itself through an alias (&anchor / *alias) or nests too deep"
        raise ValidationError([Problem(Pos(path, 1, 1), msg)]) from None
    except _TooBig:
        msg = f"the YAML expands to over {MAX_NODES} values (aliases of aliases?)"
        raise ValidationError([Problem(Pos(path, 1, 1), msg)]) from None
    except yaml.MarkedYAMLError as exc:  # an unknown !tag on a key, a bad merge key
        mark = exc.problem_mark or exc.context_mark
        raise ValidationError([problem(text, _pos(path, mark),
                                       f"YAML error: {exc.problem or exc.context}")]) from None
    if builder.problems:
        raise ValidationError(builder.problems)
    return node


def to_plain(node: YNode) -> Any:
    """Strip positions: plain dicts, lists and scalars."""
    if isinstance(node.value, dict):
        return {k: to_plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [to_plain(v) for v in node.value]
    return node.value


def read_source(path: Path, what: str) -> tuple[bytes, str]:
    """A text file's bytes and text: UsageError if unreadable, a positioned problem if not UTF-8."""
    from runbookctl.errors import UsageError

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    try:
        return raw, raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        msg = f"not UTF-8 text (byte 0x{raw[exc.start]:02x})"
        raise ValidationError([Problem(Pos(str(path), line, col), msg)]) from None


def read_yaml_map(path: Path, what: str, example: str) -> tuple[str, YNode]:
    """Parse a YAML file whose root must be a mapping (config, vars file, answers)."""
    _raw, text = read_source(path, what)
    node = parse_yaml(text, str(path))
    if not node.is_map:
        raise ValidationError([problem(text, node.pos, f"a {what} must be a mapping ({example})")])
    return text, node
