"""Values a template derives from a secret are masked like the secret.

`{{ TOKEN | upper }}`, `{{ TOKEN[2:9] }}`, `{{ TOKEN.replace('a', 'b') }}`,
`{{ TOKEN | list | reverse | join }}`: runbookctl computed these, so it knows
they came from a secret. Every filter, method call and subscript made while
rendering is watched; when one of its inputs holds a secret (or a value derived
from one: all are registered) or is an object derived from one during this
render, its result is registered with the run's redactor before any of it can
be printed.

Derived values shorter than the masker's minimum (a single character, a
two-character slice) cannot be masked, like short secrets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from runbookctl.safety.masking import Redactor

# Objects derived from a secret during the current render, by id (kept alive
# here so an id is not reused while the render runs). Rendering is single-threaded.
_TAINTED: dict[int, Any] = {}


def reset() -> None:
    """Forget the previous render's intermediate values (their strings stay registered)."""
    _TAINTED.clear()


def _redactor() -> Redactor | None:
    from runbookctl.safety.masking import active

    return active()


def tainted(value: Any, redactor: Redactor, depth: int = 1) -> bool:
    """Whether `value` holds a secret or was derived from one in this render.

    Containers are looked into one level only: a list of a secret's pieces is
    what filters pass around, while mappings (the scope, `steps`) hold values
    that are registered already, and walking them on every lookup would cost.
    """
    if id(value) in _TAINTED:
        return True
    if isinstance(value, str):
        # Every derived value is registered, so a value (not each of its
        # encoded forms) is what a template's input can hold.
        return redactor.holds_value(value)
    if _number(value):  # a secret `type: int` input, or arithmetic on one
        return redactor.holds_value(str(value))
    if depth and isinstance(value, list | tuple | set | frozenset):
        return any(tainted(v, redactor, depth - 1) for v in value)
    return False


def note(result: Any, *sources: Any) -> Any:
    """Register `result` when any of `sources` is secret: its strings are masked
    from now on. Returns `result`, or for an iterator (`batch`, `slice`, `map`
    give generators) one that registers each item as it is taken."""
    redactor = _redactor()
    if redactor is None or not any(tainted(s, redactor) for s in sources):
        return result
    if isinstance(result, Iterator):
        result = _items(result, redactor)
    _TAINTED[id(result)] = result
    _register(result, redactor)
    return result


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _items(items: Iterable[Any], redactor: Redactor) -> Iterator[Any]:
    for item in items:
        if not isinstance(item, str):  # a one-character string is every such string
            _TAINTED[id(item)] = item
        _register(item, redactor)
        yield item


def _register(value: Any, redactor: Redactor) -> None:
    if isinstance(value, str):
        redactor.add(value, "", derived=True)
    elif _number(value):  # shown as its digits: `{{ pin + 1 }}`, `{{ pin // 1000 }}`
        redactor.add(str(value), "", derived=True)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _register(item, redactor)
            _TAINTED[id(item)] = item


def _tracked(fn: Callable[..., Any]) -> Callable[..., Any]:
    # functools.wraps copies `jinja_pass_arg`, so pass_context filters still get it.
    @functools.wraps(fn)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        return note(fn(*args, **kwargs), *args, *kwargs.values())

    return filter_


def _code_generator() -> type:
    from jinja2 import nodes
    from jinja2.compiler import CodeGenerator

    class SlicesThroughGetitem(CodeGenerator):
        """Jinja compiles `x[1:5]` to a plain Python slice that no sandbox hook
        sees; route it through `environment.getitem` like `x[1]`."""

        def visit_Getitem(self, node: nodes.Getitem, frame: Any) -> None:
            if not isinstance(node.arg, nodes.Slice):
                super().visit_Getitem(node, frame)
                return
            self.write("environment.getitem(")
            self.visit(node.node, frame)
            self.write(", slice(")
            for i, part in enumerate((node.arg.start, node.arg.stop, node.arg.step)):
                self.write(", " if i else "")
                if part is None:
                    self.write("None")
                else:
                    self.visit(part, frame)
            self.write("))")

    return SlicesThroughGetitem


def environment(**options: Any) -> ImmutableSandboxedEnvironment:
    """The sandbox, watching what templates derive from secrets."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Tracking(ImmutableSandboxedEnvironment):
        code_generator_class = _code_generator()
        # Arithmetic on a secret number goes through call_binop / call_unop.
        intercepted_binops = frozenset(("+", "-", "*", "/", "//", "**", "%"))
        intercepted_unops = frozenset(("+", "-"))

        def call(self, context: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
            result = super().call(context, obj, *args, **kwargs)
            return note(result, getattr(obj, "__self__", None), *args, *kwargs.values())

        def getitem(self, obj: Any, argument: Any) -> Any:
            return note(super().getitem(obj, argument), obj)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return note(super().call_binop(context, operator, left, right), left, right)

        def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
            return note(super().call_unop(context, operator, arg), arg)

    env = Tracking(**options)
    env.filters = {name: _tracked(fn) for name, fn in env.filters.items()}
    return env
