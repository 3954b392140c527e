"""Shell contexts × payloads for the injection tests (unit, CLI, ssh).

Each context is a command template writing what the command received for
`{{ v }}` into `@OUT@/<name>.out`; `expect(value)` is what that file must hold
(None: runbookctl must refuse the value there). Payloads try to end every kind
of quote, comment and heredoc and to run `touch @CANARY@`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

CANARY = "@CANARY@"
# An odd run of backslashes before a newline: the shell drops it inside a heredoc body.
CONTINUATION = re.compile(r"(?<!\\)(?:\\\\)*\\\n")
OUT = "@OUT@"


def _lines_end_heredoc(body: str, strip_tabs: bool = False) -> bool:
    return any((line.lstrip("\t") if strip_tabs else line) == "EOF" for line in body.split("\n"))


def _heredoc(wrap: Callable[[str], str], strip_tabs: bool = False) -> Callable[[str], str | None]:
    """A heredoc body line `wrap(value)`: refused when it would make a line 'EOF'."""
    def expect(value: str) -> str | None:
        body = wrap(value)
        if _lines_end_heredoc(body, strip_tabs):
            return None
        if strip_tabs:
            body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
        return body + "\n"
    return expect


def _same(value: str) -> str:
    return value


def _subst(value: str) -> str:
    return value.rstrip("\n")  # $(…) and `…` drop trailing newlines


@dataclass(frozen=True)
class Context:
    name: str
    template: str
    expect: Callable[[str], str | None]
    shells: tuple[str, ...] = ("sh", "bash")


def _w(name: str) -> str:
    return f"> {OUT}/{name}.out"


CONTEXTS = [
    Context("word", "printf '%s' {{ v }} " + _w("word"), _same),
    Context("single", "printf '%s' '{{ v }}' " + _w("single"), _same),
    Context("double", "printf '%s' \"<{{ v }}>\" " + _w("double"), lambda v: f"<{v}>"),
    Context("double-after-backslash", "printf '%s' \"\\\\{{ v }}\" " + _w("double-after-backslash"),
            lambda v: "\\" + v),
    Context("heredoc", "cat <<EOF " + _w("heredoc") + "\n[{{ v }}]\nEOF",
            _heredoc(lambda v: f"[{v}]")),
    Context("heredoc-sql", "cat " + _w("heredoc-sql") + " <<EOF\nSELECT 1 WHERE name = '{{ v }}';\nEOF",
            _heredoc(lambda v: f"SELECT 1 WHERE name = '{v}';")),
    Context("heredoc-quoted", "cat <<'EOF' " + _w("heredoc-quoted") + "\n{{ v }}\nEOF",
            _heredoc(lambda v: v)),
    Context("heredoc-tabs", "cat <<-EOF " + _w("heredoc-tabs") + "\n\t{{ v }}\n\tEOF",
            _heredoc(lambda v: "\t" + v, strip_tabs=True)),
    Context("heredoc-subst", "cat <<EOF " + _w("heredoc-subst") + "\n$(printf '%s' {{ v }})\nEOF",
            lambda v: None if _lines_end_heredoc(f"$(printf '%s' {shlex.quote(v)})")
            or CONTINUATION.search(shlex.quote(v)) else _subst(v) + "\n"),
    Context("two-heredocs", "cat <<A " + _w("two-heredocs") + "; cat <<'EOF' >>" + f" {OUT}/two-heredocs.out"
            + "\n{{ v }}\nA\n{{ v }}\nEOF",
            lambda v: None if _lines_end_heredoc(v) or "A" in v.split("\n") else f"{v}\n{v}\n"),
    Context("subst", "printf '%s' \"$(printf '%s' {{ v }})\" " + _w("subst"), _subst),
    Context("backquote", "printf '%s' \"`printf '%s' {{ v }}`\" " + _w("backquote"), _subst),
    Context("backquote-double", "printf '%s' \"`printf '%s' \\\"{{ v }}\\\"`\" " + _w("backquote-double"),
            _subst),
    Context("backquote-plain", "X=`printf '%s' {{ v }}`; printf '%s' \"$X\" " + _w("backquote-plain"),
            _subst),
    Context("brace-default", "printf '%s' \"${RB_UNSET:-{{ v }}}\" " + _w("brace-default"), _same),
    Context("brace-unquoted", "printf '%s' ${RB_UNSET:-{{ v }}} " + _w("brace-unquoted"), _same),
    Context("case", "case {{ v }} in {{ v }}) printf match;; *) printf other;; esac " + _w("case"),
            lambda v: "match"),
    Context("case-in-subst", "printf '%s' \"$(case x in x) printf '%s' {{ v }};; esac)\" "
            + _w("case-in-subst"), _subst),
    Context("assignment", "X={{ v }}; printf '%s' \"$X\" " + _w("assignment"), _same),
    Context("env-prefix", "X={{ v }} sh -c 'printf %s \"$X\"' " + _w("env-prefix"), _same),
    Context("subshell", "( printf '%s' {{ v }} ) " + _w("subshell"), _same),
    Context("function", "f() { printf '%s' \"$1\"; }; f {{ v }} " + _w("function"), _same),
    Context("ansi-c", "printf '%s' $'<{{ v }}>' " + _w("ansi-c"), lambda v: f"<{v}>", ("bash",)),
    Context("test-bracket", "[[ {{ v }} == {{ v }} ]] && printf match " + _w("test-bracket"),
            lambda v: "match", ("bash",)),
    Context("here-string", "cat <<< {{ v }} " + _w("here-string"), lambda v: v + "\n", ("bash",)),
]

PAYLOADS = [
    "$(touch @CANARY@)",
    "`touch @CANARY@`",
    "'; touch @CANARY@; '",
    '"; touch @CANARY@; "',
    "a\ntouch @CANARY@\n",
    "x\nEOF\ntouch @CANARY@\nEOF",
    "\tEOF\ntouch @CANARY@",
    "\\",
    "\\'$(touch @CANARY@)'\\",
    "}$(touch @CANARY@)${x:-",
    "$((1+1)) a[$(touch @CANARY@)]",
    "# not a comment\ntouch @CANARY@",
    "A\ntouch @CANARY@",
    "\\\n$(touch @CANARY@)",
    "$'\\'; touch @CANARY@; '",
    "é ✓ \u202e -- *",
    "",
    "-n",
    "esac) touch @CANARY@;; (x",
    ";; esac; touch @CANARY@ #",
]


def runbook_steps(action: str, shells: tuple[str, ...] = ("sh", "bash")) -> list[dict[str, object]]:
    """One step per context × shell, each carrying on when refused."""
    steps: list[dict[str, object]] = []
    for ctx in CONTEXTS:
        for shell in shells:
            if shell not in ctx.shells:
                continue
            template = ctx.template.replace(f"{ctx.name}.out", f"{ctx.name}-{shell}.out")
            step: dict[str, object] = {"id": f"{ctx.name}-{shell}", action: template,
                                       "on_failure": "continue"}
            if shell == "bash":
                step["shell"] = "bash"
            steps.append(step)
    return steps


def expected_files(value: str, shells: tuple[str, ...] = ("sh", "bash")) -> dict[str, str | None]:
    """`<context>-<shell>.out` -> its content, or None where the value must be refused."""
    out: dict[str, str | None] = {}
    for ctx in CONTEXTS:
        for shell in shells:
            if shell in ctx.shells:
                out[f"{ctx.name}-{shell}.out"] = ctx.expect(value)
    return out
