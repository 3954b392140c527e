"""The blocks of one Markdown section -> draft steps (before ids, inputs and escaping).

Numbered items and checklists become `manual` steps (nested bullets folded
into the text); shell code blocks, and items that end in an inline command,
become `run` steps (code.py); plain-text blocks (status-page and e-mail
templates) become `message` steps; other code (SQL, YAML...) is shown in a
`manual` step. Bullets count as steps only under a procedure-like heading or
lead-in. Nothing the operator must see is lost (16.2): prose, tables and
links become a `message` step titled with the section, where they stand;
warnings, cautions, notes and "do not" lines a message of their own; a block
introduced as an example or as output a message, never a command; a block
that opens a session (sessions.py) an `interactive` step, with what to type
there shown in a message before it. "If X, do Y" becomes a `confirm` gate
whose no skips Y (conditions.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runbookctl.importers.code import RawStep, code_step, code_title, executable_lines, is_command
from runbookctl.importers.conditions import Condition, conditional, parse_condition
from runbookctl.importers.markdown import (
    EXAMPLE_RE,
    WARNING_RE,
    Block,
    Item,
    Section,
    indent,
    one_line,
    plain,
    strip_symbols,
    title,
    warning_title,
)
from runbookctl.importers.placeholders import has_placeholder
from runbookctl.importers.sessions import add_to_note, from_workstation, session_note, session_steps

PROCEDURE_RE = re.compile(
    r"\b(procedures?|steps?|actions?|checklists?|runbooks?|playbooks?|respon(?:se|d)|"
    r"resol(?:ution|ve)|mitigat\w*|remediat\w*|recover\w*|instructions?|how to|to ?do|"
    r"tasks?|workflow|escalat\w*|triage|rollback|restore|fix|troubleshoot\w*|diagnos\w*|"
    r"investigat\w*|checks?)\b", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^(?:\*\*[^*]{1,40}\*\*[^:]{0,25}|`[^`]{1,40}`|[\w /&'+-]{1,30}):\s*\S")
_LINK_ITEM = re.compile(r"^\**\[[^\]]+\]\([^)]*\)")
_PLACEHOLDER = re.compile(r"\[[^\]\[]{1,60}\](?!\()")
_INLINE_CMD = re.compile(r"^(?P<label>.*?)[\s:—–-]*`(?P<cmd>[^`]+)`[\s.]*$")
_LEAVES = re.compile(r"^\s*(?:exit|logout|\\q|quit)\s*;?\s*$", re.MULTILINE | re.IGNORECASE)


@dataclass
class Found:
    """What the sections read so far yield: steps, summary lines, notes with no step yet.

    One Found is shared by the sections of a runbook, so a session opened
    under one heading is still open under the next (sessions.py).
    """

    steps: list[RawStep] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)  # for the runbook's summary
    todos: list[str] = field(default_factory=list)
    pending: list[tuple[int, str]] = field(default_factory=list)  # prose not yet in a message
    heading: str = ""  # the section being read: the title of its prose's message
    session: int = -1  # the open session's interactive step, -1: none

    def add(self, step: RawStep) -> None:
        self.flush()
        if step.action == "run":
            step = self._comments_out(step)
        step.todos[:0] = self.todos  # notes read before a step go above it
        self.todos = []
        if step.action == "run" and self._joins_session(step):
            self._into_session(step)
            return
        if step.action == "run":
            self.session = -1  # run here: the session is over
        self.steps += session_steps(step)
        if self.steps and self.steps[-1].interactive:
            self.session = len(self.steps) - 1

    def _comments_out(self, step: RawStep) -> RawStep:
        """Comment lines holding a placeholder or a commented-out command: shown before the
        command, not left in it (nothing fills them in; they are for the operator to read)."""
        kept, moved = [], []
        for line in step.text.split("\n"):
            bare = line.strip()
            body = bare[1:].strip() if bare.startswith("#") and not bare.startswith("#!") else None
            if body is not None and (has_placeholder(body) or is_command(body)):
                moved.append(body)
            else:
                kept.append(line)
        if moved and executable_lines("\n".join(kept)):
            self.steps.append(RawStep("message", f"Also in the playbook (not run): {step.title}".rstrip(": "),
                                      "\n".join(moved), line=step.line, origin="commented"))
            step.text = "\n".join(kept).strip("\n")
        return step

    def _joins_session(self, step: RawStep) -> bool:
        """Typed in the open session, unless it starts with a program of one's own machine."""
        return self.session >= 0 and not from_workstation(step.text)

    def _into_session(self, step: RawStep) -> None:
        opener = self.steps[self.session]
        note = self.steps[self.session - 1] if self.session else None
        if note is None or note.origin != "session":
            note = session_note(opener.text, "", opener.line)
            self.steps.insert(self.session, note)
            self.session += 1
        add_to_note(note, opener.text, step)
        if _LEAVES.search(step.text):
            self.session = -1

    def keep(self, line: int, text: str) -> None:
        """Prose the operator reads at run time: in a message before the next step."""
        if text.strip():
            self.pending.append((line, text))

    def flush(self) -> None:
        if self.pending:
            line, text = self.pending[0][0], "\n\n".join(t for _, t in self.pending)
            self.pending = []
            self.steps.append(RawStep("message", self.heading, text, line=line, origin="prose"))

    def warn(self, text: str, line: int = 0) -> None:
        """A warning the operator sees right before the steps after it (a message step)."""
        self.add(RawStep("message", warning_title(text), text, line=line, origin="warning"))


def section_steps(section: Section, found: Found | None = None) -> Found:
    """The draft steps (added to `found`), summary prose and TODO notes of a section's blocks."""
    found = found if found is not None else Found()
    found.flush()
    found.heading = strip_symbols(plain(section.title, links=False, code=False)).rstrip(":") or section.title
    start = len(found.steps)
    heading_context = _procedural(section.title) or (
        section.parent is not None and section.parent.level > 1 and _procedural(section.parent.title))
    label = ""
    gate: RawStep | None = None
    warning = bool(WARNING_RE.search(section.title))  # under "## Warnings" every line is one
    for block in section.blocks:
        if block.kind == "para":
            if gate is not None:  # "If X:" then prose: no block to guard, the sentence is shown
                _close_gate(found, gate, len(found.steps))
            label, gate = _paragraph(block, found, warning)
            continue
        before = len(found.steps)
        if block.kind == "list":
            # a lead-in ("Examples:", "**Response Procedure:**") says more than the heading
            _list(block, label, _procedural(label) if label else heading_context, found, warning)
        elif block.kind == "code":
            _code(block, label, found)
        elif block.kind == "table":
            found.keep(block.line, block.text)
        if gate is not None:
            _close_gate(found, gate, before)
        label, gate = "", None
    if gate is not None:
        _close_gate(found, gate, len(found.steps))
    found.flush()
    own = found.steps[start:]
    if len(own) == 1 and not own[0].title:
        own[0].title = found.heading
    for step in own:
        step.title = step.title or code_title(step.text) or found.heading
    return found


def _code(block: Block, label: str, found: Found) -> None:
    lead = label or _lead_in(found)
    if label and found.pending and plain(found.pending[-1][1]).rstrip(": ") == label == title(label):
        found.pending.pop()  # the command's title says it all
    step = code_step(block.text, block.lang, lead)
    if step is not None and step.action == "run" and EXAMPLE_RE.search(lead):
        step = RawStep("message", step.title, block.text.strip("\n"), origin="example")  # never run
    if step is not None:
        step.line = block.line
        found.add(step)


def _close_gate(found: Found, gate: RawStep, before: int) -> None:
    """The gate asked before the steps its block gave; none (a session took them): prose."""
    made = len(found.steps) - before
    if made <= 0:
        found.keep(gate.line, gate.inside)  # the sentence, unless a warning already showed it
        return
    gate.gate = made
    found.steps.insert(before, gate)


def _procedural(text: str) -> bool:
    return bool(PROCEDURE_RE.search(text))


def _paragraph(block: Block, found: Found, warning: bool = False) -> tuple[str, RawStep | None]:
    """(lead-in label, a gate for the next block); prose is kept, warnings shown."""
    md, text = block.text, plain(block.text)
    cond = parse_condition(text)
    if warning or WARNING_RE.search(text):
        found.warn(text, block.line)  # shown as it stands; a block it introduces still asked
        if cond is not None and cond.introduces:
            return text.rstrip(":").strip(), RawStep("confirm", title(cond.question), cond.question,
                                                      line=block.line)
    elif cond is not None and cond.introduces:
        found.flush()
        return text.rstrip(":").strip(), _gate(cond, text, block.line)
    elif cond is not None:
        _gated(found, cond, text, block.line)
    elif not _is_label(md):
        found.prose.append(text)
        found.keep(block.line, text)
    else:  # a lead-in ("Steps:"): shown, unless the step after it takes it whole as its title
        found.keep(block.line, text)
        return text.rstrip(":").strip(), None
    return "", None


def _gate(cond: Condition, text: str, line: int) -> RawStep:
    """A confirm step asking the condition (the whole sentence shown when it says more)."""
    # "If X:" is the title, so every word of it is shown; what it adds ("run:") in the question
    question = cond.question if not cond.rest else f"{text.rstrip(':')}\n{cond.question}"
    gate = RawStep("confirm", title(text), question, line=line)
    gate.inside = text  # the sentence it came from
    return gate


def _gated(found: Found, cond: Condition, text: str, line: int) -> None:
    """ "If X, do Y." -> a gate asking X? and a manual step Y that a no skips."""
    gate = RawStep("confirm", title(cond.question), cond.question, line=line, gate=1)
    found.add(gate)
    found.add(RawStep("manual", title(cond.rest), text, line=line))  # the whole sentence


def _lead_in(found: Found) -> str:
    """A short sentence just before a code block ("Look at the events.") is its title,
    no longer also shown as a message when the title holds all of it."""
    if not found.prose or len(found.prose[-1]) > 160 or "\n" in found.prose[-1].strip() or \
            not found.pending or found.pending[-1][1] != found.prose[-1]:  # not just before it
        return ""
    lead = found.prose[-1].rstrip(":. ")
    if title(lead) == lead:
        found.pending.pop()
        found.prose.pop()
    return lead


def _is_label(md: str) -> bool:
    text = plain(md)
    if "\n" in text or len(text) > 100:
        return False
    return text.endswith(":") or (md.startswith("**") and md.rstrip(":").endswith("**"))


def _list(block: Block, label: str, procedural: bool, found: Found, warning: bool = False) -> None:
    for item in block.items:
        # a warning of its own, unless what is nested under it (commands…) makes it a step
        if not item.blocks and (warning or (WARNING_RE.search(plain(item.text)) and not block.ordered)):
            found.warn(plain(item.text), item.line)
            continue
        code = any(b.kind == "code" for b in item.blocks)
        steps = block.ordered or item.checkbox or code or (procedural and not _reference(item.text))
        if _fill_in(item.text) or not steps:
            lines = ["- " + plain(item.text), *fold_blocks(item.blocks, 1)]
            found.prose.append(lines[0])
            found.keep(item.line, "\n".join(lines))
            continue
        context = label if (label and not _procedural(label) and not block.ordered) else ""
        for step in item_steps(item, context):
            found.add(step)


def _fill_in(md: str) -> bool:
    """A template line to fill in ("[Owner] - [Due date]", "[X] (+[Y]%)"), not an instruction."""
    rest = _PLACEHOLDER.sub("", md)
    return (len(_PLACEHOLDER.findall(md)) >= 2 or not re.search(r"[^\W\d_]{2,}", rest)
            or bool(re.match(r"^\**\[[^\]]*\](?!\()", md)))


def _reference(md: str) -> bool:
    """A link or `**Key**: value` bullet: reference material, not a step."""
    return bool(_LINK_ITEM.match(md) or _KEY_VALUE.match(md))


def item_steps(item: Item, context: str = "") -> list[RawStep]:
    """A list item -> a manual step (nested bullets folded in) and/or run steps; an item
    "If X, do Y" gets a gate asking X? before them."""
    steps = _item_steps(item, context)
    cond = parse_condition(plain(item.text))
    if cond is not None and steps and (cond.introduces or cond.rest):
        # the item's own step shows its text: the gate asks only the question
        steps.insert(0, RawStep("confirm", title(cond.question), cond.question, line=item.line,
                                gate=len(steps)))
    for step in steps:
        step.line = step.line or item.line
        if cond is not None and steps[0].action == "confirm":  # asked, no longer a note
            step.todos = [t for t in step.todos if t != one_line(plain(item.text))]
    return steps


def _item_steps(item: Item, context: str) -> list[RawStep]:
    text = plain(item.text)
    heading = title(item.text)
    inline = _INLINE_CMD.match(item.text)
    runs: list[RawStep] = []
    folded: list[str] = []
    prose: list[str] = [text]  # what may hold conditions (code does not count)
    for block in item.blocks:
        if block.kind == "code":
            step = code_step(block.text, block.lang, heading)
            if step is not None and step.action in ("run", "message"):
                runs.append(step)
                continue
            folded.append(indent(block.text.rstrip("\n")))
        elif block.kind == "list":
            lines = fold_list(block, 0)
            folded += lines
            prose += lines
        elif block.text:
            folded.append(plain(block.text))
            prose.append(folded[-1])
    todos = [one_line(t) for t in prose if conditional(t)]
    if inline and is_command(inline.group("cmd")) and not runs and not folded:
        label = plain(inline.group("label")).rstrip(":—– -") or inline.group("cmd")
        return [RawStep("run", title(label), inline.group("cmd").strip(), todos=todos)]
    if runs and not folded and (not text or text.endswith(":") or len(text) < 60):
        runs[0].todos[:0] = todos
        if text.rstrip(": ") == heading or not text:
            return runs
        return [RawStep("message", heading, text, origin="prose"), *runs]  # all of it shown
    body = f"{context}: {text}" if context else text
    manual = RawStep("manual", heading, "\n".join([body, *folded]).strip(), todos=todos)
    return [manual, *runs] if manual.text else runs


def fold_blocks(blocks: tuple[Block, ...], depth: int) -> list[str]:
    """An item's nested blocks as indented text lines (nothing dropped)."""
    out: list[str] = []
    for sub in blocks:
        if sub.kind == "list":
            out += fold_list(sub, depth)
        elif sub.text:
            out.append(indent(sub.text.rstrip("\n"), depth))
    return out


def fold_list(block: Block, depth: int) -> list[str]:
    out: list[str] = []
    for n, item in enumerate(block.items, 1):
        mark = f"{n}." if block.ordered else ("- [ ]" if item.checkbox else "-")
        out.append(f"{'  ' * depth}{mark} {plain(item.text)}")
        out += fold_blocks(item.blocks, depth + 1)
    return out


