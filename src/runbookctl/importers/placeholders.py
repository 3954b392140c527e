"""Placeholders in imported commands -> inputs (issue 16.3), and Jinja escaping.

What an operator must fill in becomes an input named after its text, with
the text as its prompt, and the command gets `{{ name }}` (the templating
quotes the value for the place it lands: safety/shell_contexts.py):

- `<pod name>`, `[postgres-host]`, `{cluster}`: free text, spaces included;
  not `<<EOF`, `< file >`, `[ -f x ]`, `[[ … ]]`, globs like `sd[a-z]`,
  `${…}`, Jinja, brace groups `{ cmd; }` or brace expansion `{a,b}`;
  `[…]` and `{…}` inside '…' are left alone (awk programs, grep classes);
- `[staging|production]`: a choice input;
- `$NAMESPACE` / `${NAMESPACE}` (capitals; not `${X:-default}`) when the document
  never sets the variable (an assignment, `export`, `read`, `for`).

Heredoc bodies are filled in too (a quoted one, `<<'EOF'`, leaves `$VAR` to the
program reading it); comment lines are kept as written (only escaped): the
importer moves those that hold a placeholder or a commented-out command out
of the command, into a message shown before it (steps.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runbookctl.importers.code import WELL_KNOWN
from runbookctl.runbook.names import RESERVED_NAMES

_TEXT = r"[A-Za-z](?:[A-Za-z0-9 _.,:/'()-]{0,78}[A-Za-z0-9)])?"
_CHOICE_TEXT = r"[A-Za-z](?:[A-Za-z0-9 _.,:/'()|-]{0,78}[A-Za-z0-9)])?"
_PLACEHOLDER = re.compile(
    r"(?<![\w<\[\]$])\[(?P<sq>" + _CHOICE_TEXT + r")\](?![\[\](])"
    r"|(?:(?<![\w<])|(?<=\s-[A-Za-z]))<(?P<ang>" + _TEXT + r")>(?!>)"  # `-n<namespace>` too
    r"|(?<![\w${])\{(?P<brace>[A-Za-z](?:[A-Za-z0-9 _.-]{0,60}[A-Za-z0-9])?)\}(?!\})"
    r"|\$(?:\{(?P<dvar>[A-Za-z_]\w*)\}|(?P<var>[A-Za-z_]\w*))")
# Bracketed words scripts print as log prefixes, not placeholders.
_LOG_TAGS = frozenset({"info", "warn", "warning", "error", "ok", "fail", "failed", "debug",
                       "pass", "done", "skip", "critical", "notice"})
_JINJA_OPEN = re.compile(r"\{[{%#]")
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


@dataclass(frozen=True)
class DraftInput:
    name: str
    prompt: str
    help: str
    choices: tuple[str, ...] = ()


def command_template(code: str, inputs: dict[str, DraftInput],
                     assigned: frozenset[str] | None = None) -> str:
    """A command as a template: placeholders -> `{{ input }}`, everything else literal.

    `assigned`: the shell variables the document sets; any other `$VAR` becomes
    an input (None: variables are left alone).
    """
    out: list[str] = []
    heredoc_end: str | None = None
    quoted_body = False
    for line in code.split("\n"):
        if heredoc_end is not None:
            if line.strip() == heredoc_end:
                heredoc_end = None
                out.append(escape_jinja(line))
            else:  # a quoted body's $VAR is the program's own, not the shell's
                out.append(_line_template(line, inputs, None if quoted_body else assigned))
            continue
        if line.lstrip().startswith("#"):
            out.append(escape_jinja(line))
            continue
        out.append(_line_template(line, inputs, assigned))
        opened = _HEREDOC.search(line)
        heredoc_end = opened.group(1) if opened else None
        quoted_body = bool(opened) and bool(re.search(r"<<-?\s*['\"]", line))
    return "\n".join(out)


def has_placeholder(text: str) -> bool:
    """Whether text holds something an operator must fill in (a `$VAR` in capitals included)."""
    return any(not _skip(m, [], frozenset()) for m in _PLACEHOLDER.finditer(text))


def _single_quoted(line: str) -> list[tuple[int, int]]:
    """The spans of '…' strings in a line (outside "…")."""
    spans: list[tuple[int, int]] = []
    quote, start = "", 0
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                if quote == "'":
                    spans.append((start, i))
                quote = ""
        elif ch in "'\"":
            quote, start = ch, i
    return spans


def _skip(match: re.Match[str], quoted: list[tuple[int, int]],
          assigned: frozenset[str] | None) -> bool:
    inside = any(a < match.start() < b for a, b in quoted)
    name = match.group("var") or match.group("dvar")
    if name is not None:
        # only NAMES in capitals: a lowercase one is a script's own (a loop's, a function's)
        return inside or assigned is None or name in assigned or name in WELL_KNOWN or not name.isupper()
    if match.group("sq") is not None:
        return inside or match.group("sq").lower() in _LOG_TAGS
    if match.group("brace") is not None:
        return inside
    return False


def _line_template(line: str, inputs: dict[str, DraftInput], assigned: frozenset[str] | None) -> str:
    parts: list[str] = []
    pos = 0
    quoted = _single_quoted(line)
    for match in _PLACEHOLDER.finditer(line):
        if _skip(match, quoted, assigned):
            continue
        parts.append(escape_jinja(line[pos: match.start()]))
        parts.append("{{ " + _input_for(match, inputs) + " }}")
        pos = match.end()
    parts.append(escape_jinja(line[pos:]))
    return "".join(parts)


def _input_for(match: re.Match[str], inputs: dict[str, DraftInput]) -> str:
    words = next(g for g in match.groups() if g is not None).strip()
    choices = tuple(c.strip() for c in words.split("|")) if "|" in words else ()
    name = input_name("_or_".join(choices) if choices else words)
    if name not in inputs:
        prompt = re.sub(r"[_-]+", " ", words).strip() if not choices else f"One of: {', '.join(choices)}"
        if match.group("var") or match.group("dvar"):
            prompt = f"Value for ${words}"
        inputs[name] = DraftInput(name, prompt[:1].upper() + prompt[1:],
                                  f"replaces {match.group(0)} in the playbook's commands", choices)
    return name


def input_name(words: str) -> str:
    """The runbook variable a placeholder's words (or a $VAR's name) become."""
    name = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")[:40].rstrip("_") or "value"
    name = name if not name[:1].isdigit() else f"v_{name}"
    return f"{name}_value" if name in RESERVED_NAMES else name


def escape_jinja(text: str) -> str:
    """`text` as a Jinja2 template that renders to exactly `text`.

    In each line the span from the first `{{`/`{%`/`{#` to the last is wrapped
    in one raw block; a line that itself says `endraw` gets one per delimiter.
    """
    return "\n".join(_escape_line(line) for line in text.split("\n"))


def _escape_line(line: str) -> str:
    found = list(_JINJA_OPEN.finditer(line))
    if not found:
        return line
    start, end = found[0].start(), found[-1].end()
    if "endraw" not in line[start:end]:
        return f"{line[:start]}{{% raw %}}{line[start:end]}{{% endraw %}}{line[end:]}"
    return _JINJA_OPEN.sub(lambda m: "{% raw %}" + m.group(0) + "{% endraw %}", line)
