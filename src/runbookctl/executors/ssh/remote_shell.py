"""The POSIX sh lines sent to a host: the command wrapped so it can be found again, and
the kill that finds it and stops its whole process group."""

from __future__ import annotations

import re
import shlex

from runbookctl.executors.base import CommandSpec
from runbookctl.executors.procs import how_stopped

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def remote_command(spec: CommandSpec, token: str) -> str:
    """The POSIX sh line sent to the host: env, cwd and sudo around
    `spec.shell -c spec.command`.

    The login shell sshd starts for it leads its own session and process
    group, and carries `runbookctl-TOKEN` in its argv, so `kill_command` can
    find and kill the whole group. It must stay the parent: `exit $?` keeps
    sh from exec'ing the last command in its place.
    """
    parts = [f": runbookctl-{token}", *_setup(spec)]
    run = f"{shlex.quote(spec.shell)} -c {shlex.quote(spec.command)}"
    if spec.sudo:
        # `-n` fails at once instead of waiting for a password nobody sends.
        auth = "-S -p ''" if spec.sudo_password is not None else "-n"
        # The command's stdin is /dev/null, so a password sudo did not ask
        # for is never read by the command.
        inner = "; ".join([*parts[1:], f"exec {run}"])
        parts = [parts[0], f"sudo {auth} /bin/sh -c {shlex.quote('exec </dev/null; ' + inner)}"]
    else:
        parts.append(run)
    return "; ".join(parts) + "; exit $?"


def confirmed_command(spec: CommandSpec, token: str) -> tuple[str, bytes]:
    """The line libssh2 sends (ssh/libssh2_run.py), and the mark it prints last on stdout
    when, and only when, the command exited 0.

    libssh2 reads a missing exit status (the shell killed by a signal, or a server that
    sent none) as 0; the mark tells a real 0 from that. The line is `remote_command`'s run
    by /bin/sh whatever the login shell (`exec`: the same process, group and token), so
    the mark's test is POSIX sh in csh or fish too. Any other status is the real one: a
    login shell that refuses the line (nologin) fails, as on the paramiko path.
    """
    mark = f"\x1erunbookctl-{token}-ok\x1e"
    line = remote_command(spec, token).removesuffix("; exit $?")
    line += f"; s=$?; [ $s -ne 0 ] || printf '%s' {shlex.quote(mark)}; exit $s"
    return f"exec /bin/sh -c {shlex.quote(line)}", mark.encode()


KILL_NO_PGREP = 3  # kill_command's exit status when the host has no pgrep
KILL_NEEDED = 4  # kill_command's exit status when SIGTERM was not enough


def kill_outcome(status: int | None, grace: float) -> tuple[str | None, str | None]:
    """What `kill_command` exiting `status` (None: it did not end) says: an error if the
    command could not be stopped, and how it was stopped (procs.how_stopped)."""
    if status == KILL_NO_PGREP:
        return ("could not stop the remote command (no pgrep on the host); it may still run",
                None)
    if status in (0, KILL_NEEDED):
        return None, how_stopped(killed=status == KILL_NEEDED, grace=grace)
    return None, None


def kill_command(token: str, grace: float) -> str:
    """SIGTERM the process group (and session) of `remote_command(token)`,
    SIGKILL it after `grace` seconds. Exits 0 when SIGTERM was enough (or it was
    already gone), KILL_NEEDED when it took SIGKILL."""
    tries = max(1, round(grace / 0.05))
    # `[x]yz` matches "xyz" but not this script's own command line.
    pattern = f"runbookctl-[{token[0]}]{token[1:]}"
    return (
        f"command -v pgrep >/dev/null 2>&1 || exit {KILL_NO_PGREP}; p=; i=0; "
        f"while [ $i -lt 10 ]; do p=$(pgrep -o -u \"$(id -u)\" -f '{pattern}') && break; "
        "sleep 0.2; i=$((i+1)); done; "
        '[ -n "$p" ] || exit 0; '
        f"{_LIVE}; "
        'kill -TERM -"$p" 2>/dev/null; pkill -TERM -s "$p" 2>/dev/null; i=0; '
        f"while live && [ $i -lt {tries} ]; do sleep 0.05; i=$((i+1)); done; "
        f"e=0; live && e={KILL_NEEDED}; "
        'kill -KILL -"$p" 2>/dev/null; pkill -KILL -s "$p" 2>/dev/null; exit $e'
    )


# `live`: a process of group $p is still running. Zombies do not count: an orphan
# whose new parent (PID 1 in some containers) never reaps it is dead, and must
# neither hold up the stop until the grace runs out nor be called a SIGKILL.
_LIVE = (
    'live() { for q in $(pgrep -g "$p"); do '
    'if [ -r "/proc/$q/stat" ]; then '
    "case $(sed 's/.*) //' \"/proc/$q/stat\" 2>/dev/null) in Z*|'') ;; *) return 0;; esac; "
    'elif kill -0 "$q" 2>/dev/null; then return 0; fi; done; return 1; }'
)


def interactive_command(spec: CommandSpec) -> str:
    """The sh line for an interactive session: env, cwd and sudo around
    `spec.shell -c spec.command`, the pty its stdin (sudo asks on it, unechoed)."""
    parts = _setup(spec)
    parts.append(f"exec {shlex.quote(spec.shell)} -c {shlex.quote(spec.command)}")
    line = "; ".join(parts)
    return f"exec sudo /bin/sh -c {shlex.quote(line)}" if spec.sudo else line


def _setup(spec: CommandSpec) -> list[str]:
    """The env exports and the cd a remote command begins with."""
    parts = []
    for name, value in spec.env.items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"bad environment variable name '{name}'")
        parts.append(f"export {name}={shlex.quote(value)}")
    if spec.cwd:
        parts.append(f"cd {shlex.quote(spec.cwd)} || exit 1")
    return parts
