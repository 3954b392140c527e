"""What a command does with its words, for the shell scanner: which words another shell
parses again (eval, sh -c, the remote command of ssh …) and where ssh, scp and sftp
read options, a destination or a remote command.

The words are the command's arguments so far as the shell passes them (quotes
removed); a value being written is the frame's current word.
"""

from __future__ import annotations

import re

from runbookctl.safety.shell_words import Frame

# Commands that hand an argument to a shell to parse again: every argument of the first
# group; the one after -c (-lc, -ec …) of the second; shells (their options read as
# sh and bash read them: `bash -e -c -- SCRIPT`).
_REPARSE_ALL = frozenset({"eval", "trap", "watch"})
_COMMAND_OPTION = frozenset({"su", "runuser", "flock", "script"})
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "ash", "yash", "posh",
                    "rbash", "fish", "csh", "tcsh"})
_SCRIPT_OPTION = re.compile(r"-[A-Za-z]*c[A-Za-z]*")
# The shell a variable names: "$SHELL", ${SHELL}, ${SHELL:-/bin/sh}, $BASH.
_SHELL_VARIABLE = re.compile(r"\$\{?(?:SHELL|BASH)(?:[}:].*)?", re.S)


def program(word: str) -> str:
    """The program a command word names: its last path part ('sh' for $SHELL)."""
    return "sh" if _SHELL_VARIABLE.fullmatch(word) else word.rsplit("/", 1)[-1]


def _shell(frame: Frame) -> tuple[str, str, list[str]]:
    """For the last shell the frame's command runs: its options ('c' for -c, 's' for -s),
    then its operands so far; ('', '', []) when it runs none."""
    names = [program(w) for w in (frame.command, *frame.words)]
    at = next((k for k in range(len(names) - 1, -1, -1) if names[k] in SHELLS), -1)
    if at < 0:
        return "", "", []
    args = frame.words[at:]
    flags = "!"  # a shell
    k = 0
    while k < len(args) and (args[k] == "-" or (len(args[k]) > 1 and args[k][0] in "-+")):
        arg = args[k]
        k += 1
        if arg in ("--", "-"):
            break
        if arg[0] == "-" and arg[:2] != "--":
            flags += "c" * ("c" in arg) + "s" * ("s" in arg)  # -c and -s, grouped too: -ec
        if arg in ("--rcfile", "--init-file") or (arg[:2] != "--" and arg[-1] in "oO"):
            k += 1  # the option's argument: `-o pipefail`, `-co errexit`
    return names[at], flags, args[k:]


def script_word(frame: Frame) -> bool:
    """The next word is the whole script: `eval WORD`, `sh -c WORD`, `bash <<< WORD`."""
    if program(frame.command) == "eval":
        return not frame.words
    _, flags, operands = _shell(frame)
    return frame.feed or ("c" in flags and not operands) or \
        (bool(frame.words) and _SCRIPT_OPTION.fullmatch(frame.words[-1]) is not None)


def reparsing(frame: Frame) -> str:
    """'reparsed' when the frame's next word is read again by another shell,
    'ssh-option' when it is the argument of ssh -o; else ''."""
    names = [program(w) for w in (frame.command, *frame.words)]
    if any(n in _REPARSE_ALL for n in names) or frame.feed:
        return "reparsed"
    if frame.words and _SCRIPT_OPTION.fullmatch(frame.words[-1]) is not None and \
            any(n in SHELLS | _COMMAND_OPTION for n in names[:-1]):
        return "reparsed"
    _, flags, operands = _shell(frame)
    if "c" in flags and not operands:
        return "reparsed"  # sh -c -- SCRIPT, bash -e -c SCRIPT, "$SHELL" -c SCRIPT
    position = ssh_position(frame)
    return {"command": "reparsed", "-o": "ssh-option"}.get(position, "")


def reads_script(frame: Frame) -> bool:
    """The frame's command runs what it reads on its standard input: a shell given neither
    -c nor a script file (or given -s), `xargs sh …`, or ssh with no remote command."""
    name, flags, operands = _shell(frame)
    names = [program(w) for w in (frame.command, *frame.words)]
    at = len(names) - 1 - names[::-1].index(name) if name else -1
    remote = at > 0 and ssh_position(
        Frame(frame.kind, command=frame.command, words=frame.words[:at - 1])) == "command"
    if name and (remote or _runs(frame, at, _RUNNERS)):  # `ssh db1 bash`: run there
        return "xargs" in names[:names.index(name)] or \
            ("c" not in flags and (not operands or "s" in flags))
    if not frame.words or frame.words[-1].startswith("-"):
        return False
    before = Frame(frame.kind, command=frame.command, words=frame.words[:-1])
    return ssh_position(before) == "destination" and _ssh_words(frame)[0] == "ssh"


# Commands that run the command in their arguments (`sudo ssh …`).
_WRAPPERS = frozenset({"sudo", "doas", "env", "timeout", "nice", "nohup", "exec", "command",
                       "time", "stdbuf", "ionice", "setsid", "chrt", "taskset", "sshpass"})
# And those that run a command they are given on what they read (`| xargs sh`, `| docker
# exec -i c sh`, `| kubectl exec -i p -- bash`).
_RUNNERS = _WRAPPERS | {"xargs", "busybox", "docker", "podman", "kubectl", "oc", "chroot",
                        "nsenter", "unshare", "systemd-run", "flock", "runuser", "setpriv",
                        "firejail", "parallel"}
_NUMBER = re.compile(r"[0-9.]+[smhd]?")
_SET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _runs(frame: Frame, at: int, runners: frozenset[str]) -> bool:
    """Whether the word at `at` (of the command and its words) is the program run: the
    command itself, or reached through runners (`sudo -u app bash`, `timeout 5 sh`,
    `env A=1 bash`). `grep -q bash`, `xargs grep bash`: an argument, not a program."""
    raw = [frame.command, *frame.words]
    if at == 0:
        return True
    if program(raw[0]) not in runners:
        return False
    for k in range(1, at):
        word = raw[k]
        if program(word) in runners or word.startswith("-") or _SET.match(word) or \
                _NUMBER.fullmatch(word) or raw[k - 1].startswith("-"):
            continue  # a runner, an option or its argument, VAR=value, a duration
        return False
    return True
# Options that take an argument (`-i key`, `-p 22`, `-o Opt=v` …), and those of them whose
# argument can run a command (-o ProxyCommand=…, scp -S program, sftp -D server).
_ARGUMENTS = {"ssh": frozenset("BbcDEeFIiJLlmOoPpQRSWw"), "scp": frozenset("cDFiJlLoPSX"),
              "sftp": frozenset("BbcDFiJloPRSsX")}
_RUNS = {"ssh": frozenset("o"), "scp": frozenset("oSD"), "sftp": frozenset("oSD")}


def _ssh_words(frame: Frame) -> tuple[str, list[str]]:
    """The ssh-like program the frame runs ('' if none) and its words after it."""
    names = [program(w) for w in (frame.command, *frame.words)]
    for name in _ARGUMENTS:
        if name in names:
            at = names.index(name)
            if _runs(frame, at, _WRAPPERS):
                return name, names[at + 1:]
    return "", []


def _expects(word: str, arguments: frozenset[str]) -> str:
    """The option letter of `-xyz` whose argument is the next word ('' if none)."""
    for k, letter in enumerate(word[1:]):
        if letter in arguments:
            return letter if k == len(word) - 2 else ""
    return ""


def one_word(frame: Frame, position: str) -> bool:
    """A list value must be one word: ssh's destination (more would be the remote command;
    scp and sftp take many operands) or an option's argument."""
    return position == "option" or (position == "destination" and _ssh_words(frame)[0] == "ssh")


def ssh_position(frame: Frame) -> str:
    """Where the next word goes when the command is ssh (or scp, sftp): 'destination'
    (an operand: no option), 'command' (joined and run by the remote shell), an option's
    argument ('-o' when it can run a command, 'option'), or ''."""
    name, after = _ssh_words(frame)
    if not name:
        return ""
    expect = ""
    destination = False
    for word in after:
        if expect:
            expect = ""
        elif destination and name == "ssh":
            return "command"
        elif word.startswith("-") and len(word) > 1:
            expect = _expects(word, _ARGUMENTS[name])
        else:
            destination = True
    if expect:
        return "-o" if expect in _RUNS[name] else "option"
    return "command" if destination and name == "ssh" else "destination"


def ssh_joined(frame: Frame) -> str:
    """'ssh-option' when the word being written is an ssh option and the value would be
    among its letters or the argument joined to one that can run a command
    (`-oProxyCommand={{ v }}`, `-{{ v }}`); else ''."""
    name, _ = _ssh_words(frame)
    word = frame.word
    if not name or not word.startswith("-") or ssh_position(frame) != "destination":
        return ""
    for letter in word[1:]:
        if letter in _ARGUMENTS[name]:
            return "ssh-option" if letter in _RUNS[name] else ""
        if not letter.isalnum():
            break  # the value (or a quote, an expansion) where an option letter goes
    return "ssh-option"
