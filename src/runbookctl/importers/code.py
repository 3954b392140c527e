"""Code blocks of an imported playbook -> draft steps, and how shell text is read.

A shell block (or a text block that looks like commands) becomes a `run`
step, its console prompts and output dropped; a plain-text block a `message`
(an e-mail, a status-page text); other code (SQL, YAML...) a `manual` step
showing it. Also what the importer knows about shell text: which lines start
like a command, the variables a command sets and reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runbookctl.importers.markdown import indent, title

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
@dataclass
class RawStep:
    """A step as read from the Markdown: `text` is plain text, not yet a template."""

    action: str  # run | manual | message | confirm
    title: str
    text: str
    lang: str = ""
    todos: list[str] = field(default_factory=list)
    interactive: bool = False
    inside: str = ""  # a session note: what to type in the session; a gate: its sentence
    line: int = 0  # where in the playbook it comes from (1-based; 0: not known)
    gate: int = 0  # a confirm step: how many steps after it a "no" skips
    origin: str = ""  # prose | warning | example | session: why a message (the review list)


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
        return RawStep("message", title(label) if label else "Message", code, origin="example")
    what = lang.upper() if len(lang) <= 4 else lang.capitalize()
    lead = f"{label}:" if label else f"Use this {what}:"
    return RawStep("manual", title(label) if label else f"{what} snippet", f"{lead}\n\n{indent(code)}")


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


def code_title(code: str) -> str:
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
    """The variables a command sets and the ones it reads (outside comments and '...'),
    a bare name in arithmetic included: `$((COUNT + 1))` reads COUNT."""
    body = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("#"))
    unquoted = re.sub(r"'[^'\n]*'", "''", body)
    assigned = set(_ASSIGN.findall(body)) | set(_BINDS.findall(body))
    return assigned, set(_USE.findall(unquoted)) | arithmetic_names(unquoted)


def arithmetic_names(code: str) -> set[str]:
    """Variables read by name in `$(( ))`, where an unset one silently counts as 0 (not in
    comments, '…' text or heredocs; a `$(command)` inside and `$NAME` are not bare)."""
    names: set[str] = set()
    for expr in _arithmetic(_as_read(code)):
        while True:  # innermost command substitutions first, until none is left
            stripped = re.sub(r"\$\([^()]*\)|\$\{[^}]*\}|\$\w+|\"[^\"]*\"", " ", expr)
            if stripped == expr:
                break
            expr = stripped
        names |= set(re.findall(r"(?<![\w$#.])[A-Za-z_]\w*", expr))
    return names


def loosely_assigned(code: str) -> set[str]:
    """Names a command sets in any form: `n=0` anywhere on a line (`do n=0`, `{ local n=1`),
    `n+=1`, `n++`, `declare -i N=3`, `let N=3`, `for`/`read`, `(( X = 5 ))`."""
    text = _as_read(code)
    found = set(re.findall(r"(?<![\w$-])([A-Za-z_]\w*)(?:\[[^\]]*\])?(?:\s*[-+*/%]?=(?!=)|(?:\+\+|--)(?!\w))",
                           text))
    return found | set(_BINDS.findall(text))


def _as_read(code: str) -> str:
    """The code as the shell reads it: no comments, no '…' text, no heredoc bodies."""
    out: list[str] = []
    heredoc_end: str | None = None
    for line in code.splitlines():
        if heredoc_end is not None:
            heredoc_end = None if line.strip() == heredoc_end else heredoc_end
            continue
        opened = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        heredoc_end = opened.group(1) if opened else None
        out.append(re.sub(r"(?:^|\s)#.*$", "", re.sub(r"'[^'\n]*'", "''", line)))
    return "\n".join(out)


def _arithmetic(text: str) -> list[str]:
    """The expressions of every `$(( … ))`, nested parentheses counted."""
    found: list[str] = []
    start = text.find("$((")
    while start >= 0:
        depth, i = 2, start + 3
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            found.append(text[start + 3:i - 2])
        start = text.find("$((", i if depth == 0 else start + 3)
    return found
