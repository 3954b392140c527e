"""Static check of every template and expression of a runbook on the Jinja2
AST: syntax errors, unknown filters, undefined names and `steps.<id>` that
name no step, each pointed at the line (and word) it was written on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runbookctl.check.sources import Source, locate
from runbookctl.errors import Problem
from runbookctl.positions import Pos
from runbookctl.runbook.model import Runbook, Step
from runbookctl.runbook.names import BUILTIN_NAMES, HOST, JINJA_GLOBALS, RESULT, is_template_name
from runbookctl.runbook.readers import did_you_mean
from runbookctl.runbook.yaml_positions import problem

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

# The filter that turns shell quoting off for a value (templating.py).
UNQUOTED = "unquoted"
UNQUOTED_WARNING = ("`unquoted` turns off shell quoting for this value: make sure it cannot "
                    "come from an answer or command output")


@dataclass(frozen=True)
class Scope:
    """The names in scope, and the step ids `steps.<id>` may name."""

    names: frozenset[str]
    step_keys: frozenset[str]
    integers: frozenset[str] = frozenset()  # inputs of type int


def step_sources(step: Step, kp: str) -> Iterator[Source]:
    """Every template and expression of one step."""
    at = step.value_pos.get
    if step.action != "include" and not (step.action == "message" and is_template_name(step.text)):
        extra = HOST if step.action == "ssh" else frozenset()
        yield Source(step.text, at(step.action, step.pos), f"{kp}.{step.action}",
                     extra=extra, command=step.is_command, shell=step.shell or "")
    if step.confirm:
        yield Source(step.confirm, at("confirm", step.pos), f"{kp}.confirm")
    for key, extra in (("when", frozenset()), ("until", RESULT), ("expect", RESULT)):
        value = getattr(step, key)
        if value is not None:
            yield Source(value, at(key, step.pos), f"{kp}.{key}", expression=True, extra=extra)
    for i, branch in enumerate(step.next):
        if branch.cond is not None:
            yield Source(branch.cond, at(f"next[{i}].if", branch.pos), f"{kp}.next[{i}].if",
                         expression=True, extra=RESULT)
    for name, value in step.env.items():
        yield Source(value, at(f"env.{name}", step.pos), f"{kp}.env.{name}")
    if step.cwd is not None:
        yield Source(step.cwd, at("cwd", step.pos), f"{kp}.cwd")


def check_sources(rb: Runbook, text: str, scope: Scope,
                  template_source: Callable[[str], str | None]) -> list[Problem]:
    """Problems of every template and expression of `rb` (and of its message templates)."""
    out: list[Problem] = []
    for i, step in enumerate(rb.steps):
        kp = f"steps[{i}]"
        for src in step_sources(step, kp):
            out += _check(src, text, scope)
        if step.action == "message" and is_template_name(step.text):
            out += _check_template_file(step, kp, text, scope, template_source)
    return out


def names_read(step: Step, template_source: Callable[[str], str | None]) -> set[str]:
    """The variable names a step's templates and expressions read (its message template
    file too); a template that does not parse reads nothing (validate reports it)."""
    from jinja2 import TemplateError

    bodies = ["{{ " + src.text + " }}" if src.expression else src.text
              for src in step_sources(step, "")]
    if step.action == "message" and is_template_name(step.text):
        bodies.append(template_source(step.text.strip()) or "")
    out: set[str] = set()
    for body in bodies:
        try:
            out |= _undeclared(_env().parse(body))
        except TemplateError:
            continue
    return out - BUILTIN_NAMES - JINJA_GLOBALS


def _check_template_file(step: Step, kp: str, text: str, scope: Scope,
                         template_source: Callable[[str], str | None]) -> list[Problem]:
    name = step.text.strip()
    pos = step.value_pos.get("message", step.pos)
    body = template_source(name)
    if body is None:
        return [problem(text, pos, f"message: no template '{name}' under templates/", f"{kp}.message")]
    found = _check(Source(body, Pos(name, 1, 1), ""), body, scope)
    # Point at the `message:` value and say where in the template file the problem is.
    return [problem(text, pos, f"in template {name} line {p.pos.line}: {p.message}", f"{kp}.message",
                    p.severity) for p in found]


def _env() -> SandboxedEnvironment:
    """The sandboxed environment commands are rendered with: the same filters, tests, globals."""
    from runbookctl.safety import templating

    return templating._env()


def _check(src: Source, text: str, scope: Scope) -> list[Problem]:
    if not src.expression and "{" not in src.text:
        # Plain text: every Jinja construct ({{ }}, {% %}, {# #}) starts with a brace,
        # so there is nothing to parse (most commands of a runbook of checks).
        return []
    from jinja2 import TemplateAssertionError, TemplateSyntaxError

    body = "{{ " + src.text + " }}" if src.expression else src.text
    try:
        ast = _env().parse(body)
        undeclared = _undeclared(ast)
    except TemplateAssertionError as exc:  # unknown filter or test
        return [_unknown_filter(src, text, exc.lineno or 1, exc.message or str(exc))]
    except TemplateSyntaxError as exc:
        hint = " (expressions are written without {{ }})" if src.expression and "{{" in src.text else ""
        return [_at(src, text, exc.lineno or 1, (), f"template syntax error: {exc.message}{hint}")]
    known = scope.names | src.extra | BUILTIN_NAMES | JINJA_GLOBALS
    out = [_undefined(src, text, ast, name, known) for name in sorted(undeclared - known)]
    out += _step_refs(src, text, ast, scope)
    if src.command:
        from runbookctl.check.commands import command_problems

        out += _unquoted(src, text, ast)
        out += command_problems(src, text, src.shell, scope.integers)
    return out


def _undeclared(ast: Any) -> set[str]:
    """Names read but never set in the template, and a check that every filter and test
    exists: what jinja2.meta.find_undeclared_variables gives, without generating code
    (which was two thirds of validate's time)."""
    from jinja2 import TemplateAssertionError, nodes

    env = _env()
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        is_filter = isinstance(node, nodes.Filter)
        if node.name not in (env.filters if is_filter else env.tests):
            kind = "filter" if is_filter else "test"
            raise TemplateAssertionError(f"No {kind} named '{node.name}'.", node.lineno)
    names = list(ast.find_all(nodes.Name))
    stored = {n.name for n in names if n.ctx in ("store", "param")}
    return {n.name for n in names if n.ctx == "load"} - stored


def _unknown_filter(src: Source, text: str, lineno: int, message: str) -> Problem:
    found = re.search(r"No (filter|test) named '([^']+)'", message)
    if not found:
        return _at(src, text, lineno, (), message)
    what, name = found.groups()
    env = _env()
    known = env.filters if what == "filter" else env.tests
    return _at(src, text, lineno, (rf"\b{re.escape(name)}\b",),
               f"unknown {what} '{name}'{did_you_mean(name, known)}")


def _undefined(src: Source, text: str, ast: Any, name: str, known: frozenset[str]) -> Problem:
    from jinja2 import nodes

    line = next((n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"), 1)
    word = re.escape(name)
    hint = did_you_mean(name, known - JINJA_GLOBALS)
    if not hint and name in RESULT | HOST:
        hint = (" (`result` is only known in expect, until and next conditions)" if name in RESULT
                else " (`host` is only known in ssh commands)")
    return _at(src, text, line, (rf"(?<![\w.]){word}\b", rf"\b{word}\b"), f"undefined name '{name}'{hint}")


def _step_refs(src: Source, text: str, ast: Any, scope: Scope) -> list[Problem]:
    """`steps.<id>` naming no step of the runbook."""
    from jinja2 import nodes

    out = []
    for node in ast.find_all(nodes.Getattr):
        target = node.node
        if isinstance(target, nodes.Name) and target.name == "steps" and \
                node.attr not in scope.step_keys:
            hint = did_you_mean(node.attr, scope.step_keys)
            where = (rf"(?<=steps\.){re.escape(node.attr)}\b",)
            out.append(_at(src, text, node.lineno, where, f"steps.{node.attr}: no step "
                           f"'{node.attr}' in this runbook{hint}"))
    return out


def _unquoted(src: Source, text: str, ast: Any) -> list[Problem]:
    from jinja2 import nodes

    return [_at(src, text, node.lineno, (rf"\b{UNQUOTED}\b",), UNQUOTED_WARNING, "warning")
            for node in ast.find_all(nodes.Filter) if node.name == UNQUOTED]


def _at(src: Source, text: str, lineno: int, where: tuple[str, ...], message: str,
        severity: str = "error") -> Problem:
    """A problem at template line `lineno`, on the first match of a `where` regex in that line."""
    pos = locate(text, src.pos, lineno, where)
    key = src.key_path.rsplit(".", 1)[-1]
    return problem(text, pos, f"{key}: {message}" if key else message, src.key_path, severity)


