"""OpenSSH client config files read as ssh reads them (ssh_config(5)), for
ssh_config.ClientConfig (paramiko's SSHConfig, ported), which parses one text and
knows neither of these:

- `Include` (a team's `~/.ssh/config.d/*`, what `tsh config` or a bastion's setup
  adds): each named file in its place, globs in lexical order, `~` expanded, a
  relative path taken from ~/.ssh for the user's file and from /etc/ssh for the
  system's, at most 16 levels deep. Inside a `Host` or `Match` block an included
  file applies only to that block's hosts, as in ssh: the block's line is repeated
  after the file, so what follows the `Include` stays in it.
- the system-wide file (/etc/ssh/ssh_config, where configuration management puts a
  fleet's ProxyJump and Debian puts `HashKnownHosts yes`) read after the user's.
  The first value found for an option wins, as in ssh: the user's file first.

A `Match` line paramiko could not evaluate makes its block apply to no host: one it
refuses (RHEL's system file has `Match final all`), which would fail every ssh step on
the whole file — its settings (GSSAPI, crypto policies) are not ones runbookctl uses —
and one with a criterion paramiko does not know (`localnetwork`, `tagged`,
`sessiontype`, `command`, `version`, negated or not), which it would take as matched
for every host, or `exec` where paramiko has no `invoke` to run it (every lookup would
fail). ClientConfig, as paramiko, compares criteria as written: `Match Host db1` is passed on as
`Match host db1`, as ssh reads it.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
from pathlib import Path

from runbookctl.executors.ssh.ssh_config import ClientConfig, load_invoke

MAX_DEPTH = 16  # OpenSSH's READCONF_MAX_DEPTH
USER_BASE = "~/.ssh"
SYSTEM_BASE = "/etc/ssh"


class ConfigFileError(ValueError):
    """A config file that cannot be read as a whole: says which file and why."""


def configs_text(user: Path | None, system: Path | None) -> str | None:
    """The user's file, then the system's, their Includes in place, as one text; None
    when neither exists."""
    parts = []
    if user is not None and user.is_file():
        parts.append(file_text(user, Path(os.path.expanduser(USER_BASE))))
    if system is not None and system.is_file():
        parts.append(file_text(system, Path(SYSTEM_BASE)))
    # Each file starts outside any block, as ssh reads it: not inside the last Host of
    # the file before.
    return "Host *\n".join(parts) if parts else None


def file_text(path: Path, base: Path, depth: int = 0) -> str:
    """`path`'s lines with each `Include` replaced by the files it names."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigFileError(f"{path}: {exc.strerror or exc}") from None
    out: list[str] = []
    block: str | None = None  # the Host or Match line the lines are in
    for number, line in enumerate(text.splitlines(), 1):
        keyword, rest = _keyword(line)
        if keyword == "match":
            line = _match_line(rest) or NO_HOST
        if keyword in ("host", "match"):
            block = line
        elif keyword == "include":
            if depth >= MAX_DEPTH:
                raise ConfigFileError(f"{path}:{number}: Include nested more than "
                                      f"{MAX_DEPTH} levels deep")
            for included in _included(rest, base, path, number):
                out.append(file_text(included, base, depth + 1))
            out.append(block or "Host *")  # back in the block the Include was in
            continue
        out.append(line)
    return "\n".join(out) + "\n"


NO_HOST = "Host !*"  # a block that applies to no host
_KEYWORD = re.compile(r"([^\s=]+)\s*(?:=\s*)?(.*)")


def _keyword(line: str) -> tuple[str, str]:
    """A config line's keyword (lower case) and the rest; ("", "") for a blank line or
    a comment. `Keyword value`, with any whitespace, and `Keyword=value` are ssh's."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return "", ""
    found = _KEYWORD.match(stripped)
    return (found.group(1).lower(), found.group(2).strip()) if found else ("", "")


# The Match criteria paramiko evaluates (ssh_config._does_match, its port); it takes any
# other as matched. Those without an argument:
EVALUATED = frozenset({"all", "canonical", "final", "host", "originalhost", "user",
                       "localuser", "exec"})
_BARE = ("all", "canonical", "final")


def _match_line(rest: str) -> str | None:
    """The Match line paramiko evaluates as ssh would (criteria in lower case), or None
    when it cannot: a criterion it does not know, `exec` without `invoke`, or a line it
    refuses."""
    try:
        tokens = shlex.split(rest, comments=True)
    except ValueError:
        return None
    words: list[str] = []
    while tokens:
        negated, kind = _criterion(tokens.pop(0))
        if kind not in EVALUATED or (kind == "exec" and not _can_exec()):
            return None
        words.append(negated + kind)
        if kind not in _BARE and tokens:
            words.append(tokens.pop(0))
    line = f"Match {shlex.join(words)}"
    try:
        ClientConfig.from_text(line + "\n")
    except ValueError:  # ssh_config.ConfigParseError too
        return None
    return line


def _can_exec() -> bool:
    """Whether a `Match exec` command can be run: it needs invoke, as in paramiko."""
    return load_invoke() is not None


def _criterion(word: str) -> tuple[str, str]:
    """("!" or "", the criterion in lower case)."""
    negated = "!" if word.startswith("!") else ""
    return negated, word[len(negated):].lower()


def _included(rest: str, base: Path, path: Path, number: int) -> list[Path]:
    """The files an `Include` line names, globs expanded in lexical order; a pattern
    that names nothing is no error (ssh skips it)."""
    try:
        patterns = shlex.split(rest, comments=True)
    except ValueError as exc:
        raise ConfigFileError(f"{path}:{number}: bad Include line: {exc}") from None
    if not patterns:
        raise ConfigFileError(f"{path}:{number}: Include names no file")
    files: list[Path] = []
    for pattern in patterns:
        pattern = os.path.expanduser(pattern)
        if not os.path.isabs(pattern):
            pattern = str(base / pattern)
        files += [Path(name) for name in sorted(glob.glob(pattern)) if os.path.isfile(name)]
    return files
