"""Local commands: a shell in its own process group, output streamed through
the masker to the sink, the log file, a bounded capture and a tail
(executors.output).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import selectors
import shutil
import signal
import subprocess
import time

from runbookctl.durations import format_seconds
from runbookctl.executors import procs
from runbookctl.executors.base import (
    LOCAL,
    CommandSpec,
    HostResult,
    Masker,
    OutputSink,
    attach_results,
)
from runbookctl.executors.output import Output
from runbookctl.signals import mark_stopped

# Read size: 256 KiB when only logged, 64 KiB when also shown (indenting and
# scanning for escapes stay in the CPU cache: 500 MB shown in 1.39 s, not 1.7).
CHUNK = 256 * 1024
LIVE_CHUNK = 64 * 1024
# Pipes of 1 MiB instead of 64 KiB (Linux, up to /proc/sys/fs/pipe-max-size):
# the command blocks and wakes 16 times less often on a flood of output.
PIPE_SIZE = 1024 * 1024
BURST = 64  # reads from a busy pipe before looking at the clock and the other pipe again
POLL = 0.2  # seconds between checks for the shell's exit while the pipes stay open


class LocalExecutor:
    """Runs a command with the local shell; implements executors.base.Executor."""

    def __init__(self, kill_grace: float = 2.0, linger: float = 1.0) -> None:
        # kill_grace: SIGTERM to SIGKILL. linger: how long to keep reading after
        # the shell exits while a background child still holds the pipes.
        self.kill_grace = kill_grace
        self.linger = linger

    def execute(self, spec: CommandSpec, sink: OutputSink, masker: Masker) -> list[HostResult]:
        return [self._run(spec, sink, masker)]

    def close(self) -> None:
        pass

    def _run(self, spec: CommandSpec, sink: OutputSink, masker: Masker) -> HostResult:
        started = time.monotonic()
        # A path is used as it is (which() would only check it again: the access
        # check below does); a bare name is looked up on PATH.
        shell = spec.shell if "/" in spec.shell else shutil.which(spec.shell) or spec.shell
        if spec.cwd and not os.path.isdir(spec.cwd):
            return _not_run(spec, started, f"cwd does not exist: {spec.cwd}")
        if spec.on_start is not None and not os.access(shell, os.X_OK):
            return _not_run(spec, started, f"cannot start {spec.shell}: No such file or directory")
        out = Output(spec, sink, masker)  # the log file is made at the first byte of output
        try:
            proc, forked = _start(spec, shell)
        except OSError as exc:
            out.finish()
            return _not_run(spec, started, f"cannot start {spec.shell}: {exc.strerror or exc}")
        _at_gate(spec, proc, forked)  # not inside that `except`: its errors are not the shell's
        return _Run(self, spec, proc, out, started).wait()


# With an on_start hook, the shell waits at this gate until the hook has journaled
# its process group: a command never runs without a record that finds it again
# after runbookctl is killed. If runbookctl dies first, the gate reads EOF and
# the command never runs. `exec` keeps the pid (the group's id).
GATE = 'read -r go && exec "$0" -c "$1" </dev/null'
# A POSIX shell waits at the gate itself and then evaluates the command in the
# same process: one exec a step instead of two (~0.6 ms, a fifth of a `true`
# step's cost). `shift` inside the eval leaves the command no positional
# parameters, as `sh -c CMD` does.
OWN_GATE = 'read -r go && exec </dev/null && eval "shift; $1"'
POSIX_SHELLS = frozenset({"sh", "dash", "bash", "ash", "ksh", "zsh"})


def _argv(spec: CommandSpec, shell: str) -> list[str]:
    if spec.on_start is None:
        return [shell, "-c", spec.command]
    if os.path.basename(shell) in POSIX_SHELLS:
        return [shell, "-c", OWN_GATE, shell, spec.command]
    return ["/bin/sh", "-c", GATE, shell, spec.command]


def _start(spec: CommandSpec, shell: str
           ) -> tuple[subprocess.Popen[bytes], tuple[int | None, int | None]]:
    """The shell, started; and the boot clock before and after, which say when it forked."""
    gated = spec.on_start is not None
    before = procs.boot_clock()
    proc = subprocess.Popen(
        _argv(spec, shell),
        bufsize=0,  # raw pipes: only their fds are read; buffered ones cost 3 system calls each
        stdin=subprocess.PIPE if gated else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=spec.cwd or None,
        # None inherits os.environ: copying it costs ~0.1 ms a step for nothing.
        env={**os.environ, **spec.env} if spec.env else None,
        start_new_session=True,
    )
    return proc, (before, procs.boot_clock())


def _at_gate(spec: CommandSpec, proc: subprocess.Popen[bytes],
             forked: tuple[int | None, int | None]) -> None:
    """Call on_start while the shell waits at its gate. Whatever it raises (a journal
    that cannot be written, a closed terminal) is raised on, and the gate reads EOF:
    the command never runs."""
    if spec.on_start is None or proc.stdin is None:
        return
    try:
        spec.on_start(proc.pid, procs.start_time_between(proc.pid, *forked))
    except BaseException:
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()  # stdin first: EOF at the gate, and the shell exits
        proc.wait()
        raise


def _open_gate(proc: subprocess.Popen[bytes]) -> None:
    """Let a gated command run. Called inside _Run.wait's guard: a signal that the
    command itself provokes (`kill $PPID`) always finds the pump ready to stop it."""
    if proc.stdin is None:
        return
    try:
        # A gate already gone (its shell killed from outside) shows as the exit code.
        with contextlib.suppress(OSError):
            proc.stdin.write(b"go\n")
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _not_run(spec: CommandSpec, started: float, error: str) -> HostResult:
    return HostResult(host=LOCAL, exit_code=None, duration=time.monotonic() - started, error=error)


class _Run:
    """One started process: pump its pipes until it ends, times out or is interrupted."""

    def __init__(
        self,
        executor: LocalExecutor,
        spec: CommandSpec,
        proc: subprocess.Popen[bytes],
        out: Output,
        started: float,
    ) -> None:
        self.executor = executor
        self.spec = spec
        self.proc = proc
        self.out = out
        self.started = started
        self.chunk = LIVE_CHUNK if out.live else CHUNK
        assert proc.stdout is not None and proc.stderr is not None
        self.pipes = _Pipes({proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"})
        self.exit_watch = _exit_watch(proc.pid)
        self.unshown = False  # set when output could not be shown while stopping

    def wait(self) -> HostResult:
        try:
            return self._wait()
        except BaseException as exc:  # the run stops: what ran so far stays in the record
            attach_results(exc, [self._result(0, False, "stopped")])
            raise

    def _wait(self) -> HostResult:
        timed_out = interrupted = False
        try:
            _open_gate(self.proc)
            timed_out = not self._pump()
        except KeyboardInterrupt:
            interrupted = True
        except BaseException as exc:  # SIGTERM/SIGHUP stop the run: leave no process behind
            self._stop(exc, min(self.executor.kill_grace, 0.5))
            raise
        stopped = ""
        try:
            if timed_out or interrupted:
                stopped = self._stop(None, self.executor.kill_grace)
                self._drain(time.monotonic() + 1.0)
            code = self.proc.wait()
        except BaseException as exc:  # a second Ctrl-C while stopping: killed, say so
            mark_stopped(exc, stopped or "command stopped with SIGKILL")
            raise
        finally:
            self._close()
        return self._result(code, timed_out, stopped if interrupted else None)

    def _stop(self, exc: BaseException | None, grace: float) -> str:
        """Stop the group; with `exc` (the run is stopping), record how on it and close."""
        # The run stopping (a signal, a closed output): only wait, as showing may fail.
        idle = self._idle if exc is None else time.sleep
        try:
            how = procs.stop_group(self.proc.pid, grace, self.proc.poll, idle)
        except BaseException as again:
            mark_stopped(again, "command stopped with SIGKILL")
            if exc is None:
                raise
            how = "command stopped with SIGKILL"
        if exc is not None:
            mark_stopped(exc, how)
            self._close()
        return how

    def _pump(self) -> bool:
        """Read until EOF and the shell's exit (False if the timeout struck first)."""
        deadline = None if self.spec.timeout is None else self.started + self.spec.timeout
        linger_until: float | None = None
        while True:
            now = time.monotonic()
            exited = self.proc.poll() is not None
            if exited and not self.pipes.names:
                return True
            if deadline is not None and now >= deadline:
                return False
            if exited and linger_until is None:
                linger_until = now + self.executor.linger
            if linger_until is not None and now >= linger_until:
                return True  # a background child holds the pipes: stop listening
            wait = POLL if deadline is None else min(POLL, deadline - now)
            if self.pipes.names:
                self._read_ready(wait)
            else:  # the pipes are closed but the shell still runs
                self._await_exit(wait)

    def _await_exit(self, wait: float) -> None:
        """Block until the shell exits or `wait` passes. A shell closes its pipes just
        before it exits, so most steps land here: woken by the exit itself (the pidfd),
        not by Popen.wait's polling, whose first sleep alone (0.5 ms, ~1 ms on a busy
        machine) was a third of a `true` step's cost."""
        if self.exit_watch is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(wait)
            return
        self.exit_watch.poll(max(wait, 0) * 1000)

    def _read_ready(self, wait: float) -> None:
        for fd, name in self.pipes.ready(max(wait, 0)):
            # The pipes are non-blocking: read what is there, a burst at most.
            for _ in range(BURST):
                try:
                    data = os.read(fd, self.chunk)
                except BlockingIOError:
                    break
                if not data:
                    self.pipes.drop(fd)
                    break
                self.out.feed(name, data)
                if len(data) < self.chunk:
                    break

    def _idle(self, wait: float) -> None:
        """While a stopped command winds down: what it prints is read (and shown). If
        it cannot be shown (the output was closed), its grace is only waited out."""
        if self.pipes.names and not self.unshown:
            try:
                self._read_ready(wait)
            except OSError:
                self.unshown = True
        else:
            time.sleep(wait)

    def _drain(self, until: float) -> None:
        while self.pipes.names and time.monotonic() < until:
            self._read_ready(min(POLL, until - time.monotonic()))

    def _close(self) -> None:
        self.pipes.close()
        if self.exit_watch is not None:
            self.exit_watch.close()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        self.out.finish()

    def _result(self, code: int, timed_out: bool, stopped: str | None) -> HostResult:
        """`stopped`: how the command was stopped after a first Ctrl-C (None: it was not)."""
        error: str | None = None
        exit_code: int | None = code
        interrupted = stopped is not None
        if timed_out:
            exit_code, error = None, f"timed out after {format_seconds(self.spec.timeout or 0)}"
        elif interrupted:
            exit_code, error = None, f"interrupted by SIGINT (Ctrl-C); {stopped}"
        elif code < 0:
            exit_code, error = 128 - code, f"killed by signal {_signal_name(-code)}"
        streams = self.out.streams
        return HostResult(
            host=LOCAL,
            exit_code=exit_code,
            duration=time.monotonic() - self.started,
            stdout=streams["stdout"].text,
            stderr=streams["stderr"].text,
            stdout_truncated=streams["stdout"].truncated,
            stderr_truncated=streams["stderr"].truncated,
            output_bytes=self.out.raw_bytes,
            output_sha256=self.out.sha256,
            tail=self.out.tail_lines(),
            timed_out=timed_out,
            interrupted=interrupted,
            error=error or self.out.log_error,
            log_path=self.out.log_written,
        )


class _Pipes:
    """The command's stdout and stderr, until each reaches EOF: non-blocking, in big
    pipes, watched by epoll (selectors' choice on Linux). Not poll: poll lists ready
    pipes by number, epoll in the order their data came, so a line a program wrote
    to stderr in two writes is not cut by stdout written after it (the journaled
    tail interleaves the two streams as they were read)."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names  # fd -> stream name, for the pipes still open
        self._watch = selectors.DefaultSelector()  # epoll on Linux
        for fd in names:
            _prepare_pipe(fd)
            self._watch.register(fd, selectors.EVENT_READ)

    def ready(self, wait: float) -> list[tuple[int, str]]:
        """The open pipes with something to read (or at EOF) within `wait` seconds."""
        return [(key.fd, self.names[key.fd]) for key, _ in self._watch.select(wait)
                if key.fd in self.names]

    def drop(self, fd: int) -> None:
        self._watch.unregister(fd)
        del self.names[fd]

    def close(self) -> None:
        self.names.clear()
        self._watch.close()


class _ExitWatch:
    """A pidfd (Linux 5.3+): readable once the process has exited."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)

    def poll(self, timeout_ms: float) -> None:
        self._poll.poll(timeout_ms)

    def close(self) -> None:
        # Once only: _Run._close can run twice, and a number closed twice may
        # already belong to a file opened since.
        fd, self.fd = self.fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


def _exit_watch(pid: int) -> _ExitWatch | None:
    """Watch `pid`'s exit, or None where pidfds are missing (not Linux, old kernel):
    then the wait falls back to Popen.wait's polling."""
    try:
        return _ExitWatch(os.pidfd_open(pid))
    except (AttributeError, OSError):
        return None


def _prepare_pipe(fd: int) -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or over the user's pipe quota
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    os.set_blocking(fd, False)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
