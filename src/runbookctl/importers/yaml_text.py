"""Runbook YAML written as text (yaml.dump would drop the TODO comments).

Every scalar gets a style that cannot be misread: a double-quoted string with
escapes for one line, a literal block (`|-`) for several lines, so `no`,
`123`, `: ` or `#` in imported text stay text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.importers.playbook import DraftRunbook, DraftStep

SCHEMA_FILE = ".runbookctl-schema.json"
# Relative to the runbook file; `runbookctl schema > DIR/.runbookctl-schema.json` writes it.
SCHEMA_LINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"
# What a YAML stream may hold as is (YAML 1.1 printable set, minus the characters
# PyYAML reads as line breaks and the byte-order mark).
_UNSAFE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                     "\U00010000-\U0010ffff]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def dq(text: str) -> str:
    """A double-quoted YAML scalar (JSON-style escapes) holding exactly `text`."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _UNSAFE.match(ch):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def scalar(text: str, indent: int) -> str:
    """`text` as the value after `key: `; `indent` is the key's indentation plus two."""
    # Several lines go in a block: trailing spaces and blank outer lines are not kept.
    body = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip("\n")
    lines = body.split("\n")
    if len(lines) == 1 or _UNSAFE.search(body):
        return dq(text)
    # An explicit indentation indicator when the first line starts with a space or tab;
    # it counts from the key's own indentation, which is always two less.
    head = "|-" if not lines[0][:1].isspace() else "|2-"
    pad = " " * indent
    return head + "".join(f"\n{pad}{line}" if line else "\n" for line in lines)


def comment(text: str) -> str:
    """One YAML comment line's text: no line breaks, nothing the YAML reader rejects."""
    return _UNSAFE.sub("?", " ".join(text.split()))


def render_runbook(rb: DraftRunbook, source: str) -> str:
    """A runbook file's text, with TODO notes as comments above their steps."""
    out = [SCHEMA_LINE,
           comment(f"# Imported from {source} by `runbookctl import`: review each step, "
                   f"the TODO notes and the inputs."),
           f"id: {dq(rb.id)}", f"title: {dq(rb.title)}"]
    if rb.severity:
        out.append(f"severity: {dq(rb.severity)}")
    out.append(f"summary: {scalar(rb.summary, 2)}")
    if rb.tags:
        out.append(f"tags: [{', '.join(dq(t) for t in rb.tags)}]")
    if rb.inputs:
        out.append("inputs:")
        for spec in rb.inputs:
            out += [f"  {spec.name}:", f"    prompt: {dq(spec.prompt)}", f"    help: {dq(spec.help)}"]
            if spec.choices:
                out.append(f"    choices: [{', '.join(dq(c) for c in spec.choices)}]")
    out.append("steps:")
    for step in rb.steps:
        out += _step_lines(step)
    out += [f"  # TODO: {comment(t)}" for t in rb.todos]
    return "\n".join(out) + "\n"


def _step_lines(step: DraftStep) -> list[str]:
    out = [f"  # TODO: {comment(t)}" for t in step.todos]
    out += [f"  - id: {dq(step.id)}", f"    title: {dq(step.title)}"]
    if step.action == "run":
        from runbookctl.importers.playbook import CONFIRM, DEFAULT_TIMEOUT

        out.append(f"    confirm: {dq(CONFIRM)}")
        if step.dangerous:
            out.append("    dangerous: true  # not known to only read: the operator types the step id")
        if step.interactive:  # the operator's own session: no timeout cuts it short
            out.append("    interactive: true")
        else:
            out.append(f"    timeout: {dq(DEFAULT_TIMEOUT)}")
        if step.shell:
            out.append(f"    shell: {dq(step.shell)}")
    out.append(f"    {step.action}: {scalar(step.text, 6)}")
    if step.capture:
        out.append(f"    capture: {dq(step.capture)}")
    if step.expect:
        out.append(f"    expect: {dq(step.expect)}")
    if step.on_no:  # a condition of the playbook: a no skips what it guards
        out.append(f"    on_no: {dq(step.on_no)}")
    return out


def render_stream(books: Iterable[DraftRunbook], source: str) -> str:
    """Several runbooks as one YAML stream, `---` between them (for stdout)."""
    return "---\n".join(render_runbook(rb, source) for rb in books)
