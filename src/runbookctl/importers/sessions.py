"""Commands that open a session, in imported code blocks (issue 16.2).

`kubectl exec -it`, `kubectl rsh`, `ssh HOST` (no remote command), `psql`
without `-c`, `mysql` without `-e`, `redis-cli` without a command, `sudo -i`,
`su - USER`: the operator types into them, and the lines after them in the
same block are meant for the remote side. Such a block is split: what comes
before runs as usual, the opener becomes an `interactive: true` step, and the
lines after it are shown to the operator to type there, never run locally.
Later blocks join the open session (shown in the note before it, never run
here), under the same heading or the next ones, unless they start with a
program one runs from one's own machine (`kubectl`, `gcloud`, `ssh`...): a
session opened under "Connect" is typed into under "Defragment". A line
`exit` in what is typed there closes it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from runbookctl.importers.code import RawStep, executable_lines
from runbookctl.importers.markdown import indent, title

_TTY = re.compile(r"(?:^|\s)(?:-i\s+-t|-t\s+-i|--stdin\s+--tty|--tty\s+--stdin|"
                  r"-[a-z]*(?:it|ti)[a-z]*)(?=\s|$)")
_SUDO = re.compile(r"^(?:sudo\s+(?:-u\s+\S+\s+|-\S+\s+)*)?")
# Programs run from the operator's own machine: a block starting with one is not typed
# into a session opened under an earlier heading.
WORKSTATION = frozenset({"kubectl", "oc", "gcloud", "aws", "az", "helm", "knife", "terraform",
                         "ssh", "scp", "glab", "gh", "ansible", "ansible-playbook", "kubectx",
                         "kubens", "virtctl", "istioctl", "argocd", "flux", "eksctl", "doctl"})
_SQL_ONE_SHOT = ("-c", "--command", "-f", "--file", "-e", "--execute", "-l", "--list", "--eval")


@dataclass(frozen=True)
class Split:
    """A code block around the first command that opens a session."""

    before: str  # run locally first (may be empty)
    opener: str  # the interactive step's command
    inside: str  # what the document says to type in the session (may be empty)


def split_session(code: str) -> Split | None:
    """Where a shell snippet opens a session, or None when it opens none."""
    lines = code.split("\n")
    for i, line in enumerate(lines):
        if opens_session(line):
            inside = "\n".join(lines[i + 1:]).strip("\n")
            return Split("\n".join(lines[:i]).strip("\n"), line.strip(), inside)
    return None


def opens_session(line: str) -> bool:
    """Whether one command line hands the terminal to a program the operator types into."""
    # a placeholder (`<replica host>`) is one word, not a redirection
    text = re.sub(r"<[A-Za-z][^<>]*>|\[[A-Za-z][^\]]*\]|\{[A-Za-z][^{}]*\}", "X", line.strip())
    bare = re.sub(r"\$\([^()]*\)|'[^']*'|\"[^\"]*\"", "X", text)  # pipes inside $(…) or quotes are its own
    if not text or text.startswith("#") or text.endswith("\\") or "|" in bare or "<" in bare:
        return False
    rest = _SUDO.sub("", text, count=1)
    try:
        words = shlex.split(rest)
    except ValueError:
        return False
    if not words:
        return False
    if words[0] in ("-i", "-s", "su") or text in ("sudo -i", "sudo -s", "sudo su", "sudo su -"):
        return True
    return _opens(words[0].rsplit("/", 1)[-1], words[1:], rest)


def _opens(program: str, args: list[str], text: str) -> bool:
    if program in ("kubectl", "oc", "docker", "podman"):
        own = args[: args.index("--")] if "--" in args else args  # not the remote command's words
        if "rsh" in own and program in ("kubectl", "oc"):
            return True
        return bool({"exec", "attach", "debug"} & set(own)) and bool(_TTY.search(" ".join(own)))
    if program == "ssh":
        return len(_positional(args, takes_value="bcDEeFIiJLlmOopQRSWw")) == 1
    if program in ("psql", "mysql", "mongo", "mongosh", "sqlite3", "cqlsh", "redis-cli", "etcdctl"):
        if program == "redis-cli":
            return not _positional(args, takes_value="hpansu")
        if program == "etcdctl":
            return False
        return not any(a.startswith(_SQL_ONE_SHOT) for a in args)
    if program in ("tmux", "screen"):
        return any(a in ("attach", "a", "-r", "attach-session") for a in args)
    return program in ("bash", "sh", "zsh") and not args


def _positional(args: list[str], takes_value: str) -> list[str]:
    """The arguments that are not options (nor an option's value: `-p 22`, `-i key`)."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = len(arg) == 2 and arg[1] in takes_value
        else:
            out.append(arg)
    return out


def session_note(opener: str, inside: str, line: int = 0) -> RawStep:
    """The message shown before a session opens: what the playbook says to type there."""
    note = RawStep("message", f"In the session: {title(opener, 50)}", _note_text(opener, inside))
    note.inside, note.line, note.origin = inside, line, "session"
    return note


def add_to_note(note: RawStep, opener: str, step: RawStep) -> None:
    lines = f"# {step.title}\n{step.text}" if step.title else step.text
    note.inside = f"{note.inside}\n{lines}".strip("\n")
    note.text = _note_text(opener, note.inside)


def _note_text(opener: str, inside: str) -> str:
    return (f"The next step opens a session ({opener}). Type there:\n\n{indent(inside)}\n\n"
            f"then leave the session to go on.")


def from_workstation(code: str) -> bool:
    """Whether a block starts with a program one runs on one's own machine."""
    lines = executable_lines(code)
    words = lines[0].split() if lines else []
    while words and (words[0] in ("sudo", "time", "env") or "=" in words[0]):
        words.pop(0)
    return bool(words) and words[0].rsplit("/", 1)[-1] in WORKSTATION


def session_steps(step: RawStep) -> list[RawStep]:
    """A run step that opens a session: local part, what to type there, the interactive step."""
    split = split_session(step.text) if step.action == "run" else None
    if split is None:
        return [step]
    out: list[RawStep] = []
    if executable_lines(split.before):
        out.append(RawStep("run", step.title, split.before, step.lang, step.todos, line=step.line))
    if split.inside.strip():
        out.append(session_note(split.opener, split.inside, step.line))
    local = bool(out) and out[0].action == "run"
    out.append(RawStep("run", f"Session: {title(split.opener, 55)}" if local else step.title,
                       split.opener, step.lang, [] if local else step.todos, interactive=True,
                       line=step.line))
    return out
