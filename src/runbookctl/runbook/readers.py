"""Typed readers for the loader: scalars, durations, names, inputs, secrets and
host groups. Every problem is collected in a Ctx with its position and key
path, so one pass reports all of a file's problems.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runbookctl.durations import parse_duration
from runbookctl.errors import Problem
from runbookctl.positions import Pos
from runbookctl.runbook.model import Branch, InputSpec, InputType, SecretSpec
from runbookctl.runbook.names import RESERVED_NAMES
from runbookctl.runbook.schema import (
    BRANCH_KEYS,
    IDENT_RE,
    INPUT_KEYS,
    INPUT_TYPES,
    SECRET_KEYS,
    Key,
)
from runbookctl.runbook.yaml_positions import YNode, problem, to_plain

_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class Bad(Exception):
    """A value of the wrong shape; the caller reports it at the value's position."""


def kind(value: object) -> str:
    """How a YAML value reads in an error message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    return repr(value)


def as_text(value: object) -> str:
    if isinstance(value, str):
        if "\0" in value:
            # No command, path, argument or environment value can hold one (exec refuses
            # it): said here, at its place, rather than when the step runs.
            raise Bad("contains a NUL character (\\0, written \"\\0\" in YAML); remove it")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise Bad(f"expected text, got {kind(value)}")


def as_expr(value: object) -> str:
    """An expression: text, or a YAML true/false/number written bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return as_text(value)


def as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise Bad(f"expected true or false, got {kind(value)}")


def as_int(minimum: int) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Bad(f"expected a whole number, got {kind(value)}")
        if value < minimum:
            raise Bad(f"expected a number of at least {minimum}, got {value}")
        return value

    return convert


def as_duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise Bad(str(exc)) from None


def as_positive_duration(value: object) -> float:
    try:
        return parse_duration(value, above_zero=True)
    except ValueError as exc:
        raise Bad(str(exc)) from None


def as_ident(value: object) -> str:
    text = as_text(value)
    if not re.fullmatch(IDENT_RE, text):
        raise Bad(f"{text!r} is not a variable name: use letters, digits and _ "
                  f"(not starting with a digit)")
    if text in RESERVED_NAMES:
        raise Bad(f"{text!r} is a reserved name in templates; choose another")
    return text


def did_you_mean(word: str, known: Any) -> str:
    """` (did you mean 'x'?)` when a known word is close, else ''."""
    close = difflib.get_close_matches(word, [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass
class Ctx:
    """The file being loaded and the problems found so far."""

    text: str
    path: str
    problems: list[Problem] = field(default_factory=list)

    def err(self, pos: Pos, message: str, key_path: str = "") -> None:
        self.problems.append(problem(self.text, pos, message, key_path))

    def read(self, node: YNode, convert: Callable[[object], Any], key_path: str) -> Any:
        """`convert(node.value)`, or None after reporting why it is wrong."""
        try:
            return convert(to_plain(node))
        except Bad as exc:
            self.err(node.pos, f"{key_path.rsplit('.', 1)[-1]}: {exc}", key_path)
            return None

    def unknown_keys(self, node: YNode, known: Mapping[str, Key], key_path: str) -> None:
        for key in node.value:
            if key not in known:
                hint = did_you_mean(key, known) or _known_list(known)
                self.err(node.key_pos[key], f"unknown key '{key}'{hint}", _join(key_path, key))

    def expect_map(self, node: YNode, key_path: str, what: str) -> bool:
        if node.is_map:
            return True
        self.err(node.pos, f"{key_path}: expected {what}, got {kind(node.value)}", key_path)
        return False


def _known_list(known: Mapping[str, Key]) -> str:
    if len(known) > 12:
        return " (runbookctl schema lists the keys)"
    return f" (known keys: {', '.join(known)})"


def _join(key_path: str, key: str) -> str:
    return f"{key_path}.{key}" if key_path else key


# --- inputs and ask answers ---------------------------------------------------


def read_spec(ctx: Ctx, name: str, nodes: Mapping[str, YNode], pos: Pos, kp: str,
              types: tuple[str, ...] = INPUT_TYPES) -> InputSpec:
    """An InputSpec from the keys of an input (or an ask step's answer keys, whose
    `types` add action_items)."""
    values: dict[str, Any] = {}
    readers: dict[str, Callable[[object], Any]] = {
        "prompt": as_text, "help": as_text, "required": as_bool, "secret": as_bool,
        "type": _as_type(types), "choices": _as_choices, "pattern": _as_pattern,
    }
    for key, reader in readers.items():
        if key in nodes:
            value = ctx.read(nodes[key], reader, f"{kp}.{key}")
            if value is not None:
                values[key] = value
    if "choices" in values and "type" not in values:
        values["type"] = "choice"  # choices alone mean a choice
    spec = InputSpec(name=name, pos=pos, **values)
    _check_choices(ctx, spec, nodes, kp)
    if "default" in nodes:
        spec = _with_default(ctx, spec, nodes["default"], f"{kp}.default")
    return spec


def _as_type(types: tuple[str, ...]) -> Callable[[object], InputType]:
    def read(value: object) -> InputType:
        text = as_text(value)
        if text not in types:
            raise Bad(f"unknown type {text!r} (one of: {', '.join(types)})"
                      f"{did_you_mean(text, types)}")
        return text  # type: ignore[return-value]  # checked against `types` just above

    return read


def _as_choices(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise Bad(f"expected a non-empty list of values, got {kind(value)}")
    out = []
    for item in value:
        if isinstance(item, dict | list) or item is None:
            raise Bad(f"each choice must be a single value, got {kind(item)}")
        out.append(str(item).lower() if isinstance(item, bool) else str(item))
    return tuple(out)


def _as_pattern(value: object) -> str:
    text = as_text(value)
    try:
        with warnings.catch_warnings():  # FutureWarnings about odd sets are not the user's problem
            warnings.simplefilter("ignore")
            re.compile(text)
    except re.error as exc:
        raise Bad(f"not a valid regular expression: {exc}") from None
    return text


def _check_choices(ctx: Ctx, spec: InputSpec, nodes: Mapping[str, YNode], kp: str) -> None:
    if spec.type == "choice" and not spec.choices and "choices" not in nodes:
        where = nodes["type"].pos if "type" in nodes else spec.pos
        ctx.err(where, "type choice needs `choices:` (the allowed values)", f"{kp}.type")
    elif spec.choices and spec.type != "choice":
        ctx.err(nodes["choices"].pos, f"choices: only for type choice (the type is {spec.type}; "
                f"drop `type:` or set it to choice)", f"{kp}.choices")


def _with_default(ctx: Ctx, spec: InputSpec, node: YNode, kp: str) -> InputSpec:
    from dataclasses import replace

    from runbookctl.runbook.values import coerce_value

    raw = node.value
    if isinstance(raw, dict | list):
        ctx.err(node.pos, f"default: expected a single value, got {kind(raw)}", kp)
        return spec
    if raw is None or raw == "":
        return replace(spec, default=raw)
    try:
        value = coerce_value(spec, raw)
    except ValueError as exc:
        ctx.err(node.pos, f"default does not fit the input: {str(exc).split(': ', 1)[-1]}", kp)
        return spec
    return replace(spec, default=value)


def read_inputs(ctx: Ctx, node: YNode) -> tuple[InputSpec, ...]:
    """`inputs:` — name -> settings map, or name -> default value."""
    if not ctx.expect_map(node, "inputs", "a map of input name -> settings"):
        return ()
    out = []
    for name, child in node.value.items():
        kp, pos = f"inputs.{name}", node.key_pos[name]
        if not _name_ok(ctx, name, pos, kp):
            continue
        if child.is_map:
            ctx.unknown_keys(child, INPUT_KEYS, kp)
            out.append(read_spec(ctx, name, child.value, pos, kp))
        elif child.is_seq:
            ctx.err(child.pos, f"{name}: expected a map of settings or a default value, got a list "
                    f"(for allowed values write `choices: [...]`)", kp)
        else:
            out.append(read_spec(ctx, name, {"default": child}, pos, kp))
    return tuple(out)


def read_secrets(ctx: Ctx, node: YNode) -> tuple[SecretSpec, ...]:
    """`secrets:` — name -> {env, prompt}, an environment variable name, or nothing."""
    if not ctx.expect_map(node, "secrets", "a map of secret name -> {env, prompt}"):
        return ()
    out = []
    for name, child in node.value.items():
        kp, pos = f"secrets.{name}", node.key_pos[name]
        if not _name_ok(ctx, name, pos, kp):
            continue
        if child.is_map:
            ctx.unknown_keys(child, SECRET_KEYS, kp)
            env = ctx.read(child.value["env"], as_text, f"{kp}.env") if "env" in child.value else None
            prompt = (ctx.read(child.value["prompt"], as_text, f"{kp}.prompt")
                      if "prompt" in child.value else None)
            out.append(SecretSpec(name, env, prompt, pos))
        elif child.value is None:
            out.append(SecretSpec(name, None, None, pos))
        else:
            out.append(SecretSpec(name, ctx.read(child, as_text, kp), None, pos))
    return tuple(out)


def _name_ok(ctx: Ctx, name: str, pos: Pos, kp: str) -> bool:
    try:
        as_ident(name)
    except Bad as exc:
        ctx.err(pos, f"{kp.split('.')[0]}: {exc}", kp)
        return False
    return True


def read_hosts(ctx: Ctx, node: YNode, kp: str) -> tuple[str, ...] | None:
    """A host list: one string (a group or host) or a list of them."""
    if isinstance(node.value, str) and node.value.strip():
        return (node.value,) if ctx.read(node, as_host, kp) is not None else None
    if not node.is_seq or not node.value:
        ctx.err(node.pos, f"{kp.rsplit('.', 1)[-1]}: expected a host group name or a non-empty "
                f"list of hosts, got {kind(node.value)}", kp)
        return None
    hosts = [ctx.read(item, as_host, f"{kp}[{i}]") for i, item in enumerate(node.value)]
    return tuple(h for h in hosts if h is not None) if None not in hosts else None


def as_host(value: object) -> str:
    """A group name or host spec, checked by the parser the run uses (`user@[::1:22` is
    refused here, at its line, not when the step connects)."""
    from runbookctl.runbook.inventory import HostSpecError, parse_host_spec

    text = as_text(value)
    try:
        parse_host_spec(text)
    except HostSpecError as exc:
        raise Bad(exc.message) from None
    return text


def read_host_groups(ctx: Ctx, node: YNode) -> dict[str, tuple[str, ...]]:
    """Top-level `hosts:` — group name -> list of hosts."""
    if not ctx.expect_map(node, "hosts", "a map of group name -> list of hosts"):
        return {}
    groups = {}
    for name, child in node.value.items():
        hosts = read_hosts(ctx, child, f"hosts.{name}")
        if hosts is not None:
            groups[name] = hosts
    return groups


# --- step keys with structure ----------------------------------------------


def as_confirm(value: object) -> str | None:
    """`confirm: true` asks the default question, `false` none, text is the question."""
    if isinstance(value, bool):
        return "" if value else None
    return as_text(value)


def read_next(ctx: Ctx, node: YNode, kp: str, value_pos: dict[str, Pos]) -> tuple[Branch, ...]:
    if isinstance(node.value, str) and node.value:
        return (Branch(node.value, None, node.pos),)
    if not node.is_seq or not node.value:
        ctx.err(node.pos, f"next: expected a step id, `end`, or a list of {{if: EXPR, goto: ID}}, "
                f"got {kind(node.value)}", kp)
        return ()
    out = []
    last = len(node.value) - 1
    for i, item in enumerate(node.value):
        branch = _branch(ctx, item, f"{kp}[{i}]", value_pos, f"next[{i}]")
        if branch is None:
            continue
        if branch.cond is None and i != last:
            ctx.err(item.pos, f"next[{i}]: only the last entry may leave out `if` "
                    f"(the entries after it could never be taken)", f"{kp}[{i}]")
        out.append(branch)
    return tuple(out)


def _branch(ctx: Ctx, item: YNode, kp: str, value_pos: dict[str, Pos], rel: str) -> Branch | None:
    if not item.is_map:
        ctx.err(item.pos, f"{rel}: expected {{if: EXPR, goto: ID}}, got {kind(item.value)}", kp)
        return None
    ctx.unknown_keys(item, BRANCH_KEYS, kp)
    keys: dict[str, YNode] = item.value
    if "goto" not in keys:
        ctx.err(item.pos, f"{rel}: missing `goto` (the step id to go to, or end)", kp)
        return None
    goto = ctx.read(keys["goto"], as_text, f"{kp}.goto")
    cond = ctx.read(keys["if"], as_expr, f"{kp}.if") if "if" in keys else None
    value_pos[f"{rel}.goto"] = keys["goto"].pos
    if "if" in keys:
        value_pos[f"{rel}.if"] = keys["if"].pos
    if goto is None or ("if" in keys and cond is None):
        return None
    return Branch(goto, cond, item.pos)


def read_env(ctx: Ctx, node: YNode, kp: str, value_pos: dict[str, Pos]) -> dict[str, str]:
    if not ctx.expect_map(node, kp, "a map of NAME: value"):
        return {}
    out = {}
    for name, child in node.value.items():
        if not re.fullmatch(_ENV_NAME, name):
            ctx.err(node.key_pos[name], f"env: {name!r} is not an environment variable name",
                    f"{kp}.{name}")
            continue
        value = ctx.read(child, as_text, f"{kp}.{name}")
        if value is not None:
            out[name] = value
            value_pos[f"env.{name}"] = child.pos
    return out
