"""The executor seam: the engine hands a CommandSpec to an Executor and gets
one HostResult per host back. Local (subprocess) and SSH (paramiko) executors
implement it; the engine knows nothing else about them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# How much of a stream is kept in memory for `capture`/`expect`; the rest is
# only in the log file. Output beyond it makes `result.stdout` truncated.
CAPTURE_LIMIT = 1024 * 1024
# How many trailing lines the journal and report keep of each output.
TAIL_LINES = 20
TAIL_BYTES = 8 * 1024

LOCAL = "local"


@dataclass(frozen=True)
class CommandSpec:
    """One command to execute, fully rendered (values already shell-quoted)."""

    step_id: str
    command: str  # what runs
    display: str  # what is shown and journaled (secrets masked)
    log_path: Path  # full output (masked) is written here
    shell: str = "/bin/sh"
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    timeout: float | None = None  # seconds; None = no limit
    hosts: Sequence[str] = ()  # ssh only
    parallel: int = 10  # ssh only
    sudo: bool = False  # ssh only
    sudo_password: str | None = None  # ssh only; never journaled
    per_host: Mapping[str, str] = field(default_factory=dict)  # ssh: host -> command using {{ host }}
    # local: called with (pid = process group id, start time) once the command's
    # process exists and before it runs (the journal records it: see procs.py)
    on_start: Callable[[int, str | None], object] | None = None
    interactive: bool = False  # a pty wired to the operator's terminal (pty_session.py)


@dataclass(frozen=True)
class HostResult:
    """The outcome of a command on one host ("local" for local commands)."""

    host: str
    exit_code: int | None  # None: it never ran or was killed before exiting
    duration: float
    stdout: str = ""  # masked; at most CAPTURE_LIMIT bytes kept
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    output_bytes: int = 0  # total bytes of stdout + stderr
    output_sha256: str = ""  # of the masked log file content for this host
    tail: str = ""  # last TAIL_LINES lines of combined output, masked
    timed_out: bool = False
    interrupted: bool = False  # stopped by Ctrl-C
    error: str | None = None  # one-line reason it did not run/finish (connect refused, ...)
    log_path: str = ""
    host_key_accepted: str | None = None  # ssh accept-new: "ssh-ed25519 SHA256:..." first seen
    cast_path: str | None = None  # interactive: the session's asciinema recording
    cast_sha256: str = ""  # of the recording as written (masked)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.interrupted


def attach_results(exc: BaseException, results: list[HostResult]) -> None:
    """Say on `exc` (a signal stopping the run) what the command did before it left
    the executor: the output so far, its log and how long it ran, for the record."""
    exc.runbookctl_results = results  # type: ignore[attr-defined]


def attached_results(exc: BaseException) -> list[HostResult]:
    """What attach_results said on `exc` (nothing when the executor did not know)."""
    value = getattr(exc, "runbookctl_results", None)
    return value if isinstance(value, list) else []


class OutputSink(Protocol):
    """Receives live output (already masked) for display."""

    @property
    def live(self) -> bool:
        """False when output is not shown (quiet, or going to /dev/null): then
        it is not prepared for display, only logged."""
        ...

    def output(self, host: str, stream: str, text: str) -> None: ...


class Masker(Protocol):
    """Masks secrets in text; `stream()` gives a chunk-safe masker."""

    def mask(self, text: str) -> str: ...

    def stream(self) -> StreamMasker: ...


class StreamMasker(Protocol):
    def feed(self, data: str) -> str: ...

    def feed_ascii(self, data: bytes) -> bytes | None: ...

    def flush(self) -> str: ...


class Executor(Protocol):
    """Runs a CommandSpec; returns one HostResult per host, in host order."""

    def execute(self, spec: CommandSpec, sink: OutputSink, masker: Masker) -> list[HostResult]: ...

    def close(self) -> None: ...
