"""Sandboxed Jinja2 with strict undefined and injection-proof command rendering.

Command templates are rendered with every `{{ value }}` replaced by a sentinel;
the rendered text is then scanned with a small shell-quoting state machine and
each sentinel is replaced by the value quoted for the context it sits in (bare
word, inside '...', inside "...", inside $(...) or backticks). A value can never
end a quote it sits in, so `'; rm -rf ~ #` or `$(touch x)` arrive as one
literal argument. The `unquoted` filter is the explicit opt-out (validate warns).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import re
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runbookctl import derived
from runbookctl.errors import RunbookctlError, UsageError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

_SENTINEL = "\x00RBQ{}\x00"
_SENTINEL_RE = re.compile("\x00RBQ(\\d+)\x00")


class TemplateError(RunbookctlError):
    """A template or expression failed to render (undefined name, bad syntax)."""


class Unquoted(str):
    """A value the author chose not to quote (`| unquoted`)."""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ENVS: dict[str, SandboxedEnvironment] = {}
# Earlier jinja2 releases let a template escape the sandbox (CVE-2024-56201,
# CVE-2024-56326, CVE-2025-27516); pyproject requires this, and a sandbox is never
# built on an older one (an old install, a distro package shadowing the wheel).
MIN_JINJA2 = (3, 1, 6)


@functools.cache
def require_safe_jinja2() -> None:
    """UsageError unless the installed jinja2 is at least MIN_JINJA2 (checked once)."""
    import importlib.metadata

    try:
        installed = importlib.metadata.version("jinja2")
    except importlib.metadata.PackageNotFoundError:
        import jinja2

        installed = jinja2.__version__
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

        from runbookctl.derived import environment

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
    return _SENTINEL.format(len(_COLLECTED) - 1)


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


def render_command(source: str, scope: Mapping[str, Any]) -> str:
    """Render a command template with every interpolated value shell-quoted."""
    from jinja2 import TemplateError as JinjaError

    if "{" not in source:
        return source
    _COLLECTED.clear()
    try:
        rendered = _compiled("cmd", source).render(dict(scope))
        values = list(_COLLECTED)
        _COLLECTED.clear()
        return _substitute(rendered, values)
    except (JinjaError, TypeError, ValueError, ArithmeticError) as exc:
        raise _fail("command", source, exc) from None
    finally:
        derived.reset()


def _substitute(rendered: str, values: list[Any]) -> str:
    out: list[str] = []
    pos = 0
    for match in _SENTINEL_RE.finditer(rendered):
        out.append(rendered[pos : match.start()])
        context = shell_context("".join(out))
        value = values[int(match.group(1))]
        quoted = quote_for(value, context)
        derived.note(quoted, value)  # a secret's quoted form is masked like the secret
        out.append(quoted)
        pos = match.end()
    out.append(rendered[pos:])
    return "".join(out)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if "\x00" in text:
        raise TemplateError(f"a value contains a NUL byte and cannot be passed to a shell: {text!r}")
    return text


def words(value: Any) -> list[str]:
    """Split on whitespace and commas: `{{ hosts | words }}` gives one argument per item."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [w for w in re.split(r"[\s,]+", "" if value is None else str(value)) if w]


def quote_for(value: Any, context: str) -> str:
    """Quote `value` so it stays one literal word in shell `context`.

    A list in a bare context becomes one quoted argument per item.
    """
    if isinstance(value, list | tuple) and context == "bare":
        return " ".join(shlex.quote(_as_text(v)) for v in value)
    text = _as_text(value)
    if isinstance(value, Unquoted):
        return text
    if context == "sq":
        return text.replace("'", "'\\''")
    if context == "dq":
        return re.sub(r'([\\"$`])', r"\\\1", text)
    if context == "bq":
        # inside `...` a backslash before \ ` $ is removed before the inner parse
        return re.sub(r"([\\`$])", r"\\\1", shlex.quote(text))
    return shlex.quote(text)


def shell_context(prefix: str) -> str:
    """The quoting context at the end of `prefix`: 'bare', 'sq', 'dq' or 'bq'.

    A stack handles command substitutions: `"$(` or a backtick inside double
    quotes starts a fresh bare context that ends at the matching `)` / backtick.
    """
    stack = ["bare"]
    i = 0
    n = len(prefix)
    while i < n:
        c = prefix[i]
        top = stack[-1]
        if top == "sq":
            if c == "'":
                stack.pop()
        elif c == "\\":
            i += 1
        elif top == "dq" and c == '"':
            stack.pop()
        elif c == "`":
            if top == "bq":
                stack.pop()
            else:
                stack.append("bq")
        elif c == "$" and i + 1 < n and prefix[i + 1] == "(":
            stack.append("paren")
            i += 1
        elif top == "paren" and c == ")":
            stack.pop()
        elif top != "dq" and c == "'":
            stack.append("sq")
        elif top != "dq" and c == '"':
            stack.append("dq")
        elif top == "paren" and c == "(":
            stack.append("paren")
        i += 1
    top = stack[-1]
    return top if top in ("sq", "dq", "bq") else "bare"
