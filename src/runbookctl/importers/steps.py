"""The blocks of one Markdown section -> draft steps (before ids, inputs and escaping).

Numbered items and checklists become `manual` steps (nested bullets folded
into the text); shell code blocks, and items that end in an inline command,
become `run` steps; plain-text blocks (status-page and e-mail templates)
become `message` steps; other code (SQL, YAML...) is shown in a `manual` step.
Bullets count as steps only under a procedure-like heading or lead-in.
Prose and key/value bullets go to the runbook's summary; conditions ("If X:",
"(if ...)") become TODO notes. Nothing the operator must see is lost (16.2):
warnings, cautions, notes and "do not" lines become `message` steps where
they stand; a block introduced as an example or as output becomes a message,
never a command; a block that opens a session (sessions.py) becomes an
`interactive` step, with what to type there shown in a message before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runbookctl.importers.markdown import EXAMPLE_RE, WARNING_RE, Block, Item, Section, plain, warning_title
from runbookctl.importers.sessions import split_session

SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh", "ksh", "console", "shell-session",
                         "shellsession", "terminal", "shellscript"})
TRANSCRIPT_LANGS = frozenset({"console", "terminal", "shell-session", "shellsession"})
TEXT_LANGS = frozenset({"", "text", "txt", "plain", "plaintext", "markdown", "md", "none", "email"})
# First words of lines that are commands, for code blocks without a language and inline code.
KNOWN_COMMANDS = frozenset({
    "apt", "apt-get", "aws", "az", "bash", "bc", "brew", "cat", "cd", "chmod", "chown", "cp",
    "crontab", "curl", "date", "dd", "df", "dig", "docker", "docker-compose", "du", "echo", "env",
    "export", "find", "gcloud", "git", "grep", "gunzip", "gzip", "head", "helm", "host", "htop",
    "iostat", "journalctl", "jq", "kill", "kubectl", "less", "ln", "ls", "lsof", "make", "mkdir",
    "mv", "mysql", "netstat", "nginx", "nohup", "nslookup", "openssl", "pg_dump", "pg_isready",
    "pg_restore", "pgrep", "ping", "pip", "pkill", "podman", "ps", "psql", "python", "python3",
    "redis-cli", "rm", "rsync", "scp", "sed", "service", "sh", "sleep", "ss", "ssh", "stripe",
    "sudo", "systemctl", "tail", "tar", "terraform", "timeout", "top", "touch", "traceroute",
    "uptime", "vmstat", "watch", "wc", "wget", "which", "yarn", "npm", "npx", "node", "nc", "tmux",
    "screen", "free", "mongo", "mongosh", "ansible", "ansible-playbook", "heroku", "fly", "flyctl",
    "vercel", "supabase", "celery", "gunicorn", "uv", "poetry"
})
PROCEDURE_RE = re.compile(
    r"\b(procedures?|steps?|actions?|checklists?|runbooks?|playbooks?|respon(?:se|d)|"
    r"resol(?:ution|ve)|mitigat\w*|remediat\w*|recover\w*|instructions?|how to|to ?do|"
    r"tasks?|workflow|escalat\w*|triage|rollback|restore|fix|troubleshoot\w*|diagnos\w*|"
    r"investigat\w*|checks?)\b", re.IGNORECASE)
# "If X:", "(only if ...)", "..., if it blocks", "unless ..."; not "check if X" (a question).
_CONDITION = re.compile(
    r"(?<!check )(?<!see )(?<!verify )(?<!confirm )(?<!ask )(?<!test )(?<!determine )"
    r"(?<!whether )(?<!as )\b(?:if|unless)\b|^\W*when\b", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^(?:\*\*[^*]{1,40}\*\*[^:]{0,25}|`[^`]{1,40}`|[\w /&'+-]{1,30}):\s*\S")
_LINK_ITEM = re.compile(r"^\**\[[^\]]+\]\([^)]*\)")
_PLACEHOLDER = re.compile(r"\[[^\]\[]{1,60}\](?!\()")
_INLINE_CMD = re.compile(r"^(?P<label>.*?)[\s:—–-]*`(?P<cmd>[^`]+)`[\s.]*$")


@dataclass
class RawStep:
    """A step as read from the Markdown: `text` is plain text, not yet a template."""

    action: str  # run | manual | message
    title: str
    text: str
    lang: str = ""
    todos: list[str] = field(default_factory=list)
    interactive: bool = False
    inside: str = ""  # a session note: the commands to type in the session


@dataclass
class Found:
    """What one section yields: steps, summary lines, and notes with no step to go on."""

    steps: list[RawStep] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)

    def add(self, step: RawStep) -> None:
        step.todos[:0] = self.todos  # notes read before a step go above it
        self.todos = []
        if step.action == "run" and self.steps and self.steps[-1].interactive:
            self._into_session(step)  # later blocks of the section are typed in that session
            return
        self.steps += session_steps(step)

    def _into_session(self, step: RawStep) -> None:
        session = self.steps[-1]
        lines = f"# {step.title}\n{step.text}" if step.title else step.text
        shown = self.steps[-2] if len(self.steps) > 1 else None
        if shown is None or shown.action != "message" or not shown.title.startswith("In the session"):
            shown = _session_note(session.text, "")
            self.steps.insert(len(self.steps) - 1, shown)
        shown.text = _session_text(session.text, f"{shown.inside}\n{lines}".strip("\n"))
        shown.inside = f"{shown.inside}\n{lines}".strip("\n")

    def warn(self, text: str) -> None:
        """A warning the operator sees right before the steps after it (a message step)."""
        self.add(RawStep("message", warning_title(text), text))


def _session_note(opener: str, inside: str) -> RawStep:
    note = RawStep("message", f"In the session: {title(opener, 50)}", _session_text(opener, inside))
    note.inside = inside
    return note


def _session_text(opener: str, inside: str) -> str:
    return (f"The next step opens a session ({opener}). Type there:\n\n{_indent(inside)}\n\n"
            f"then leave the session to go on.")


def session_steps(step: RawStep) -> list[RawStep]:
    """A run step that opens a session: local part, what to type there, the interactive step."""
    split = split_session(step.text) if step.action == "run" else None
    if split is None:
        return [step]
    out: list[RawStep] = []
    if executable_lines(split.before):
        out.append(RawStep("run", step.title, split.before, step.lang, step.todos))
    if split.inside.strip():
        out.append(_session_note(split.opener, split.inside))
    local = bool(out) and out[0].action == "run"
    out.append(RawStep("run", f"Session: {title(split.opener, 55)}" if local else step.title,
                       split.opener, step.lang, [] if local else step.todos, interactive=True))
    return out


def section_steps(section: Section) -> Found:
    """The draft steps, summary prose and pending TODO notes of a section's own blocks."""
    found = Found()
    heading_context = _procedural(section.title) or (
        section.parent is not None and section.parent.level > 1 and _procedural(section.parent.title))
    label = ""
    warning = bool(WARNING_RE.search(section.title))  # under "## Warnings" every line is one
    for block in section.blocks:
        if block.kind == "para":
            label = _paragraph(block.text, found, warning)
            continue
        if block.kind == "list":
            # a lead-in ("Examples:", "**Response Procedure:**") says more than the heading
            _list(block, label, _procedural(label) if label else heading_context, found, warning)
        elif block.kind == "code":
            lead = label or _lead_in(found)
            step = code_step(block.text, block.lang, lead)
            if step is not None and step.action == "run" and EXAMPLE_RE.search(lead):
                step = RawStep("message", step.title, block.text.strip("\n"))  # shown, never run
            if step is not None:
                found.add(step)
        elif block.kind == "table" and found.steps:
            found.add(RawStep("message", "Reference", block.text))
        label = ""
    if len(found.steps) == 1 and not found.steps[0].title:
        found.steps[0].title = section.title
    for step in found.steps:
        step.title = step.title or _code_title(step.text) or section.title
    return found


def _procedural(text: str) -> bool:
    return bool(PROCEDURE_RE.search(text))


def _paragraph(md: str, found: Found, warning: bool = False) -> str:
    """A lead-in label ("**Usage:**") is returned; prose and conditions are recorded."""
    text = plain(md)
    if warning or WARNING_RE.search(text):
        found.warn(text)
    elif conditional(text):
        found.todos.append(one_line(text))
    elif not _is_label(md):
        found.prose.append(text)
    return text.rstrip(":").strip() if _is_label(md) else ""


def _lead_in(found: Found) -> str:
    """A short sentence just before a code block ("Look at the events.") is its title."""
    if found.prose and len(found.prose[-1]) <= 160 and "\n" not in found.prose[-1].strip():
        return found.prose.pop().rstrip(":. ")
    return ""


def _is_label(md: str) -> bool:
    text = plain(md)
    if "\n" in text or len(text) > 100:
        return False
    return text.endswith(":") or (md.startswith("**") and md.rstrip(":").endswith("**"))


def conditional(text: str) -> bool:
    return bool(_CONDITION.search(text))


def one_line(text: str, limit: int = 160) -> str:
    flat = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", " ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _list(block: Block, label: str, procedural: bool, found: Found, warning: bool = False) -> None:
    for item in block.items:
        if warning or (WARNING_RE.search(plain(item.text)) and not item.blocks and not block.ordered):
            found.warn(plain(item.text))
            continue
        if _fill_in(item.text):
            continue
        if block.ordered or item.checkbox or (procedural and not _reference(item.text)):
            context = label if (label and not _procedural(label) and not block.ordered) else ""
            for step in item_steps(item, context):
                found.add(step)
        else:
            found.prose.append("- " + plain(item.text))


def _fill_in(md: str) -> bool:
    """A template line to fill in ("[Owner] - [Due date]", "[X] (+[Y]%)"), not an instruction."""
    rest = _PLACEHOLDER.sub("", md)
    return (len(_PLACEHOLDER.findall(md)) >= 2 or not re.search(r"[^\W\d_]{2,}", rest)
            or bool(re.match(r"^\**\[[^\]]*\](?!\()", md)))


def _reference(md: str) -> bool:
    """A link or `**Key**: value` bullet: reference material, not a step."""
    return bool(_LINK_ITEM.match(md) or _KEY_VALUE.match(md))


def item_steps(item: Item, context: str = "") -> list[RawStep]:
    """A list item -> a manual step (nested bullets folded in) and/or run steps."""
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
            folded.append(_indent(block.text.rstrip("\n")))
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
        return runs
    body = f"{context}: {text}" if context else text
    manual = RawStep("manual", heading, "\n".join([body, *folded]).strip(), todos=todos)
    return [manual, *runs] if manual.text else runs


def fold_list(block: Block, depth: int) -> list[str]:
    out: list[str] = []
    for n, item in enumerate(block.items, 1):
        mark = f"{n}." if block.ordered else ("- [ ]" if item.checkbox else "-")
        out.append(f"{'  ' * depth}{mark} {plain(item.text)}")
        for sub in item.blocks:
            if sub.kind == "list":
                out += fold_list(sub, depth + 1)
            elif sub.text:
                out.append(_indent(sub.text.rstrip("\n"), depth + 1))
    return out


def _indent(text: str, depth: int = 1) -> str:
    return "\n".join("  " * depth + line if line else line for line in text.splitlines())


def title(text: str, limit: int = 70) -> str:
    """A short step title: a leading bold part or `Label:` prefix, else the first sentence."""
    flat = " ".join(text.split())
    bold = re.match(r"^\*\*(.+?)\*\*", flat)
    if bold:
        flat = bold.group(1)
    else:
        head = re.match(r"^([^:`()]{3,60}):\s", flat)
        if head and len(head.group(1).split()) <= 8:
            flat = head.group(1)
    flat = plain(flat, links=False).rstrip(":").strip()
    flat = re.split(r"(?<=[a-z0-9)])\. ", flat)[0].rstrip(".")
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-") + "…"


# --- code -------------------------------------------------------------------------


def code_step(code: str, lang: str, label: str) -> RawStep | None:
    """A code block -> a run step (shell), a message (plain text) or a manual step (other code)."""
    code = "\n".join(line.rstrip() for line in code.strip("\n").splitlines())
    if not code.strip():
        return None
    if lang in TRANSCRIPT_LANGS:  # `console` blocks hold PromQL and output too: need a prompt
        shellish = has_prompts(code) or looks_like_shell(code)
    else:
        shellish = lang in SHELL_LANGS or (lang in TEXT_LANGS and looks_like_shell(code))
    if shellish:
        commands = _strip_prompts(code)
        if not executable_lines(commands):  # only comments: something to read, not to run
            notes = "\n".join(re.sub(r"^#+ ?", "", line) for line in commands.splitlines()).strip()
            return RawStep("manual", title(label) if label else "", notes) if notes else None
        shell = "bash" if lang == "bash" or commands.startswith("#!/bin/bash") or \
            commands.startswith("#!/usr/bin/env bash") else ""
        return RawStep("run", title(label) if label else "", commands, lang=shell)
    if lang in TEXT_LANGS or lang in TRANSCRIPT_LANGS:  # example output, a text to send
        return RawStep("message", title(label) if label else "Message", code)
    what = lang.upper() if len(lang) <= 4 else lang.capitalize()
    lead = f"{label}:" if label else f"Use this {what}:"
    return RawStep("manual", title(label) if label else f"{what} snippet", f"{lead}\n\n{_indent(code)}")


_PROMPT = re.compile(r"^(?:\$|[\w.-]+(?:@[\w.-]+)?(?::[~\w/.-]*)?\$|\[[^\]]+\][$#]|PS [^>]*>)\s+")


def _strip_prompts(code: str) -> str:
    """A console transcript (`$ cmd` lines, `\\`-continued, and their output) -> the commands."""
    lines = code.splitlines()
    if not any(_PROMPT.match(line) for line in lines):
        return code
    out: list[str] = []
    continued = False
    for line in lines:
        prompt = _PROMPT.match(line)
        if prompt or continued:
            out.append(line[prompt.end():] if prompt else line)
            continued = line.rstrip().endswith("\\")
    return "\n".join(out)


def has_prompts(code: str) -> bool:
    return any(_PROMPT.match(line) for line in code.splitlines())


def executable_lines(code: str) -> list[str]:
    return [s for s in (line.strip() for line in code.splitlines()) if s and not s.startswith("#")]


def is_command(line: str) -> bool:
    """Whether a line starts like a shell command: a known program, a path, an assignment."""
    text = line.strip()
    text = text[2:] if text.startswith("$ ") else text
    found = re.match(r"^(?:sudo\s+(?:-\S+\s+)*)?([A-Za-z0-9_./-]+)(=?)", text)
    if not found:
        return False
    word, assign = found.groups()
    if assign:
        return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word))
    return word in KNOWN_COMMANDS or word.startswith(("./", "/", "~/")) or \
        word in ("if", "for", "while", "set", "source", ".")


def looks_like_shell(code: str) -> bool:
    lines = executable_lines(_strip_prompts(code))
    if not lines:
        return code.lstrip().startswith("#!")
    hits = sum(1 for line in lines if is_command(line))
    return is_command(lines[0]) and hits * 2 >= len(lines)


def _code_title(code: str) -> str:
    """A title for a command without one: its first comment, else its first command."""
    for line in code.splitlines():
        s = line.strip()
        if s.startswith("#!") or not s:
            continue
        return title(s.lstrip("# ").strip() if s.startswith("#") else s)
    return ""


_ASSIGN = re.compile(r"(?:^|[;&|(]\s*)(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)=", re.MULTILINE)
_BINDS = re.compile(r"\b(?:for|read(?:\s+-\w+)*)\s+([A-Za-z_]\w*)")
_USE = re.compile(r"\$\{?([A-Za-z_]\w*)")
# Variables every shell or login has: using them needs no note.
WELL_KNOWN = frozenset({
    "HOME", "PATH", "USER", "PWD", "OLDPWD", "SHELL", "HOSTNAME", "TMPDIR", "LANG", "TERM",
    "UID", "EUID", "RANDOM", "SECONDS", "LINENO", "IFS", "PPID", "REPLY", "OPTARG", "OPTIND",
    "LOGNAME", "EDITOR", "PAGER", "KUBECONFIG", "BASH_SOURCE", "BASH_VERSION", "HOSTTYPE",
})


def shell_names(code: str) -> tuple[set[str], set[str]]:
    """The variables a command sets and the ones it reads (outside comments and '...')."""
    body = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("#"))
    unquoted = re.sub(r"'[^'\n]*'", "''", body)
    assigned = set(_ASSIGN.findall(body)) | set(_BINDS.findall(body))
    return assigned, set(_USE.findall(unquoted))
