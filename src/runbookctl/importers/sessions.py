"""Commands that open a session, in imported code blocks (issue 16.2).

`kubectl exec -it`, `kubectl rsh`, `ssh HOST` (no remote command), `psql`
without `-c`, `mysql` without `-e`, `redis-cli` without a command, `sudo -i`,
`su - USER`: the operator types into them, and the lines after them in the
same block are meant for the remote side. Such a block is split: what comes
before runs as usual, the opener becomes an `interactive: true` step, and the
lines after it are shown to the operator to type there, never run locally.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_TTY = re.compile(r"(?:^|\s)(?:-i\s+-t|-t\s+-i|--stdin\s+--tty|--tty\s+--stdin|"
                  r"-[a-z]*(?:it|ti)[a-z]*)(?=\s|$)")
_SUDO = re.compile(r"^(?:sudo\s+(?:-u\s+\S+\s+|-\S+\s+)*)?")
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
