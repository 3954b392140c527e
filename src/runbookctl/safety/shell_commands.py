"""What a command does with its words, for the shell scanner: which words another shell
parses again (eval, sh -c, the remote command of ssh …), which commands run the script
they read (`sh`, `ssh host 'bash -s'`, `su -`, `source /dev/stdin`), and where ssh, scp
and sftp read options, a destination or a remote command.

The words are the command's arguments so far as the shell passes them (quotes
removed); a value being written is the frame's current word. Which program a command
runs: safety/shell_programs.py.
"""

from __future__ import annotations

import re
import shlex

from runbookctl.safety.shell_programs import (
    RUNNERS,
    SHELLS,
    WRAPPERS,
    names,
    program,
    runs,
    shell_args,
    shell_at,
    starts_shell,
)
from runbookctl.safety.shell_words import Frame

# Commands that hand an argument to a shell to parse again: every argument of the first
# group; the one after -c (-lc, -ec …) of the second; shells (their options read as
# sh and bash read them: `bash -e -c -- SCRIPT`).
_REPARSE_ALL = frozenset({"eval", "trap", "watch"})
_COMMAND_OPTION = frozenset({"su", "runuser", "flock", "script"})
_SCRIPT_OPTION = re.compile(r"-[A-Za-z]*c[A-Za-z]*")


def script_word(frame: Frame) -> bool:
    """The next word is the whole script: `eval WORD`, `sh -c WORD`, `bash <<< WORD`."""
    if program(frame.command) == "eval":
        return not frame.words
    _, flags, operands = shell_args(frame)
    return frame.feed or ("c" in flags and not operands) or \
        (bool(frame.words) and _SCRIPT_OPTION.fullmatch(frame.words[-1]) is not None)


def reparsing(frame: Frame) -> str:
    """'reparsed' when the frame's next word is read again by another shell,
    'ssh-option' when it is the argument of ssh -o; else ''."""
    found = names(frame)
    if any(n in _REPARSE_ALL for n in found) or frame.feed:
        return "reparsed"
    if frame.words and _SCRIPT_OPTION.fullmatch(frame.words[-1]) is not None and \
            any(n in SHELLS | _COMMAND_OPTION for n in found[:-1]):
        return "reparsed"
    _, flags, operands = shell_args(frame)
    if "c" in flags and not operands:
        return "reparsed"  # sh -c -- SCRIPT, bash -e -c SCRIPT, "$SHELL" -c SCRIPT
    position = ssh_position(frame)
    return {"command": "reparsed", "-o": "ssh-option"}.get(position, "")


# Files that are the standard input: a shell or `source` given one reads its input.
_STDIN = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})
_SOURCE = frozenset({"source", "."})


def reads_script(frame: Frame) -> bool:
    """The frame's command runs what it reads on its standard input: a shell given neither
    -c nor a script file (or given -s, or /dev/stdin as the file), `xargs sh …`, `source
    /dev/stdin`, `su -`, `sudo -i`, or ssh with no remote command or one that does so
    (`ssh host 'bash -s'`, `ssh host sudo su`)."""
    remote = remote_command(frame)
    if remote is not None:
        return not remote or reads_script(Frame(frame.kind, command=remote[0], words=remote[1:]))
    name, flags, operands = shell_args(frame)
    at = shell_at(frame)
    if name and runs(frame, at, RUNNERS):
        return "xargs" in names(frame)[:at] or \
            ("c" not in flags and (not operands or "s" in flags or operands[0] in _STDIN))
    if program(frame.command) in _SOURCE:
        return frame.words[:1] in ([path] for path in _STDIN)
    return starts_shell(frame)


def script_file(frame: Frame) -> bool:
    """The frame's next word is a file a shell runs as its script: `bash FILE`, `source
    FILE`, `. FILE`, `bash --rcfile FILE` (for `bash <(…)`)."""
    if program(frame.command) in _SOURCE:
        return not frame.words
    at = shell_at(frame)
    if at < 0 or not runs(frame, at, RUNNERS):
        return False
    if frame.words[-1:] in (["--rcfile"], ["--init-file"]):
        return True
    _, flags, operands = shell_args(frame)
    return "c" not in flags and "s" not in flags and not operands


# Options that take an argument (`-i key`, `-p 22`, `-o Opt=v` …), and those of them whose
# argument can run a command (-o ProxyCommand=…, scp -S program, sftp -D server).
_ARGUMENTS = {"ssh": frozenset("BbcDEeFIiJLlmOoPpQRSWw"), "scp": frozenset("cDFiJlLoPSX"),
              "sftp": frozenset("BbcDFiJloPRSsX")}
_RUNS = {"ssh": frozenset("o"), "scp": frozenset("oSD"), "sftp": frozenset("oSD")}


def _ssh_at(frame: Frame) -> tuple[str, int]:
    """The ssh-like program the frame runs ('' if none) and where its own words start
    among the frame's words."""
    found = names(frame)
    for name in _ARGUMENTS:
        if name in found:
            at = found.index(name)
            if runs(frame, at, WRAPPERS):
                return name, at
    return "", -1


def _expects(word: str, arguments: frozenset[str]) -> str:
    """The option letter of `-xyz` whose argument is the next word ('' if none)."""
    for k, letter in enumerate(word[1:]):
        if letter in arguments:
            return letter if k == len(word) - 2 else ""
    return ""


def _ssh_read(frame: Frame) -> tuple[str, str, int]:
    """The ssh-like program, where its next word goes, and where among the frame's words its
    remote command starts (-1: not yet). ssh reads options also after the destination,
    up to the first word that is none (`ssh db1 -p 22 -oX=y uptime`; `ssh -G` shows it),
    and none after `--`. Where: 'destination', 'options' (after ssh's destination: an
    option or the remote command), 'command', '-o', 'option'; '' when no ssh is run."""
    name, at = _ssh_at(frame)
    if not name:
        return "", "", -1
    expect, host, ended = "", False, False
    for k, word in enumerate(frame.words[at:]):
        option = word.startswith("-") and len(word) > 1 and not ended
        if expect:
            expect = ""
        elif host and name == "ssh" and not option:
            return name, "command", at + k
        elif option and word == "--":
            ended = True
        elif option:
            expect = _expects(word, _ARGUMENTS[name])
        else:
            host = True
    if expect:
        return name, "-o" if expect in _RUNS[name] else "option", -1
    if host and name == "ssh":
        return name, "command" if ended else "options", -1
    return name, "destination", -1


def remote_command(frame: Frame) -> list[str] | None:
    """The words of the command ssh runs on the remote host, split again as the remote
    shell splits them (`ssh host 'sudo bash'`: ['sudo', 'bash']); [] when there is none
    yet; None when the frame runs no ssh or has not named its destination."""
    name, where, start = _ssh_read(frame)
    if name != "ssh" or where == "destination":
        return None
    if start < 0:
        return []
    joined = " ".join(frame.words[start:])
    try:
        return shlex.split(joined)
    except ValueError:
        return joined.split()


def one_word(frame: Frame, position: str) -> bool:
    """A list value must be one word: ssh's destination (more would be the remote command;
    scp and sftp take many operands) or an option's argument."""
    return position == "option" or (position == "destination" and _ssh_at(frame)[0] == "ssh")


def ssh_position(frame: Frame) -> str:
    """Where the next word goes when the command is ssh (or scp, sftp): 'destination'
    (an operand: no option), 'command' (joined and run by the remote shell; after ssh's
    destination also an option: refused either way), an option's argument ('-o' when it
    can run a command, 'option'), or ''."""
    where = _ssh_read(frame)[1]
    return "command" if where == "options" else where


def ssh_joined(frame: Frame) -> str:
    """'ssh-option' when the word being written is an ssh option (before or after the
    destination) and the value would be among its letters or the argument joined to one
    that can run a command (`-oProxyCommand={{ v }}`, `-{{ v }}`); else ''."""
    name, where, _ = _ssh_read(frame)
    word = frame.word
    if not name or not word.startswith("-") or where not in ("destination", "options"):
        return ""
    for letter in word[1:]:
        if letter in _ARGUMENTS[name]:
            return "ssh-option" if letter in _RUNS[name] else ""
        if not letter.isalnum():
            break  # the value (or a quote, an expansion) where an option letter goes
    return "ssh-option"
