"""executors/ssh/interactive.py: the remote side of an interactive session. Through
a real sshd in tests/integration/test_interactive.py; here, what it decides alone."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from runbookctl.executors.base import CommandSpec
from runbookctl.executors.ssh.interactive import RemoteProgram
from runbookctl.executors.ssh.remote_shell import interactive_command


class Channel:
    """Just enough of paramiko's Channel: what the session reads."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)

    def recv(self, _size: int) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


@pytest.mark.parametrize(("printed", "echoes"), [
    (b"db=> ", True),
    (b"[sudo] password for ana: ", False),
    (b"Enter passphrase for key '/home/ana/.ssh/id': ", False),
    (b"Password:", False),
    (b"PIN: ", False),
    (b"Password: \r\nWelcome\r\n$ ", True),  # the prompt was answered; a shell now
    (b"password reset done\r\n$ ", True),
])
def test_keys_after_a_password_prompt_are_taken_as_unechoed(printed: bytes, echoes: bool) -> None:
    program = RemoteProgram(Channel(printed))  # type: ignore[arg-type]
    assert program.read() == printed
    assert program.echoes() is echoes


def test_the_end_of_the_session_reads_empty() -> None:
    program = RemoteProgram(Channel())  # type: ignore[arg-type]
    assert program.read() == b""


def _spec(**extra: object) -> CommandSpec:
    return CommandSpec(step_id="s", command="echo \"$GREETING\" from $(pwd)", display="",
                       log_path=Path("x.log"), shell="/bin/sh", **extra)  # type: ignore[arg-type]


def test_the_remote_line_sets_env_and_cwd_and_keeps_values_quoted(tmp_path: Path) -> None:
    spec = _spec(env={"GREETING": "it's $(id) `x`"}, cwd=str(tmp_path))
    out = subprocess.run(["/bin/sh", "-c", interactive_command(spec)], capture_output=True,
                         text=True, check=True).stdout
    assert out == f"it's $(id) `x` from {tmp_path}\n"


def test_sudo_asks_on_the_session_not_with_n() -> None:
    line = interactive_command(_spec(sudo=True))
    assert line.startswith("exec sudo /bin/sh -c ") and " -n " not in line
    assert shlex.split(line)[:4] == ["exec", "sudo", "/bin/sh", "-c"]


def test_a_bad_env_name_is_refused() -> None:
    with pytest.raises(ValueError, match="bad environment variable name 'A-B'"):
        interactive_command(_spec(env={"A-B": "x"}))
