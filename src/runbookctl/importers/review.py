"""The review list of an import (issue 16.5): what became what, and what to check by hand.

An import is a draft: someone who knows the system must read it before it is
relied on. The list says, with the playbook's line numbers, which step each
part became, and every place a person should check — commands that may change
something (a typed confirmation), inputs made from placeholders, sessions
turned interactive (what the playbook says to type there is shown, not run),
blocks shown as messages instead of run (examples, output, commented-out
commands), commands left to run by hand (a placeholder where no value is
safe), conditions turned into confirmations, and TODO notes. `runbookctl
import` prints it; `--review FILE` writes it (Markdown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.importers.playbook import DraftRunbook, DraftStep


@dataclass(frozen=True)
class Check:
    line: int  # in the playbook; 0: not known
    kind: str  # dangerous | input | session | example | commented | by-hand | condition | todo
    text: str


def figures(rb: DraftRunbook) -> dict[str, int]:
    """The numbers an import is measured by (docs/import.md, the corpus table)."""
    return {
        "steps": len(rb.steps),
        "run": sum(1 for s in rb.steps if s.action == "run"),
        "dangerous": sum(1 for s in rb.steps if s.dangerous),
        "inputs": len(rb.inputs),
        "messages": sum(1 for s in rb.steps if s.action == "message"),
        "conditions": sum(1 for s in rb.steps if s.on_no),
        "review": len(checks(rb)),
    }


def checks(rb: DraftRunbook) -> list[Check]:
    """Every place of the runbook a person should check, in playbook order."""
    out: list[Check] = []
    for i, step in enumerate(rb.steps):
        out += _step_checks(step, rb.steps[i + 1:])
    out += [_input_check(rb, name, prompt) for name, prompt in ((i.name, i.prompt) for i in rb.inputs)]
    out += [Check(rb.steps[-1].line if rb.steps else 0, "todo", t) for t in rb.todos]
    return sorted(out, key=lambda c: c.line)


def _step_checks(step: DraftStep, after: tuple[DraftStep, ...]) -> list[Check]:
    out = [Check(step.line, "todo", f"step {step.id}: {t}") for t in step.todos]
    first = _first_line(step.text)
    if step.interactive:
        out.append(Check(step.line, "session", f"step {step.id} opens a session (`{first}`, "
                         f"interactive): the operator types there what the note before it shows; "
                         f"nothing after it runs inside the session"))
    elif step.dangerous:
        out.append(Check(step.line, "dangerous", f"step {step.id} runs `{first}`: not known to only "
                         f"read, so the step id must be typed; --yes never runs it"))
    if step.origin == "by-hand":
        out.append(Check(step.line, "by-hand", f"step {step.id} is a command to run by hand: a "
                         f"placeholder sits where no value can be put safely"))
    if step.origin in ("example", "commented"):
        what = "an example or output" if step.origin == "example" else "commented-out commands"
        out.append(Check(step.line, step.origin, f"step {step.id} shows {what} as a message, "
                         f"never run: check nothing there was meant to run"))
    if step.on_no:
        skipped = [s.id for s in after[: next((n for n, s in enumerate(after) if s.id == step.on_no),
                                              len(after))]]
        out.append(Check(step.line, "condition", f"step {step.id} asks {_one(step.text)!r}: a no "
                         f"skips {', '.join(skipped) or 'nothing'} (on_no: {step.on_no})"))
    return out


def _input_check(rb: DraftRunbook, name: str, prompt: str) -> Check:
    uses = [s for s in rb.steps if s.action == "run" and re.search(r"\{\{ " + name + r" \}\}", s.text)]
    where = f"used by {', '.join(s.id for s in uses)}" if uses else "unused"
    spec = next(i for i in rb.inputs if i.name == name)
    return Check(uses[0].line if uses else 0, "input",
                 f"input {name} ({prompt!r}) {spec.help}; {where}: check the prompt and the value's place")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    first = lines[0] if lines else text.strip()
    return first if len(first) <= 80 else first[:79] + "…"


def _one(text: str) -> str:
    return " ".join(text.split())


def _where(line: int) -> str:
    return f"line {line}" if line else "line ?"


def render_review(books: list[tuple[str, DraftRunbook]]) -> str:
    """The review list of an import (runbooks with their source file), as Markdown."""
    out = ["# Import review", ""]
    for source, rb in books:
        n = figures(rb)
        out += [f"## {source} -> runbook `{rb.id}`", "",
                f"{n['steps']} steps ({n['run']} run, {n['dangerous']} needing a typed confirmation, "
                f"{n['messages']} messages, {n['conditions']} conditions), {n['inputs']} inputs, "
                f"severity {rb.severity or 'none'}; {n['review']} places to check.", "",
                "What became what:", ""]
        out += [f"- {_where(s.line)}: {s.action} `{s.id}` — {s.title}" + _flags(s) for s in rb.steps]
        out += ["", "Check by hand:", ""]
        out += [f"- {_where(c.line)} [{c.kind}] {c.text}" for c in checks(rb)] or ["- nothing"]
        out.append("")
    return "\n".join(out)


def _flags(step: DraftStep) -> str:
    flags = [f for f, on in (("dangerous", step.dangerous), ("interactive", step.interactive),
                             (f"on_no: {step.on_no}", bool(step.on_no))) if on]
    return f" ({', '.join(flags)})" if flags else ""
