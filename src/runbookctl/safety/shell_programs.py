"""Which program a command runs, for safety/shell_commands.py: the program a word
names, reached through wrappers and runners (`sudo -u app bash`, `timeout 5 sh`);
the shells and their options; and the commands that start a shell reading its input
when given no command (`su -`, `sudo -i`, `sudo su`).

The words are the command's arguments so far as the shell passes them (quotes removed).
"""

from __future__ import annotations

import re

from runbookctl.safety.shell_words import Frame

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "ash", "yash", "posh",
                    "rbash", "fish", "csh", "tcsh"})
# The shell a variable names: "$SHELL", ${SHELL}, ${SHELL:-/bin/sh}, $BASH.
_SHELL_VARIABLE = re.compile(r"\$\{?(?:SHELL|BASH)(?:[}:].*)?", re.S)

# Commands that run the command in their arguments (`sudo ssh …`).
WRAPPERS = frozenset({"sudo", "doas", "env", "timeout", "nice", "nohup", "exec", "command",
                      "time", "stdbuf", "ionice", "setsid", "chrt", "taskset", "sshpass"})
# And those that run a command they are given on what they read (`| xargs sh`, `| docker
# exec -i c sh`, `| kubectl exec -i p -- bash`).
RUNNERS = WRAPPERS | {"xargs", "busybox", "docker", "podman", "kubectl", "oc", "chroot",
                      "nsenter", "unshare", "systemd-run", "flock", "runuser", "setpriv",
                      "firejail", "parallel"}
_NUMBER = re.compile(r"[0-9.]+[smhd]?")
_SET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")

# su and runuser run a shell reading its input unless given -c; sudo and doas with -s or
# -i (--shell, --login) and no command. Their options that take an argument:
_SU = frozenset({"su", "runuser"})
_SU_COMMAND = re.compile(r"-[A-Za-z]*c[A-Za-z]*|--(?:session-)?command(?:=.*)?", re.S)
_SUDO = frozenset({"sudo", "doas"})
_SUDO_ARGUMENTS = frozenset("aCDgpRrTtUu")
_SUDO_LONG_ARGUMENTS = frozenset({"--user", "--group", "--prompt", "--close-from", "--chdir",
                                  "--role", "--type", "--other-user", "--command-timeout",
                                  "--chroot", "--host"})


def program(word: str) -> str:
    """The program a command word names: its last path part ('sh' for $SHELL)."""
    return "sh" if _SHELL_VARIABLE.fullmatch(word) else word.rsplit("/", 1)[-1]


def names(frame: Frame) -> list[str]:
    """The programs the command word and each argument name."""
    return [program(w) for w in (frame.command, *frame.words)]


def shell_at(frame: Frame) -> int:
    """Where (in the command and its words) the last shell named is; -1 when none is."""
    found = names(frame)
    return next((k for k in range(len(found) - 1, -1, -1) if found[k] in SHELLS), -1)


def shell_args(frame: Frame) -> tuple[str, str, list[str]]:
    """For the last shell the frame's command runs: its options ('c' for -c, 's' for -s),
    then its operands so far; ('', '', []) when it runs none."""
    at = shell_at(frame)
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
    return names(frame)[at], flags, args[k:]


def runs(frame: Frame, at: int, runners: frozenset[str]) -> bool:
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


def starts_shell(frame: Frame) -> bool:
    """The command starts an interactive or login shell, which reads its script on its
    input: `su`, `su - app`, `runuser -l app`, `sudo -s`, `sudo -iu app`, `sudo su -`."""
    found = names(frame)
    at = next((k for k in range(len(found) - 1, -1, -1)
               if found[k] in _SU | _SUDO and runs(frame, k, RUNNERS)), -1)
    if at < 0:
        return False
    args = frame.words[at:]
    if found[at] in _SU:
        return not any(_SU_COMMAND.fullmatch(arg) for arg in args)
    shell = False
    k = 0
    while k < len(args) and args[k].startswith("-"):
        arg = args[k]
        k += 1
        if arg == "--":
            break
        if arg.startswith("--"):
            shell = shell or arg in ("--shell", "--login")
            k += arg in _SUDO_LONG_ARGUMENTS
            continue
        for j, letter in enumerate(arg[1:]):
            shell = shell or letter in "is"
            if letter in _SUDO_ARGUMENTS:
                k += j == len(arg) - 2  # `-u app`, `-iu app`; joined: `-uapp`
                break
    return shell and k >= len(args)  # with a command, sudo -s runs it (`$SHELL -c …`)
