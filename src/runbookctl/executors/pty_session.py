"""An interactive local command (`interactive: true`): the operator's terminal is
handed to it through a real pseudo-terminal, and taken back when it exits.

The operator's terminal goes to raw mode, so every key — Ctrl-C and Ctrl-D
included — reaches the program, whose own terminal turns them into signals or
EOF as any terminal would. The window size is copied at start and on every
SIGWINCH. The program's output is masked (a screen shared in a war room shows
no secret) and shown as it comes: text that could begin a secret waits for the
next read, or for 30 ms of quiet, so a prompt is never held back. The same
masked output is recorded: the `.cast` file, the step's log, the last screen.

As for every local command, the program starts only once its process group is
journaled (`on_start`): the child waits on a pipe until then.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import termios
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runbookctl.executors import procs
from runbookctl.executors.base import LOCAL, CommandSpec, HostResult
from runbookctl.executors.cast import DEFAULT_SIZE, CastRecorder

if TYPE_CHECKING:
    from runbookctl.executors.base import Masker

CHUNK = 65536
# Held-back output (a possible secret's start) is shown after this much quiet.
QUIET = 0.03


def cast_path_for(log_path: Path) -> Path:
    """The session's record beside the step's log: `0003-psql.log` → `0003-psql.cast`."""
    return log_path.with_suffix(".cast")


def run_interactive(spec: CommandSpec, masker: Masker, stdin_fd: int = 0,
                    stdout_fd: int = 1) -> HostResult:
    """Run `spec.command` on a local pseudo-terminal wired to the operator's terminal."""
    size = terminal_size(stdout_fd) or terminal_size(stdin_fd) or DEFAULT_SIZE
    return attach(spec, masker, lambda: LocalProgram(*_spawn(spec, size)), LOCAL, size,
                  stdin_fd, stdout_fd)


def attach(spec: CommandSpec, masker: Masker, start: Callable[[], Program], host: str,
           size: tuple[int, int] | None = None, stdin_fd: int = 0,
           stdout_fd: int = 1) -> HostResult:
    """Hand the operator's terminal to the program `start` gives (local or remote)
    and record the session; the result is the step's, as for any command."""
    started = time.monotonic()
    size = size or terminal_size(stdout_fd) or terminal_size(stdin_fd) or DEFAULT_SIZE
    cast = cast_path_for(spec.log_path)
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_path.open("wb") as log:
        recorder = CastRecorder(cast, log, masker, size, spec.step_id, spec.shell)
        try:
            program = start()
            code, timed_out = _Session(program, recorder, stdin_fd, stdout_fd).run(
                None if spec.timeout is None else started + spec.timeout)
        finally:
            _write_all(stdout_fd, recorder.close())
    digest = _sha256(spec.log_path)
    return HostResult(host=host, exit_code=code, duration=time.monotonic() - started,
                      output_bytes=recorder.bytes, output_sha256=digest,
                      tail=recorder.last_screen(), timed_out=timed_out,
                      error=f"timed out after {spec.timeout:g}s" if timed_out else None,
                      log_path=str(spec.log_path), cast_path=str(cast),
                      cast_sha256=_sha256(cast))


class Program(Protocol):
    """The side of the session that runs the command: a local pty, or an ssh channel."""

    def fileno(self) -> int: ...

    def read(self) -> bytes:
        """What it printed (b"": it is gone)."""
        ...

    def write(self, data: bytes) -> None: ...

    def echoes(self) -> bool:
        """Whether keys typed now are shown (see _echoes); unknown remotely: True."""
        ...

    def resize(self, size: tuple[int, int]) -> None: ...

    def stop(self, grace: float) -> None: ...

    def wait(self) -> int | None: ...

    def close(self) -> None: ...


class LocalProgram:
    def __init__(self, pid: int, master: int) -> None:
        self.pid, self.master = pid, master

    def fileno(self) -> int:
        return self.master

    def read(self) -> bytes:
        try:
            return os.read(self.master, CHUNK)
        except OSError as exc:  # EIO: the program's side of the pty is closed
            if exc.errno != errno.EIO:
                raise
            return b""

    def write(self, data: bytes) -> None:
        _write_all(self.master, data)

    def echoes(self) -> bool:
        return _echoes(self.master)

    def resize(self, size: tuple[int, int]) -> None:
        _setterminal_size(self.master, size)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGWINCH)

    def stop(self, grace: float) -> None:
        procs.stop_group(self.pid, grace)

    def wait(self) -> int | None:
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return None
        return os.waitstatus_to_exitcode(status)  # -N for signal N, as for other commands

    def close(self) -> None:
        os.close(self.master)


def _spawn(spec: CommandSpec, size: tuple[int, int]) -> tuple[int, int]:
    """Fork onto a new pty (its own session: the pty is its controlling terminal);
    the child execs only after `on_start` journaled its group."""
    shell = shutil.which(spec.shell) or spec.shell
    env = {**os.environ, **spec.env, "TERM": os.environ.get("TERM") or "xterm-256color"}
    gate_r, gate_w = os.pipe()
    pid, master = pty.fork()
    if pid == 0:  # the child: wait at the gate, then become the shell; never return
        try:
            os.close(gate_w)
            if os.read(gate_r, 1):  # EOF: runbookctl died before journaling us
                if spec.cwd:
                    os.chdir(spec.cwd)
                os.execve(shell, [shell, "-c", spec.command], env)
        finally:
            os._exit(127)
    os.close(gate_r)
    _setterminal_size(master, size)
    try:
        if spec.on_start is not None:
            spec.on_start(pid, procs.start_time(pid))
        os.write(gate_w, b"g")
    except BaseException:
        os.close(gate_w)  # EOF at the gate: the command does not run
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        os.close(master)
        raise
    os.close(gate_w)
    return pid, master


class _Session:
    """The pump between the operator's terminal and the program."""

    def __init__(self, program: Program, recorder: CastRecorder, stdin_fd: int,
                 stdout_fd: int) -> None:
        self.program, self.recorder = program, recorder
        self.stdin_fd, self.stdout_fd = stdin_fd, stdout_fd
        self.resized = False

    def run(self, deadline: float | None) -> tuple[int | None, bool]:
        saved = _raw(self.stdin_fd)
        # Only the main thread may take a signal (the engine runs there).
        main = threading.current_thread() is threading.main_thread()
        old_winch = signal.signal(signal.SIGWINCH, self._on_winch) if main else None
        try:
            timed_out = not self._pump(deadline)
            if timed_out:
                self.program.stop(2.0)
            return self.program.wait(), timed_out
        except BaseException:
            self.program.stop(0.5)
            self.program.wait()
            raise
        finally:
            if main:
                signal.signal(signal.SIGWINCH, old_winch)
            if saved is not None:
                with contextlib.suppress(termios.error):  # a closed terminal has no mode left
                    termios.tcsetattr(self.stdin_fd, termios.TCSAFLUSH, saved)
            self.program.close()

    def _pump(self, deadline: float | None) -> bool:
        """Copy keys in and output out until the program's side closes (True), or
        the deadline passes (False)."""
        reading: list[Any] = [self.program, self.stdin_fd]
        while True:
            if self.resized:
                self._resize()
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if wait == 0.0:
                return False
            try:
                ready, _, _ = select.select(reading, [], [], QUIET if wait is None else
                                            min(wait, QUIET))
            except InterruptedError:
                continue
            if not ready:
                _write_all(self.stdout_fd, self.recorder.idle())
                continue
            if self.program in ready and not self._from_program():
                return True
            if self.stdin_fd in ready and not self._from_operator():
                reading.remove(self.stdin_fd)  # the operator's stdin closed: output only

    def _from_program(self) -> bool:
        data = self.program.read()
        if not data:
            return False
        _write_all(self.stdout_fd, self.recorder.output(data))
        return True

    def _from_operator(self) -> bool:
        data = os.read(self.stdin_fd, CHUNK)
        if not data:
            return False
        echoed = self.program.echoes()
        self.program.write(data)
        self.recorder.input(data, echoed)
        return True

    def _on_winch(self, _signum: int, _frame: object) -> None:
        self.resized = True

    def _resize(self) -> None:
        self.resized = False
        size = terminal_size(self.stdout_fd) or terminal_size(self.stdin_fd)
        if size is not None:
            self.program.resize(size)
            self.recorder.resize(size)


def _raw(fd: int) -> list[Any] | None:
    """Raw mode on the operator's terminal (None when it is not one)."""
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return None
    tty.setraw(fd, termios.TCSANOW)
    return saved


def _echoes(master: int) -> bool:
    """Whether typed keys are shown: the terminal echoes them, or the program reads
    key by key and draws them itself (readline: psql, bash). A line read without
    echo — getpass, `read -s`, a sudo or psql password prompt — is not shown, and
    so never recorded."""
    try:
        lflag = termios.tcgetattr(master)[3]
    except termios.error:
        return False
    return bool(lflag & termios.ECHO) or not lflag & termios.ICANON


def terminal_size(fd: int) -> tuple[int, int] | None:
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    return (cols, rows) if cols and rows else None


def _setterminal_size(fd: int, size: tuple[int, int]) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            select.select([], [fd], [])


def _sha256(path: Path) -> str:
    import hashlib

    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
