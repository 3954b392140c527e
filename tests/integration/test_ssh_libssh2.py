"""The libssh2 path (executors/ssh/libssh2_conn.py, libssh2_run.py) where an adversarial
review found it unlike the paramiko path: every test runs a step on both engines
(fanout=1: libssh2 for every host) against real sshd servers, and expects the same."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbookctl.executors.ssh.client import SSHExecutor
from runbookctl.safety.masking import Redactor
from tests.integration.test_ssh_executor import Sink as ReachedSink
from tests.integration.test_ssh_executor import make_spec, run
from tests.sshd import Fleet
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

ENGINES = {"paramiko": 10**6, "libssh2": 1}


@pytest.fixture(params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def executor(sshd_fleet: Fleet, engine: str) -> Iterator[SSHExecutor]:
    ex = SSHExecutor(sshd_fleet.config(), fanout=ENGINES[engine])
    try:
        yield ex
    finally:
        ex.close()


def test_a_missing_cwd_is_a_failure_not_success(sshd_fleet: Fleet, executor: SSHExecutor,
                                                 tmp_path: Path, engine: str) -> None:
    # `cd DIR || exit 1` ends the line early: no command ran, which is a failure
    # (libssh2 cannot tell 0 from no status: remote_shell.confirmed_command's mark does).
    server = sshd_fleet.hosts(1)[0]
    (r,), _ = run(executor, make_spec(tmp_path, "echo ran", [server.spec],
                                      cwd="/nonexistent-rb-review"))
    assert r.stdout == ""
    assert not r.ok, (engine, r.exit_code, r.error)
    assert r.exit_code == 1, (engine, r.exit_code, r.error)


def test_a_socket_numbered_above_1023_does_not_crash_the_step(
        sshd_fleet: Fleet, executor: SSHExecutor, tmp_path: Path, engine: str) -> None:
    # A step on a few hundred hosts (a socket and a log file each, pooled sockets of
    # earlier steps) goes past fd 1023, where select.select raises: the waits poll.
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("fd limit too low to reach fd 1024")
    if soft != resource.RLIM_INFINITY and soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    server = sshd_fleet.hosts(1)[0]
    held = []
    try:
        while not held or held[-1] < 1100:
            held.append(os.open("/dev/null", os.O_RDONLY))
        (r,), _ = run(executor, make_spec(tmp_path, "sleep 0.5; echo done", [server.spec]))
    finally:
        for fd in held:
            os.close(fd)
    assert (r.exit_code, r.stdout, r.error) == (0, "done\n", None), (engine, r)


def test_a_silent_host_fails_after_one_connect_timeout(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    # A host that accepts TCP but never answers (a hung sshd) is waited for once: a
    # libssh2 handshake that times out is not handed to paramiko to wait a second time.
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def hold() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=hold, daemon=True).start()
    port = listener.getsockname()[1]
    ex = SSHExecutor(sshd_fleet.config(connect_timeout=1.0), fanout=ENGINES[engine])
    try:
        (r,), _ = run(ex, make_spec(tmp_path, "true", [f"{sshd_fleet.user}@127.0.0.1:{port}"]))
    finally:
        ex.close()
        listener.close()
    assert r.error == (f"127.0.0.1:{port} did not answer within 1s (host down, overloaded, "
                       "or not an SSH server: no SSH banner)"), (engine, r.error)
    assert len(accepted) == 1, engine  # one connection, one wait


def test_a_connection_lost_mid_command_is_reported_lost(
        sshd_fleet: Fleet, executor: SSHExecutor, tmp_path: Path, engine: str) -> None:
    server = sshd_fleet.start_extra()
    sshd_fleet.known_hosts.write_text(sshd_fleet.known_hosts.read_text()
                                      + server.known_hosts_line)
    # the shell's parent is the per-connection sshd: killing it drops the TCP connection.
    # It does so once "before" has reached us (the sink makes `go`): killed earlier, the
    # server (or the kernel, at the reset) could drop it, and the test would be a race.
    go = sshd_fleet.scratch() / "go"

    class Sink(ReachedSink):
        def output(self, host: str, stream: str, text: str) -> None:
            super().output(host, stream, text)
            if "before" in text:
                go.touch()

    cmd = (f"echo before; i=0; while [ ! -e {go} ] && [ $i -lt 300 ]; do sleep 0.05; "
           "i=$((i+1)); done; kill -9 $(awk '{print $4}' /proc/$PPID/stat); sleep 5; "
           "echo after")
    started = time.monotonic()
    sink = Sink()
    (r,) = executor.execute(make_spec(tmp_path, cmd, [server.spec], timeout=20), sink,
                            Redactor())
    assert go.exists()
    assert r.stdout == "before\n"
    assert r.exit_code is None and not r.ok, (engine, r)
    assert r.error and "connection lost" in r.error, (engine, r.error)
    assert time.monotonic() - started < 10


class _SlowExecServer:
    """A stand-in SSH server (paramiko's server side) whose host answers the first
    `exec` request only after `delay` seconds (a loaded host): it counts the exec
    requests it acts on, as sshd would act on one already in its socket buffer."""

    def __init__(self, fleet: Fleet, delay: float) -> None:
        import socket
        import threading

        import paramiko

        self.delay = delay
        self.execs: list[str] = []
        self.host_key = paramiko.Ed25519Key.from_path(str(
            fleet.servers[0].host_key)) if fleet.servers else None
        self.client_pub = paramiko.PKey.from_path(str(fleet.client_key))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.transports: list[Any] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import threading

        import paramiko

        outer = self

        class Iface(paramiko.ServerInterface):
            def check_channel_request(self, kind: str, chanid: int) -> int:
                return paramiko.OPEN_SUCCEEDED

            def get_allowed_auths(self, username: str) -> str:
                return "publickey"

            def check_auth_publickey(self, username: str, key: Any) -> int:
                ok = key.get_base64() == outer.client_pub.get_base64()
                return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

            def check_channel_exec_request(self, channel: Any, command: bytes) -> bool:
                outer.execs.append(command.decode())
                if len(outer.execs) == 1:
                    time.sleep(outer.delay)  # the host is stalled

                def finish() -> None:
                    time.sleep(0.1)
                    channel.send_exit_status(1)
                    channel.close()

                threading.Thread(target=finish, daemon=True).start()
                return True

        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            t = paramiko.Transport(conn)
            t.add_server_key(self.host_key)
            self.transports.append(t)
            try:
                t.start_server(server=Iface())
            except Exception:
                continue

    def close(self) -> None:
        self.listener.close()
        for t in self.transports:
            t.close()


def test_a_command_the_host_was_slow_to_accept_is_not_sent_twice(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    # A host slower than connect_timeout to acknowledge the exec (loaded, swapping) has
    # the request in hand: the step reads it as lost, and never sends it again on a new
    # connection (a production command, maybe not idempotent, would run twice).
    server = sshd_fleet.hosts(1)[0]
    fake = _SlowExecServer(sshd_fleet, delay=2.5)
    kh = tmp_path / "known_hosts"
    kind, blob = server.public_key.split()[:2]
    kh.write_text(f"[127.0.0.1]:{fake.port} {kind} {blob}\n")
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(kh), connect_timeout=1.0),
                     fanout=ENGINES[engine])
    try:
        (r,), _ = run(ex, make_spec(tmp_path, "touch /tmp/deployed-once",
                                    [f"{sshd_fleet.user}@127.0.0.1:{fake.port}"], timeout=10))
        connections = len(fake.transports)  # any re-send happened within run(), on a new one
    finally:
        ex.close()
        fake.close()
    assert connections == 1, (engine, connections, r)
    assert not r.ok  # paramiko waits for the answer (exit 1); libssh2 calls it lost


_DRIVER = r'''
import json, sys, threading
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from runbookctl.executors.base import CommandSpec
from runbookctl.executors.ssh.client import SSHExecutor
from runbookctl.executors.ssh.settings import SSHConfig
from runbookctl.safety.masking import Redactor
args = json.loads(sys.argv[1])
class Sink:
    live = True
    def __init__(self): self.seen = threading.Event()
    def output(self, host, stream, text):
        if "started" in text:
            print("STARTED " + host, flush=True)
ex = SSHExecutor(SSHConfig(**args["config"]), fanout=args["fanout"])
spec = CommandSpec(step_id="s", command=args["command"], display="x",
                   log_path=Path(args["logs"]) / "0001-s.log", hosts=args["hosts"], timeout=60)
results = ex.execute(spec, Sink(), Redactor())
ex.close()
print("RESULT " + json.dumps([[r.interrupted, r.exit_code, r.error, r.duration] for r in results]),
      flush=True)
'''


def test_ctrl_c_on_the_libssh2_path_stops_the_remote_commands(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    # test_ssh_executor's Ctrl-C test runs its executor in a driver process that its
    # `engine` fixture does not reach: this one gives the engine to the driver.
    import json
    import signal
    import subprocess
    import sys
    import uuid

    servers = sshd_fleet.hosts(2)
    marker = f"rbreview-{uuid.uuid4().hex[:12]}"
    command = f"echo started; sh -c 'trap \"\" HUP; while :; do sleep 1; done' {marker}"
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER)
    args = {"config": dict(sshd_fleet.config().__dict__), "fanout": ENGINES[engine],
            "hosts": [s.spec for s in servers], "command": command, "logs": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, str(script), json.dumps(args),
                             str(Path(__file__).parents[2] / "src")],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        started = {proc.stdout.readline().strip() for _ in servers}  # every host's command
        assert started == {f"STARTED {s.spec}" for s in servers}
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    for interrupted, code, error, duration in json.loads(line.removeprefix("RESULT ")):
        assert (interrupted, code) == (True, None), (engine, error)
        assert error == "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM", error
        assert duration < 10
    def gone() -> bool:
        return not subprocess.run(["pgrep", "-u", servers[0].user, "-f", marker],
                                  capture_output=True, text=True).stdout.split()

    wait_for("the remote commands to be gone", gone, deadline=10)


def test_a_fan_out_on_libssh2_drives_its_hosts_from_one_thread(
        sshd_fleet: Fleet, tmp_path: Path) -> None:
    """12 hosts at once, each held in its command until the test lets it go: meanwhile
    one thread (libssh2_loop.FanOut) drives them all, not a thread a host."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tests.integration.test_ssh_executor import barrier

    servers = sshd_fleet.hosts(12)
    out_dir = sshd_fleet.scratch()
    gate = out_dir / "go"
    command = (barrier(out_dir, 12) + f'; while [ ! -e "{gate}" ]; do sleep 0.05; done; '
               "echo done-$((6*7))")
    ex = SSHExecutor(sshd_fleet.config(), fanout=10)
    try:
        with ThreadPoolExecutor(1) as caller:
            step = caller.submit(run, ex, make_spec(tmp_path, command,
                                                    [s.spec for s in servers], parallel=12))
            wait_for("12 commands running", lambda: len(list(out_dir.glob("started-*"))) == 12)
            names = [t.name for t in threading.enumerate()]
            gate.touch()
            results, _ = step.result(timeout=60)
    finally:
        ex.close()
    assert [(r.exit_code, r.stdout) for r in results] == [(0, "done-42\n")] * 12
    assert names.count("runbookctl-ssh-loop") == 1, names
    assert not [n for n in names if n.startswith("runbookctl-ssh_")], names  # no host's thread


def test_a_host_named_twice_in_a_step_runs_twice_on_its_one_connection(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    """The second is handed to a thread (libssh2_loop.FanOut): it waits for the first
    on the host's one session, then runs on it."""
    (server,) = sshd_fleet.hosts(1)
    ex = SSHExecutor(sshd_fleet.config(), fanout=ENGINES[engine])
    try:
        results, _ = run(ex, make_spec(tmp_path, 'echo "pid $PPID"', [server.spec] * 2))
    finally:
        ex.close()
    assert [(r.host, r.exit_code) for r in results] == [(server.spec, 0)] * 2, results
    assert all(r.stdout.startswith("pid ") for r in results)


def test_a_host_flooding_output_does_not_hold_up_the_others(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    """One host prints without pause (faster than it can be read) until the three
    others have run theirs: they must get their turns meanwhile (one thread drives them
    all on libssh2), or they wait until the flood gives up, past their timeouts."""
    servers = sshd_fleet.hosts(4)
    out_dir = sshd_fleet.scratch()
    flood = (f'yes flood & y=$!; touch "{out_dir}/flooding"; n=0; '
             f'while [ "$(ls {out_dir} | grep -c done-)" -lt 3 ]; do sleep 0.05; '
             "n=$((n+1)); if [ $n -gt 160 ]; then kill $y; exit 9; fi; done; kill $y; echo")
    # Each waits for the flood, then prints more than a channel's window: the server
    # holds it until it is read.
    quick = (f'while [ ! -e "{out_dir}/flooding" ]; do sleep 0.02; done; '
             "head -c 3000000 /dev/zero | tr '\\0' q >/dev/stderr; "
             f'touch "{out_dir}/done-${{SSH_CONNECTION##* }}"; echo quick')
    ex = SSHExecutor(sshd_fleet.config(), fanout=ENGINES[engine])
    try:
        spec = make_spec(tmp_path, quick, [s.spec for s in servers], timeout=20)
        spec.per_host[servers[0].spec] = flood
        results, _ = run(ex, spec)
    finally:
        ex.close()
    assert [(r.exit_code, r.stdout) for r in results[1:]] == [(0, "quick\n")] * 3, results[1:]
    assert results[0].exit_code == 0, results[0].error


def test_a_key_accepted_by_a_host_whose_command_timed_out_is_on_its_row(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    (server,) = sshd_fleet.hosts(1)
    known = tmp_path / "ssh" / "known_hosts"
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known), host_key_policy="accept-new"),
                     fanout=ENGINES[engine])
    try:
        (r,), _ = run(ex, make_spec(tmp_path, "sleep 30", [server.spec], timeout=1))
    finally:
        ex.close()
    assert (r.timed_out, r.host_key_accepted) == (True, server.fingerprint), r


def test_a_stop_as_a_login_completes_keeps_its_accepted_key_on_the_row(
        sshd_fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key is filed in known_hosts by then: the host's row must say so."""
    from runbookctl.executors.ssh import libssh2_loop

    connect = libssh2_loop.FanOut._connect

    def then_stop(fan: Any, target: Any, key_file: str) -> Any:
        opened = yield from connect(fan, target, key_file)
        fan.stop.set()  # as a Ctrl-C would, right then
        return opened

    monkeypatch.setattr(libssh2_loop.FanOut, "_connect", then_stop)
    (server,) = sshd_fleet.hosts(1)
    known = tmp_path / "ssh" / "known_hosts"
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known), host_key_policy="accept-new"),
                     fanout=1)
    try:
        (r,), _ = run(ex, make_spec(tmp_path, "true", [server.spec]))
    finally:
        ex.close()
    assert (r.interrupted, r.error, r.host_key_accepted) == (
        True, "interrupted while connecting", server.fingerprint)
    assert server.public_key.split()[1] in known.read_text()
