"""`runbookctl import`: a Markdown playbook -> runbooks (YAML text that validates).

One document becomes one runbook (16.4): its sections, in order, are
consecutive steps, a section's title the title of its steps (prose kept in
a message titled with it); the id comes from the front matter's or the
document's title; the severity from front matter (`severity: P0`, or
critical/high/medium/low/warning/info) or the first heading or
`Severity:` line naming one; ids stay unique across the files of one import
(`taken`). With `split=True`, each heading that holds a procedure becomes a
runbook of its own:

Which headings become runbooks (split): every heading whose own content holds steps
(numbered items, checklists, code blocks, bullets under a procedure-like
heading or lead-in) becomes one runbook; sub-headings that name a phase
("Diagnosis", "Mitigation") belong to the runbook above them; a heading whose
sub-headings are all small (at most MERGE_MAX steps each, none nested further)
becomes one runbook holding them all. The id is the heading's slug, the title
its text; the severity comes from the heading or its parents ("P1",
"Severity 2" -> P1); parent headings give tags. Commands run behind `confirm`
with a 5m timeout, and are `dangerous: true` (a typed confirmation `--yes`
never gives) unless known to only read (readonly.py); placeholders in
commands become inputs (placeholders.py); Jinja delimiters in imported text are escaped so nothing is
evaluated; what needs a person's judgement (conditions, shell variables
passed between steps, commands that never end) becomes a TODO comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from runbookctl.importers.captures import ONE_LINE, captures
from runbookctl.importers.code import (
    WELL_KNOWN,
    RawStep,
    arithmetic_names,
    loosely_assigned,
    shell_names,
)
from runbookctl.importers.markdown import (
    Section,
    fix_mojibake,
    indent,
    one_line,
    parse_markdown,
    plain,
    slug,
    strip_symbols,
)
from runbookctl.importers.meta import document_severity, front_matter, level, severity_of
from runbookctl.importers.placeholders import DraftInput, command_template, escape_jinja
from runbookctl.importers.readonly import is_read_only
from runbookctl.importers.steps import Found, section_steps
from runbookctl.runbook.names import RESERVED_STEP_IDS, is_template_name

MERGE_MAX = 3  # sub-sections with at most this many steps each are merged into their parent
# Headings that name a phase of the procedure above them rather than a procedure of their own.
PHASE_TITLES = frozenset({
    "diagnosis", "diagnostics", "diagnose", "investigation", "investigate", "troubleshooting",
    "troubleshoot", "triage", "mitigation", "mitigations", "mitigate", "remediation", "remediate",
    "resolution", "resolve", "solution", "solutions", "fix", "fixes", "how to fix", "workaround",
    "workarounds", "recovery", "recover", "rollback", "roll back", "verification", "verify",
    "validation", "validate", "cleanup", "clean up", "prerequisites", "prerequisite",
    "preparation", "checks", "steps", "procedure", "next steps", "actions", "immediate actions",
    "response", "escalation", "follow up", "symptoms", "meaning", "impact", "overview",
    "background", "context", "notes", "summary",
})
_LONG_RUNNING = re.compile(
    r"\b(?:tail|logs)\b[^\n|]*\s-f\b|\bwatch\b|\bhtop\b|^\s*top\b|while\s+true|"
    r"^\s*ssh\s+\S+\s*$|\bnohup\b|\bsleep\s+\d{3,}", re.MULTILINE)
DEFAULT_TIMEOUT = "5m"
CONFIRM = "Run this?"


@dataclass(frozen=True)
class DraftStep:
    """A step ready to write: `text` is a template (escaped), ids final."""

    id: str
    action: str  # run | manual | message | confirm
    title: str
    text: str
    todos: tuple[str, ...] = ()
    shell: str | None = None
    dangerous: bool = False
    interactive: bool = False  # opens a session the operator types into (sessions.py)
    line: int = 0  # in the playbook
    origin: str = ""  # why a message: prose | warning | example | session
    on_no: str | None = None  # a confirm step: where a no goes (past the steps it guards)
    capture: str | None = None  # a run step: the variable its output goes to (captures.py)
    expect: str | None = None  # a run step: what its result must hold besides exit code 0


@dataclass(frozen=True)
class DraftRunbook:
    id: str
    title: str
    summary: str
    steps: tuple[DraftStep, ...]
    severity: str | None = None
    tags: tuple[str, ...] = ()
    inputs: tuple[DraftInput, ...] = ()
    todos: tuple[str, ...] = ()  # notes after the last step
    line: int = 0
    source: str = ""


def import_markdown(text: str, source: str, id_prefix: str = "", *, split: bool = False,
                    taken: set[str] | None = None) -> list[DraftRunbook]:
    """The runbook(s) a Markdown playbook holds, in document order; `taken`: ids already
    used in this import (other files, files already in the output folder), kept unique."""
    meta, body = front_matter(fix_mojibake(text.replace("\r\n", "\n")))
    root = parse_markdown(body, meta.get("title") or _humanize(Path(source).stem))
    taken = taken if taken is not None else set()
    context = _Context(source, slug(id_prefix, 24), taken, frozenset(shell_names(body)[0]))
    if split:
        runbooks = [(section, parts) for section, parts in plan(root)]
    else:
        runbooks = [(_document_section(root, meta), _subtree(root))]
    out = []
    for section, parts in runbooks:
        found = _gather(parts)
        # a runbook of prose alone (Meaning, Impact, Diagnosis as text) is still one to read
        # at run time; under --split only procedures make runbooks
        if any(s.origin != "prose" for s in found.steps) or (found.steps and not split):
            severity = severity_of(section) or level(meta.get("severity", "")) if split else \
                document_severity(meta, body)
            out.append(_runbook(section, found, context, severity))
    return out


@dataclass(frozen=True)
class _Context:
    source: str
    prefix: str
    taken: set[str]
    assigned: frozenset[str]  # a $VAR the document never sets is an input


def _document_section(root: Section, meta: dict[str, str]) -> Section:
    """The section whose title names the document, unless front matter says: a lone H1; a
    lone top heading of a lower level when nothing comes before it and it does not name a
    phase ("## Steps" under an intro is a section, "## Payments API errors" a title)."""
    if meta.get("title") or not root.children:
        return root
    top = min(k.level for k in root.children)
    tops = [k for k in root.children if k.level == top]
    if len(tops) == 1 and (top == 1 or (not root.blocks and not is_phase(tops[0])
                                        and not _NOT_A_TITLE.match(plain(tops[0].title)))):
        return Section(tops[0].title, 0, tops[0].line)
    return root


# A heading that opens a document without naming it: "## Contents", "## Step 1: drain".
_NOT_A_TITLE = re.compile(r"(?i)\s*(?:(?:table of )?contents|toc)\s*$|\s*(?:step\s*\d+\b|\d+[.)]\s)")


def _humanize(stem: str) -> str:
    words = re.sub(r"[_-]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Imported playbook"


# --- which sections become runbooks ------------------------------------------------


def plan(root: Section) -> list[tuple[Section, list[Section]]]:
    """(runbook section, the sections whose steps it holds), in document order."""
    out: list[tuple[Section, list[Section]]] = []
    _plan(root, out)
    return out


def _plan(section: Section, out: list[tuple[Section, list[Section]]]) -> None:
    # "## Diagnosis", "## Mitigation": phases of this heading's procedure, never runbooks alone
    phases = [s for k in section.children if is_phase(k) for s in _subtree(k)]
    own = [section, *phases]
    kids = [k for k in section.children if not is_phase(k) and _has_steps(k)]
    small = all(not any(_has_steps(g) for g in k.children) and
                _own_steps(k) <= MERGE_MAX for k in kids)
    has_own = any(_own_steps(s) for s in own)
    if kids and small and (has_own or len(kids) >= 2):
        out.append((section, [*own, *kids]))
        return
    if has_own:
        out.append((section, own))
    for kid in kids:
        _plan(kid, out)


def is_phase(section: Section) -> bool:
    if section.level < 2:  # a document titled "Troubleshooting" is a procedure of its own
        return False
    words = " ".join(re.findall(r"[a-z]+", strip_symbols(plain(section.title, links=False)).lower()))
    return words in PHASE_TITLES


def _subtree(section: Section) -> list[Section]:
    return [section, *(s for kid in section.children for s in _subtree(kid))]


def _has_steps(section: Section) -> bool:
    return bool(_own_steps(section)) or any(_has_steps(k) for k in section.children)


def _own_steps(section: Section) -> int:
    """How many steps a section's own blocks give, its prose (kept in messages) not counted."""
    return sum(1 for step in section_steps(section).steps if step.origin != "prose")


def _gather(parts: list[Section]) -> Found:
    """The steps of a runbook's sections, read with one Found (a session stays open across
    headings); each later section's title heads its steps."""
    found = Found()
    for i, part in enumerate(parts):
        seen = {id(step) for step in found.steps}
        section_steps(part, found)
        if not i or part.level <= 1:  # the document's own title heads nothing
            continue
        for step in found.steps:
            # a session's note names its session, wherever the session was opened
            if id(step) not in seen and step.title != found.heading and step.origin != "session":
                step.title = f"{found.heading}: {step.title}"
    return found


# --- building a runbook ------------------------------------------------------------


def _runbook(section: Section, found: Found, context: _Context, severity: str | None) -> DraftRunbook:
    title = strip_symbols(plain(section.title, links=False, code=False)) or "Imported playbook"
    rb_id = _unique(_join(context.prefix, slug(title) or "playbook"), context.taken)
    context.taken.add(rb_id)
    inputs: dict[str, DraftInput] = {}
    step_ids: set[str] = set()
    steps: list[DraftStep] = []
    set_by: dict[str, str] = {}  # shell variable -> the step that sets it
    captured = captures(found.steps, context.assigned)
    for index, raw in enumerate(found.steps):
        step_id = _unique(_step_slug(raw.title) or f"step-{len(steps) + 1}", step_ids)
        step_ids.add(step_id)
        capture = captured.get(index)
        step = _step(raw if capture is None else replace(raw, text=capture.command), step_id,
                     inputs, context.assigned)
        if capture is not None and step.action == "run":
            step = replace(step, capture=capture.name, expect=ONE_LINE,
                           todos=(*step.todos, capture.note()))
        if raw.action == "run":
            step = replace(step, todos=(*step.todos, *_variable_notes(step.text, step_id, set_by)))
        steps.append(step)
    for capture in captured.values():  # read from the capture, not asked before the run
        if capture.name in inputs and capture.replaces(inputs[capture.name].help):
            del inputs[capture.name]
    return DraftRunbook(
        id=rb_id, title=title, summary=_summary(found.prose, context.source, section.line),
        steps=tuple(_gates(steps, [raw.gate for raw in found.steps], step_ids)), severity=severity,
        tags=_tags(section), inputs=tuple(inputs.values()), todos=tuple(found.todos),
        line=section.line, source=context.source)


def _gates(steps: list[DraftStep], gates: list[int], step_ids: set[str]) -> list[DraftStep]:
    """A gate's no goes past the steps it guards: to the next step, or to a closing message."""
    out = list(steps)
    for i, covered in enumerate(gates):
        if not covered:
            continue
        after = i + covered + 1
        if after >= len(out):
            end_id = _unique("end-of-procedure", step_ids)
            step_ids.add(end_id)
            out.append(DraftStep(end_id, "message", "End of the procedure",
                                 "End of the imported procedure.", origin="end"))
        out[i] = replace(out[i], on_no=out[after].id)
    return out


def _variable_notes(code: str, step_id: str, set_by: dict[str, str]) -> list[str]:
    """Each step runs in a shell of its own: say so where a command relies on shell state."""
    assigned, used = shell_names(code)
    notes = []
    for name in sorted(used - assigned):
        if name in set_by:
            notes.append(f"${name} is set by step {set_by[name]}, but every step runs in its own "
                         f"shell: add `capture: {name}` there and write {{{{ {name} }}}} here")
    expected = sorted(n for n in used - assigned - set_by.keys() if n.isupper() and n not in WELL_KNOWN)
    if expected:
        names = ", ".join(f"${n}" for n in expected)
        notes.append(f"expects {names} in the environment: export before the run, or make inputs")
    for name in assigned:
        set_by.setdefault(name, step_id)
    return notes


def _join(prefix: str, name: str) -> str:
    return f"{prefix}-{name}" if prefix else name


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}-{n}" in taken:
        n += 1
    return f"{name}-{n}"


def _step_slug(title: str) -> str:
    name = slug(title, 40)
    return f"{name}-step" if name in RESERVED_STEP_IDS else name


def _tags(section: Section) -> tuple[str, ...]:
    parents = [s for s in reversed(section.ancestors()) if s.level > 1]
    names = [slug(re.sub(r"\(.*?\)", "", strip_symbols(s.title)), 30) for s in parents]
    return tuple(dict.fromkeys([*(n for n in names if n), "imported"]))


def _summary(prose: list[str], source: str, line: int) -> str:
    kept: list[str] = []
    size = 0
    for text in prose:
        if size + len(text) > 700:
            kept.append("…")
            break
        kept.append(text)
        size += len(text)
    where = f"Imported from {Path(source).name}" + (f" (line {line})" if line > 1 else "")
    note = f"{where} by runbookctl import: review every step and TODO note before relying on it."
    return "\n".join([*kept, note])


def _step(raw: RawStep, step_id: str, inputs: dict[str, DraftInput], assigned: frozenset[str]) -> DraftStep:
    todos = [f"condition in the playbook: {t} — add `when:` or `next:`, or drop this note"
             for t in raw.todos]
    if raw.action != "run":
        # a one-word message ending .md/.txt/.j2 would be read as a template file's name
        action = "manual" if raw.action == "message" and is_template_name(raw.text) else raw.action
        return DraftStep(step_id, action, raw.title, escape_jinja(raw.text), tuple(todos),
                         line=raw.line, origin=raw.origin)
    if _LONG_RUNNING.search(raw.text) and not raw.interactive:
        todos.append(f"this command may not end by itself (it follows output or waits); it is "
                     f"stopped at the {DEFAULT_TIMEOUT} timeout")
    # every step runs in a shell of its own: a $VAR set by another step is unset here too
    mine = dict(inputs)
    text = command_template(raw.text, mine, assigned & frozenset(shell_names(raw.text)[0]))
    # a name another step sets, read bare in $(( )) here: unset, it counts as 0 (--replicas=1)
    unset = (arithmetic_names(raw.text) & assigned) - loosely_assigned(raw.text) - WELL_KNOWN
    refused = _refused(text, raw.lang) or (
        f"it computes with {', '.join(sorted(unset))}, set by another step, and every step "
        f"runs in a shell of its own" if unset else "")
    if refused:  # a value cannot go there safely (arithmetic, `read` names…): the operator types it
        note = (f"Run by hand, filling in the placeholders: runbookctl cannot put a value safely "
                f"where this command needs one ({refused}).\n\n{indent(raw.text)}")
        return DraftStep(step_id, "manual", raw.title, escape_jinja(note), tuple(todos),
                         line=raw.line, origin="by-hand")
    inputs.update(mine)
    # safe by default: only a command known to read runs behind a plain confirmation
    dangerous = not is_read_only(_as_words(text))
    return DraftStep(step_id, "run", raw.title, text, tuple(todos), shell=raw.lang or None,
                     dangerous=dangerous, interactive=raw.interactive, line=raw.line)


def _refused(template: str, shell: str) -> str:
    """Why `validate` would refuse a value of this command template ("" when it would not)."""
    from runbookctl.check.commands import command_problems
    from runbookctl.check.sources import Source
    from runbookctl.positions import Pos

    source = Source(template, Pos("import", 1, 1), "run", command=True, shell=shell)
    problems = command_problems(source, template, shell)
    return problems[0].message.split(": ", 1)[-1].split(" (")[0] if problems else ""


def _as_words(template: str) -> str:
    """A command template read as the shell would see it once filled in: inputs as words."""
    text = re.sub(r"\{%-? ?(?:end)?raw ?-?%\}", "", template)
    return re.sub(r"\{\{.*?\}\}", "VALUE", text)


# --- templates: placeholders and escaping ------------------------------------------


def step_counts(rb: DraftRunbook) -> dict[str, int]:
    """How many steps of each action, for the command's summary line."""
    counts: dict[str, int] = {}
    for step in rb.steps:
        counts[step.action] = counts.get(step.action, 0) + 1
    return counts


def todo_count(rb: DraftRunbook) -> int:
    return len(rb.todos) + sum(len(s.todos) for s in rb.steps)


__all__ = ["DraftInput", "DraftRunbook", "DraftStep", "command_template", "escape_jinja",
           "import_markdown", "one_line", "plan", "severity_of", "step_counts", "todo_count"]
