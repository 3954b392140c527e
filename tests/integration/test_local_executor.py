"""LocalExecutor against real shells: streaming, masking, logs, limits, timeouts,
process-group cleanup, Ctrl-C from a real terminal, bounded memory."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

from runbookctl.executors.base import CAPTURE_LIMIT, TAIL_LINES, CommandSpec, HostResult
from runbookctl.executors.local import LocalExecutor
from runbookctl.safety.masking import Redactor

pytestmark = pytest.mark.integration

SECRET = "canary-S3cr3t-9f8e7d"


class Recorder:
    """An OutputSink keeping what would reach the terminal."""

    live = True

    def __init__(self) -> None:
        self.chunks: list[tuple[str, str, str]] = []

    def output(self, host: str, stream: str, text: str) -> None:
        self.chunks.append((host, stream, text))

    def text(self, stream: str) -> str:
        return "".join(t for _, s, t in self.chunks if s == stream)


def run(
    tmp_path: Path,
    command: str,
    *,
    secrets: tuple[str, ...] = (SECRET,),
    executor: LocalExecutor | None = None,
    **spec: object,
) -> tuple[HostResult, Recorder]:
    sink = Recorder()
    log = tmp_path / "logs" / "step.log"
    full = CommandSpec("step", command, command, log, **spec)  # type: ignore[arg-type]
    [result] = (executor or LocalExecutor()).execute(full, sink, Redactor(secrets))
    return result, sink


def live_members(pgid: int) -> list[int]:
    """Processes of a group that are alive (zombies are dead, not counted)."""
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] not in "ZX" and int(fields[2]) == pgid:
            alive.append(int(entry.name))
    return alive


def test_output_streams_to_sink_log_capture_and_tail(tmp_path: Path) -> None:
    result, sink = run(tmp_path, "echo out1; echo err1 >&2; echo out2")
    assert result.ok and result.exit_code == 0 and result.host == "local"
    assert (result.stdout, result.stderr) == ("out1\nout2\n", "err1\n")
    assert sink.text("stdout") == "out1\nout2\n" and sink.text("stderr") == "err1\n"
    log = Path(result.log_path).read_bytes()
    assert sorted(log.decode().splitlines()) == ["err1", "out1", "out2"]
    assert result.output_sha256 == hashlib.sha256(log).hexdigest()
    assert result.output_bytes == len(b"out1\nout2\nerr1\n")
    assert sorted(result.tail.splitlines()) == ["err1", "out1", "out2"]


def test_a_line_written_in_two_writes_stays_whole_in_the_tail(tmp_path: Path) -> None:
    """Python with PYTHONUNBUFFERED writes print()'s text and its newline apart. The
    first half is read alone (its last word held back by the token scan); the rest of
    the line and a later stdout line are then both waiting, and the stream whose data
    came first is read first: the tail keeps the stderr line whole."""
    command = "printf 'timed ' >&2; sleep 0.3; printf 'out\\n' >&2; printf '50.0\\n'"
    result, _ = run(tmp_path, command)
    assert result.exit_code == 0
    assert result.tail == "timed out\n50.0\n"


def test_secret_never_leaves_even_split_across_writes(tmp_path: Path) -> None:
    # The halves arrive in separate reads; the encoded form too.
    command = (
        f"printf '%s' {SECRET[:7]}; sleep 0.2; printf '%s\\n' {SECRET[7:]};"
        f" printf '%s' {SECRET} | base64; printf 'x%s\\n' {SECRET} >&2"
    )
    result, sink = run(tmp_path, command)
    assert result.exit_code == 0
    seen = [sink.text("stdout"), sink.text("stderr"), result.stdout, result.stderr, result.tail]
    seen.append(Path(result.log_path).read_text())
    for text in seen:
        assert SECRET not in text and "Y2FuYXJ5LVMzY3Iz" not in text
    assert result.stdout.startswith("***\n") and result.stderr == "x***\n"


def test_terminal_escapes_are_neutralised_for_the_terminal_not_the_log(tmp_path: Path) -> None:
    result, sink = run(tmp_path, r"printf '\033[2J\033]0;title\007red\n'")
    assert sink.text("stdout") == "␛[2J␛]0;title␇red\n"
    assert result.tail == "␛[2J␛]0;title␇red\n"
    assert Path(result.log_path).read_bytes() == b"\x1b[2J\x1b]0;title\x07red\n"


def test_env_cwd_and_bash_from_path(tmp_path: Path) -> None:
    command = 'echo "$GREETING ${BASH_VERSION:+bash}"; pwd'
    result, _ = run(tmp_path, command, env={"GREETING": "hi"}, cwd=str(tmp_path), shell="bash")
    assert result.stdout == f"hi bash\n{tmp_path}\n"


def test_stdin_is_empty(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "cat; echo done")
    assert result.stdout == "done\n"


def test_command_not_found_is_exit_127(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "no-such-command-xyz")
    assert result.exit_code == 127 and not result.ok
    assert "no-such-command-xyz" in result.stderr and "not found" in result.stderr


def test_missing_cwd_is_a_clean_error(tmp_path: Path) -> None:
    result, sink = run(tmp_path, "touch created", cwd=str(tmp_path / "nope"))
    assert result.exit_code is None and not result.ok
    assert result.error == f"cwd does not exist: {tmp_path / 'nope'}"
    assert sink.chunks == [] and not (tmp_path / "created").exists()


def test_missing_shell_is_a_clean_error(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "true", shell="no-such-shell")
    assert result.exit_code is None
    assert result.error == "cannot start no-such-shell: No such file or directory"


def test_killed_by_a_signal_reads_like_a_shell(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "kill -9 $$")
    assert result.exit_code == 137 and result.error == "killed by signal SIGKILL"


def test_invalid_and_split_utf8(tmp_path: Path) -> None:
    result, _ = run(tmp_path, r"printf '\342\234'; sleep 0.1; printf '\223 ok \377\n'")
    assert result.stdout == "✓ ok \ufffd\n"


def test_large_output_is_truncated_in_memory_but_whole_in_the_log(tmp_path: Path) -> None:
    lines = 200_000  # ~1.3 MB, over CAPTURE_LIMIT
    result, _ = run(tmp_path, f"seq 1 {lines}")
    assert result.stdout_truncated and not result.stderr_truncated
    assert len(result.stdout.encode()) == CAPTURE_LIMIT
    log = Path(result.log_path).read_text()
    assert log.endswith(f"\n{lines}\n") and len(log) == result.output_bytes
    assert result.tail.splitlines() == [str(n) for n in range(lines - TAIL_LINES + 1, lines + 1)]


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    started = time.monotonic()
    result, _ = run(tmp_path, "echo $$; sleep 100 & sleep 100; wait", timeout=0.5)
    assert time.monotonic() - started < 30  # not the 100 s of its sleeps
    assert result.timed_out and result.exit_code is None and not result.ok
    assert result.error == "timed out after 0.5s"
    assert live_members(int(result.stdout)) == []


def test_a_child_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    command = "echo $$; (trap '' TERM; sleep 100) & trap '' TERM; wait"
    started = time.monotonic()
    result, _ = run(tmp_path, command, timeout=0.3, executor=LocalExecutor(kill_grace=0.5))
    assert 0.8 <= time.monotonic() - started < 30  # the grace, not the 100 s sleep
    assert result.timed_out
    assert live_members(int(result.stdout)) == []


def test_background_child_holding_the_pipe_does_not_hang_the_step(tmp_path: Path) -> None:
    started = time.monotonic()
    result, _ = run(tmp_path, "sleep 30 & echo started", executor=LocalExecutor(linger=0.3))
    assert time.monotonic() - started < 20  # not the 30 s of the child holding the pipe
    assert result.exit_code == 0 and result.stdout == "started\n"



def test_timeout_holds_when_the_command_closes_its_output(tmp_path: Path) -> None:
    started = time.monotonic()
    result, _ = run(tmp_path, "echo $$; exec >&- 2>&-; sleep 100", timeout=0.5)
    assert time.monotonic() - started < 30  # not the 100 s of its sleeps
    assert result.timed_out and result.error == "timed out after 0.5s"
    assert live_members(int(result.stdout)) == []


def test_a_shell_that_closed_its_output_is_waited_on_without_polling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Most shells close their pipes a moment before they exit: the wait for the exit
    # must wake on the exit itself (a pidfd), not sleep in Popen.wait's polling loop
    # (0.5 ms at least, a third of what a `true` step cost).
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds}s waiting for the shell")

    monkeypatch.setattr(time, "sleep", no_sleep)
    result, _ = run(tmp_path, "echo out; exec >&- 2>&-; sleep 0.2; exit 3")
    assert result.exit_code == 3 and result.stdout == "out\n"


def test_without_pidfds_the_exit_is_still_awaited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(pid: int) -> int:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr("os.pidfd_open", unsupported)
    result, _ = run(tmp_path, "echo out; exec >&- 2>&-; sleep 0.2; exit 3")
    assert result.exit_code == 3 and result.stdout == "out\n"


def test_quick_commands_return_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    for _ in range(20):
        result, _ = run(tmp_path, "echo hi")
        assert result.stdout == "hi\n"
    assert time.monotonic() - started < 2  # no polling delay per command

CTRL_C_SCRIPT = """
import sys
from pathlib import Path
from typing import Any
from runbookctl.executors.base import CommandSpec
from runbookctl.executors.local import LocalExecutor
from runbookctl.safety.masking import Redactor

class Sink:
    live = True

    def output(self, host, stream, text):
        print(text, end="", flush=True)

command = "echo $$; echo ready; sleep 100 & sleep 100; wait"
spec = CommandSpec("s", command, command, Path(sys.argv[1]))
[result] = LocalExecutor().execute(spec, Sink(), Redactor())
print(f"RESULT interrupted={result.interrupted} error={result.error} exit={result.exit_code}")
"""


def test_ctrl_c_at_the_terminal_stops_the_command_and_returns(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-c", CTRL_C_SCRIPT, str(tmp_path / "log")],
        encoding="utf-8",
        timeout=10,
    )
    child.expect(r"(\d+)\r\nready")
    pgid = int(child.match.group(1))
    child.sendintr()
    child.expect_exact("RESULT interrupted=True error=interrupted by SIGINT (Ctrl-C); "
                      "command stopped with SIGTERM exit=None")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0  # returned a result; nothing re-raised
    assert live_members(pgid) == []


MEMORY_SCRIPT = """
import json, resource, sys
from pathlib import Path
from typing import Any
from runbookctl.executors.base import CommandSpec
from runbookctl.executors.local import LocalExecutor
from runbookctl.safety.masking import Redactor

class Discard:
    live = True  # the display path too must stay bounded

    def output(self, host, stream, text):
        pass

spec = CommandSpec("s", sys.argv[1], sys.argv[1], Path(sys.argv[2]))
[result] = LocalExecutor().execute(spec, Discard(), Redactor(["canary-S3cr3t-9f8e7d"]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_kb": peak, "bytes": result.output_bytes}))
"""


def peak_memory(tmp_path: Path, command: str) -> dict[str, int]:
    log = tmp_path / f"mem-{len(command)}.log"
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, command, str(log)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    log.unlink(missing_ok=True)  # `true` writes nothing: no log file
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_200_mb_of_output_keeps_memory_bounded(tmp_path: Path) -> None:
    size = 200_000_000
    baseline = peak_memory(tmp_path, "true")
    big = peak_memory(tmp_path, f"yes 'a line of output 0123456789' | head -c {size}")
    assert big["bytes"] == size
    assert big["peak_kb"] - baseline["peak_kb"] < 50 * 1024, (baseline, big)


# --- the gate: a command waits for its start to be journaled (engine/command_step.py) ---

def _gated(tmp_path: Path, command: str, on_start: Any) -> CommandSpec:
    return CommandSpec("step", command, command, tmp_path / "logs" / "step.log", timeout=30,
                       on_start=on_start)


def _proc_start(pid: int) -> str:
    """Field 22 of /proc/PID/stat with the boot id, read here, not by procs."""
    after_name = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return f"{boot}:{after_name[19].decode()}"


def test_the_command_runs_only_once_on_start_has_returned(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    seen: list[bool] = []

    def on_start(pgid: int, started: str | None) -> None:
        # half a second in which a shell not held at its gate would have run the command
        deadline = time.monotonic() + 0.5
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(marker.exists())

    result, _ = run(tmp_path, f"touch {marker}", on_start=on_start, timeout=30)
    assert (result.exit_code, seen, marker.exists()) == (0, [False], True)


def test_a_hook_that_fails_means_the_command_never_runs(tmp_path: Path) -> None:
    from runbookctl.errors import JournalError

    marker = tmp_path / "ran"
    pgids: list[int] = []

    def on_start(pgid: int, started: str | None) -> None:
        pgids.append(pgid)
        raise JournalError("cannot write the journal: No space left on device")

    with pytest.raises(JournalError, match="No space left"):
        LocalExecutor().execute(_gated(tmp_path, f"touch {marker}", on_start), Recorder(),
                                Redactor())
    # the shell was reaped at its gate: nothing of the command ran, nothing is left
    assert not marker.exists() and live_members(pgids[0]) == []


def test_an_os_error_of_the_hook_is_not_a_shell_that_cannot_start(tmp_path: Path) -> None:
    def on_start(pgid: int, started: str | None) -> None:
        raise BrokenPipeError(32, "Broken pipe")  # the terminal went away while journaling

    with pytest.raises(BrokenPipeError):
        LocalExecutor().execute(_gated(tmp_path, "true", on_start), Recorder(), Redactor())


def test_the_start_time_given_at_the_gate_is_what_proc_says(tmp_path: Path) -> None:
    """Taken from the boot clock around the spawn, not read from /proc (executors/procs.py:
    start_time_between); 200 commands, as /proc has it for every one."""
    pairs: list[tuple[str | None, str]] = []

    def on_start(pgid: int, started: str | None) -> None:
        pairs.append((started, _proc_start(pgid)))

    executor = LocalExecutor()
    for _ in range(200):
        run(tmp_path, "true", executor=executor, on_start=on_start, timeout=30)
    assert len(pairs) == 200 and [given for given, proc in pairs if given != proc] == []


def test_without_a_boot_clock_the_start_time_is_read_from_proc(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl.executors import procs

    monkeypatch.setattr(procs, "_BOOT_CLOCK", None)  # as on a system without CLOCK_BOOTTIME
    pairs: list[tuple[str | None, str]] = []
    result, _ = run(tmp_path, "echo ok", on_start=lambda pgid, started: pairs.append(
        (started, _proc_start(pgid))), timeout=30)
    assert result.exit_code == 0 and len(pairs) == 1 and pairs[0][0] == pairs[0][1]


def test_what_a_stopped_command_prints_as_it_winds_down_is_read_at_once(tmp_path: Path) -> None:
    """Stopped (here by its timeout), the command's TERM trap prints and then waits for
    a go that the test gives only once that line has reached the sink: read during the
    20 s grace, not after it (it would then have been killed, its last line lost)."""
    go = tmp_path / "go"
    sink = Recorder()
    seen = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "draining-4" not in sink.text("stdout"):
            time.sleep(0.01)
        if "draining-4" in sink.text("stdout"):
            go.touch()
            seen.set()

    command = (f"trap 'echo draining-$((2+2)); while [ ! -e {go} ]; do sleep 0.05; done; "
               "echo drained-$((3+3)); exit 3' TERM; echo up; while :; do sleep 0.1; done")
    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    spec = CommandSpec("step", command, command, tmp_path / "step.log", timeout=0.3)
    [result] = LocalExecutor(kill_grace=20).execute(spec, sink, Redactor())
    watcher.join()
    assert seen.is_set() and time.monotonic() - started < 15
    assert result.timed_out and result.stdout.splitlines()[-1] == "drained-6"


def test_a_stopped_command_that_prints_much_is_not_blocked_by_a_full_pipe(
        tmp_path: Path) -> None:
    """300 kB on its way out (more than a pipe holds): read during the grace, the
    command ends by itself instead of hanging on write until SIGKILL."""
    command = ("trap 'head -c 300000 /dev/zero | tr \"\\0\" x; exit 0' TERM; echo up; "
               "while :; do sleep 0.1; done")
    started = time.monotonic()
    result, _ = run(tmp_path, command, timeout=0.3, executor=LocalExecutor(kill_grace=20))
    assert time.monotonic() - started < 15  # not the 20 s grace
    assert result.timed_out and Path(result.log_path or "").read_text().count("x") == 300000


class _ClosedOutput(Recorder):
    """A terminal that is gone once `gone_at` has been shown (`| head` that exited)."""

    def __init__(self, gone_at: str) -> None:
        super().__init__()
        self.gone_at = gone_at

    def output(self, host: str, stream: str, text: str) -> None:
        if self.gone_at in self.text("stdout") + text:
            raise BrokenPipeError(32, "Broken pipe")
        super().output(host, stream, text)


TRAP_BYE = "trap 'echo bye; sleep 0.1; exit 0' TERM; "


def test_a_stopped_command_whose_output_cannot_be_shown_keeps_its_grace(tmp_path: Path) -> None:
    """Stopped by its timeout, the command says goodbye on a closed output: it is still
    logged, the grace is waited out (not cut short by SIGKILL), and the step returns."""
    sink = _ClosedOutput("bye")
    command = TRAP_BYE + "while :; do sleep 0.05; done"
    spec = CommandSpec("step", command, command, tmp_path / "step.log", timeout=0.3)
    [result] = LocalExecutor(kill_grace=20).execute(spec, sink, Redactor())
    assert result.timed_out and result.error == "timed out after 0.3s"
    assert "bye" in Path(result.log_path or "").read_text().splitlines()  # (with the
    # shell's "Terminated" for its sleep, on stderr: the two pipes are read in any order)


def test_when_the_output_closes_the_command_is_stopped_without_showing_more(
        tmp_path: Path) -> None:
    """The output closed (the run stops): the command gets its TERM and its last words go
    to the log only; showing them would fail again and turn the stop into a SIGKILL."""
    sink = _ClosedOutput("hello")
    command = TRAP_BYE + "echo hello; while :; do sleep 0.05; done"
    spec = CommandSpec("step", command, command, tmp_path / "step.log")
    with pytest.raises(BrokenPipeError) as stopped:
        LocalExecutor().execute(spec, sink, Redactor())
    assert "bye" not in sink.text("stdout")
    assert getattr(stopped.value, "runbookctl_command_stopped", "").endswith("with SIGTERM")
