"""Sandboxed Jinja2 with strict undefined and injection-proof command rendering.

Command templates are rendered with every `{{ value }}` replaced by a sentinel;
the rendered text is then scanned the way the shell reads it (safety/shell_contexts.py) and
each sentinel is replaced by the value quoted for the context it sits in, or
refused where no quoting is safe. A value can never end a quote, a heredoc or a
comment it sits in, so `'; rm -rf ~ #` or `$(touch x)` arrive as literal data.
The `unquoted` filter is the explicit opt-out (validate warns).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runbookctl.errors import TemplateError, UsageError
from runbookctl.safety import derived
from runbookctl.safety.quoting import Unquoted, quote_for, words
from runbookctl.safety.shell_contexts import (
    SENTINEL,
    Ctx,
    Refusal,
    dialect_of,
)
from runbookctl.safety.shell_scan import scan

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ENVS: dict[str, SandboxedEnvironment] = {}
# Earlier jinja2 releases let a template escape the sandbox (CVE-2024-56201,
# CVE-2024-56326, CVE-2025-27516); pyproject requires this, and a sandbox is never
# built on an older one (an old install, a distro package shadowing the wheel).
MIN_JINJA2 = (3, 1, 6)


@functools.cache
def require_safe_jinja2() -> None:
    """UsageError unless the jinja2 that is imported is at least MIN_JINJA2 (checked
    once). Its own `__version__` is the version of the code that runs, and reading it
    costs nothing; importlib.metadata (~20 ms to import) only when jinja2 has none."""
    import jinja2

    installed = vars(jinja2).get("__version__")  # vars: no module __getattr__ warning
    if not isinstance(installed, str):
        import importlib.metadata

        try:
            installed = importlib.metadata.version("jinja2")
        except importlib.metadata.PackageNotFoundError:
            installed = "of an unknown version"
    numbers = tuple(int(n) for n in re.findall(r"\d+", installed)[:3])
    if numbers < MIN_JINJA2:
        need = ".".join(map(str, MIN_JINJA2))
        raise UsageError(f"jinja2 {installed} is installed; runbookctl needs jinja2 >= {need} "
                         f"(earlier releases let a template escape the sandbox): "
                         f"pip install 'jinja2>={need}'")


def _env(kind: str = "text") -> SandboxedEnvironment:
    """The shared sandboxed environment (created on first use: jinja2 is heavy)."""
    env = _ENVS.get(kind)
    if env is None:
        require_safe_jinja2()
        from jinja2 import StrictUndefined

        from runbookctl.safety.derived import environment

        env = environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        env.globals["now"] = _now
        env.filters["unquoted"] = lambda v: Unquoted(str(v))
        env.filters["words"] = words
        env.filters["int"] = strict_int
        env.filters["float"] = strict_float
        _ENVS[kind] = env
    return env


class NotANumber(ValueError):
    """`| int` / `| float` of text that is not a number (Jinja's own filters give 0)."""


_NO_DEFAULT: Any = object()


def _parse_float(value: Any) -> float:
    if isinstance(value, str | int | float) and not (isinstance(value, str) and not value.strip()):
        number = float(value)
        if number == number:  # NaN compares false with everything: never a silent answer
            return number
    raise NotANumber(_not_a_number(value))


def _not_a_number(value: Any) -> str:
    # Command output ends with a newline; the text quoted is the text that was parsed.
    return f"not a number: {value.strip() if isinstance(value, str) else value!r}"


def strict_float(value: Any, default: Any = _NO_DEFAULT) -> Any:
    """`| float` that refuses text that is not a number, unless the author gave a default."""
    try:
        return _parse_float(value)
    except (ValueError, TypeError):
        if default is _NO_DEFAULT:
            raise NotANumber(_not_a_number(value)) from None
        return default


def strict_int(value: Any, default: Any = _NO_DEFAULT, base: int = 10) -> Any:
    """`| int` like Jinja's (`"2.5"` gives 2, `base` for other radixes), but text that is
    not a number is an error quoting it, unless the author gave a default."""
    try:
        if isinstance(value, str) and base != 10:
            return int(value.strip(), base)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        return int(_parse_float(value))
    except (ValueError, TypeError, OverflowError):
        if default is _NO_DEFAULT:
            raise NotANumber(_not_a_number(value)) from None
        return default


def _fail(what: str, source: str, exc: Exception) -> TemplateError:
    msg = getattr(exc, "message", None) or str(exc)
    return TemplateError(f"cannot render {what} {source!r}: {msg}")


# Values of the command being rendered, in order (rendering is single-threaded).
_COLLECTED: list[Any] = []


def _collect(value: Any) -> str:
    _defined(value)  # raise here, inside render(), where a template error is caught
    _COLLECTED.append(value)
    return SENTINEL.format(len(_COLLECTED) - 1)


@functools.lru_cache(maxsize=1024)
def _compiled(kind: str, source: str) -> Any:
    """Templates compiled once per run, not once per step visit."""
    env = _env() if kind == "text" else _env().overlay(finalize=_collect)
    return env.from_string(source)


@functools.lru_cache(maxsize=1024)
def _expression(expr: str) -> Any:
    return _env().compile_expression(expr, undefined_to_none=False)


def render_text(source: str, scope: Mapping[str, Any], what: str = "template") -> str:
    """Render a template for display (questions, messages): no quoting."""
    from jinja2 import TemplateError as JinjaError

    if "{" not in source:
        return source
    try:
        return str(_compiled("text", source).render(dict(scope)))
    except (JinjaError, TypeError, ValueError, ArithmeticError) as exc:
        raise _fail(what, source, exc) from None
    finally:
        derived.reset()


def evaluate(expr: str, scope: Mapping[str, Any], what: str = "expression") -> Any:
    """Evaluate a Jinja2 expression (no braces) in the sandbox."""
    from jinja2 import TemplateError as JinjaError

    try:
        return _defined(_expression(expr)(dict(scope)))
    except (JinjaError, TypeError, ValueError, ArithmeticError) as exc:
        raise _fail(what, expr, exc) from None
    finally:
        derived.reset()


def _defined(value: Any) -> Any:
    """`value`, unless it is an undefined name or attribute (`steps.check.nope`): then
    jinja2's UndefinedError now, not later where the value is first used as text."""
    from jinja2 import Undefined

    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def truthy(value: Any) -> bool:
    """Truth of an expression result; strings 'false'/'no'/'0'/'' are false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "0", "none")
    return bool(value)


def render_command(source: str, scope: Mapping[str, Any], shell: str = "/bin/sh") -> str:
    """Render a command template with every interpolated value quoted for where it lands
    (safety/shell_contexts.py); a value that cannot be placed safely is refused: nothing runs."""
    from jinja2 import TemplateError as JinjaError

    if "{" not in source:
        return source
    _COLLECTED.clear()
    try:
        rendered = _compiled("cmd", source).render(dict(scope))
        values = list(_COLLECTED)
        _COLLECTED.clear()
        return _substitute(rendered, values, shell)
    except Refusal as exc:
        raise TemplateError(f"refusing to run {source!r}: {_which(source, exc.index, len(values))} "
                            f"{exc.reason}") from None
    except (JinjaError, TypeError, ValueError, ArithmeticError) as exc:
        raise _fail("command", source, exc) from None
    finally:
        derived.reset()


def _substitute(rendered: str, values: list[Any], shell: str) -> str:
    def emit(index: int, ctx: Ctx) -> str:
        value = values[index]
        quoted = quote_for(value, ctx, index)
        derived.note(quoted, value)  # a secret's quoted form is masked like the secret
        return quoted

    return scan(rendered, emit, dialect=dialect_of(shell))


def _which(source: str, index: int, count: int) -> str:
    """`{{ expr }}` of the index-th value, when the template's expressions are that plain."""
    found = re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", source, re.S)
    if len(found) == count and "{%" not in source:
        return f"the value of {{{{ {found[index]} }}}}"
    return f"value {index + 1} of the command"
