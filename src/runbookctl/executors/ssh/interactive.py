"""An interactive session on one host (`ssh:` with `interactive: true`): a pty on
an ssh channel, handed to the operator's terminal by executors/pty_session.py,
which records it as for a local session."""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from runbookctl.executors.base import CommandSpec, HostResult
from runbookctl.executors.cast import DEFAULT_SIZE
from runbookctl.executors.pty_session import attach, terminal_size
from runbookctl.executors.ssh.connections import ConnectError
from runbookctl.executors.ssh.remote_shell import interactive_command
from runbookctl.runbook.inventory import HostSpecError, as_host_spec

if TYPE_CHECKING:
    import paramiko

    from runbookctl.executors.base import Masker
    from runbookctl.executors.ssh.connections import ConnectionPool

CHUNK = 32 * 1024
# The remote terminal's echo cannot be read from here: keys typed after output
# that ends like a password prompt are taken as unechoed, and never recorded.
PASSWORD_PROMPT = re.compile(r"(password|passphrase|passcode|pin)[^\n]*:\s*$", re.IGNORECASE)


class RemoteProgram:
    """The remote side of the session: an ssh channel with a pty."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel
        self.last = ""  # the end of what was printed last, for PASSWORD_PROMPT

    def fileno(self) -> int:
        return self.channel.fileno()

    def read(self) -> bytes:
        data: bytes = self.channel.recv(CHUNK)
        if data:
            self.last = (self.last + data.decode("utf-8", "replace"))[-200:]
        return data

    def write(self, data: bytes) -> None:
        self.channel.sendall(data)

    def echoes(self) -> bool:
        return not PASSWORD_PROMPT.search(self.last.rsplit("\n", 1)[-1])

    def resize(self, size: tuple[int, int]) -> None:
        self.channel.resize_pty(width=size[0], height=size[1])

    def stop(self, grace: float) -> None:
        self.channel.close()  # sshd hangs up the session: SIGHUP to its processes

    def wait(self) -> int | None:
        deadline = time.monotonic() + 5.0
        while not self.channel.exit_status_ready() and time.monotonic() < deadline:
            self.channel.status_event.wait(0.1)
        return self.channel.recv_exit_status() if self.channel.exit_status_ready() else None

    def close(self) -> None:
        self.channel.close()


def run_remote_interactive(conns: ConnectionPool, spec: CommandSpec, masker: Masker,
                           stdin_fd: int = 0, stdout_fd: int = 1) -> HostResult:
    """The session on `spec.hosts[0]`; `spec.log_path` is the host's log (the cast
    goes beside it)."""
    host = spec.hosts[0]
    label, started = str(host), time.monotonic()
    try:
        client, channel, accepted = conns.session(conns.target(as_host_spec(host)))
    except (ConnectError, HostSpecError) as exc:
        return HostResult(label, None, time.monotonic() - started, error=str(exc))
    del client
    spec = replace(spec, command=spec.per_host.get(label, spec.command))
    size = terminal_size(stdout_fd) or terminal_size(stdin_fd) or DEFAULT_SIZE

    def start() -> RemoteProgram:
        channel.get_pty(term=os.environ.get("TERM") or "xterm-256color", width=size[0],
                        height=size[1])
        channel.exec_command(interactive_command(spec))
        return RemoteProgram(channel)

    result = attach(spec, masker, start, label, size, stdin_fd, stdout_fd)
    return replace(result, host_key_accepted=accepted)
