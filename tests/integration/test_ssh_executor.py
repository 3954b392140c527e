"""SSHExecutor against real OpenSSH servers on loopback (tests/sshd.py)."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbookctl.executors.base import CAPTURE_LIMIT, CommandSpec, HostResult
from runbookctl.executors.ssh.client import SSHExecutor
from runbookctl.executors.ssh.connections import IDLE_CHECK
from runbookctl.safety.masking import Redactor
from tests.sshd import (
    Fleet,
    Server,
    free_port,
    keygen,
    silent_listener,
    user_lock,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.integration


class Sink:
    live = True

    def __init__(self) -> None:
        self.chunks: list[tuple[str, str, str]] = []

    def output(self, host: str, stream: str, text: str) -> None:
        self.chunks.append((host, stream, text))

    def text(self, host: str, stream: str = "stdout") -> str:
        return "".join(t for h, s, t in self.chunks if h == host and s == stream)


def make_spec(tmp_path: Path, command: str, hosts: list[str], **kw: Any) -> CommandSpec:
    return CommandSpec(step_id="step", command=command, display=command,
                       log_path=tmp_path / "logs" / "0001-step.log", hosts=hosts,
                       timeout=kw.pop("timeout", 30), **kw)


def run(executor: SSHExecutor, spec: CommandSpec, redactor: Redactor | None = None
        ) -> tuple[list[HostResult], Sink]:
    sink = Sink()
    return executor.execute(spec, sink, redactor or Redactor()), sink


# Every test twice: every host over paramiko, then every host over libssh2 (what a step
# on many hosts uses: executors/ssh/libssh2_conn.py); both must behave alike.
ENGINES = {"paramiko": 10**6, "libssh2": 1}


@pytest.fixture(params=list(ENGINES), autouse=True)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("runbookctl.executors.ssh.client.FANOUT", ENGINES[request.param])
    return str(request.param)


def paramiko_only(engine: str) -> None:
    if engine != "paramiko":
        pytest.skip("paramiko's own transport thread")


@pytest.fixture
def executor(sshd_fleet: Fleet) -> Iterator[SSHExecutor]:
    ex = SSHExecutor(sshd_fleet.config())
    yield ex
    ex.close()


def remote_processes(user: str, marker: str) -> list[str]:
    out = subprocess.run(["pgrep", "-a", "-u", user, "-f", marker], capture_output=True,
                         text=True)
    return out.stdout.splitlines()


def wait_gone(user: str, marker: str, within: float = 5.0) -> list[str]:
    deadline = time.monotonic() + within
    while (left := remote_processes(user, marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def wait_running(user: str, marker: str, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not remote_processes(user, marker):
        assert time.monotonic() < deadline, f"remote command {marker} never started"
        time.sleep(0.05)


def barrier(folder: Path, hosts: int, deadline_s: int = 60) -> str:
    """Shell that marks this host started, then waits (at most `deadline_s`, then exit 9)
    until `hosts` hosts have started."""
    return (f'touch "{folder}/started-${{SSH_CONNECTION##* }}"; n=0; '
            f'while [ "$(ls {folder} | grep -c started-)" -lt {hosts} ]; do '
            f"n=$((n+1)); [ $n -gt {deadline_s * 20} ] && exit 9; sleep 0.05; done")


def hung_command(marker: str, ignore: str = "HUP") -> str:
    """Loops forever ignoring `ignore`; the marker is in its argv for pgrep."""
    return f"sh -c 'trap \"\" {ignore}; while :; do sleep 1; done' {marker}"


# --- running commands --------------------------------------------------------


def test_one_host_runs_the_command_as_the_user(sshd_fleet: Fleet, executor: SSHExecutor,
                                               tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    out_dir = sshd_fleet.scratch()
    command = f'echo "made by $(id -un)" > {out_dir}/side-effect; echo done; echo warn >&2; exit 3'
    results, sink = run(executor, make_spec(tmp_path, command, [server.spec]))

    (r,) = results
    assert (r.host, r.exit_code, r.error) == (server.spec, 3, None)
    assert (r.stdout, r.stderr) == ("done\n", "warn\n")
    effect = out_dir / "side-effect"
    assert effect.read_text() == f"made by {server.user}\n"
    assert effect.stat().st_uid == pwd.getpwnam(server.user).pw_uid
    assert sink.text(server.spec) == "done\n"
    assert sink.text(server.spec, "stderr") == "warn\n"
    log = Path(r.log_path)
    assert log.parent == tmp_path / "logs" and server.spec.split("@")[0] in log.name
    assert sorted(log.read_text().splitlines()) == ["done", "warn"]
    assert r.output_sha256 == hashlib.sha256(log.read_bytes()).hexdigest()
    assert r.output_bytes == 10 and "done" in r.tail


def test_env_cwd_and_quoting_reach_the_remote_shell(sshd_fleet: Fleet, executor: SSHExecutor,
                                                    tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    folder = sshd_fleet.scratch()
    value = "it's $HOME; `touch x` \"q\""
    spec = make_spec(tmp_path, 'pwd; printf "%s\\n" "$GREETING"; ls', [server.spec],
                     env={"GREETING": value}, cwd=str(folder))
    (r,), _ = run(executor, spec)
    assert r.exit_code == 0, r
    assert r.stdout == f"{folder}\n{value}\n"


def test_bash_as_the_step_shell(sshd_fleet: Fleet, executor: SSHExecutor, tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    spec = make_spec(tmp_path, 'echo "${BASH_VERSION:+bash}"', [server.spec], shell="bash")
    (r,), _ = run(executor, spec)
    assert (r.exit_code, r.stdout) == (0, "bash\n")


def test_secrets_are_masked_per_host_in_output_and_logs(sshd_fleet: Fleet,
                                                        executor: SSHExecutor,
                                                        tmp_path: Path) -> None:
    servers = sshd_fleet.hosts(2)
    secret = "hunter2-canary-value"
    # The secret arrives in two writes: it must be masked across chunks.
    command = f"printf a={secret[:7]}; sleep 0.2; printf '%s b\\n' {secret[7:]}; echo {secret} >&2"
    results, sink = run(executor, make_spec(tmp_path, command, [s.spec for s in servers]),
                        Redactor([secret]))
    for r in results:
        assert r.exit_code == 0
        assert secret not in r.stdout + r.stderr + r.tail
        assert secret not in Path(r.log_path).read_text()
        assert r.stdout == "a=*** b\n"
    assert not any(secret in text for _, _, text in sink.chunks)


def test_ten_hosts_run_in_parallel(sshd_fleet: Fleet, executor: SSHExecutor,
                                   tmp_path: Path) -> None:
    servers = sshd_fleet.hosts(10)
    out_dir = sshd_fleet.scratch()
    # A barrier, not a stopwatch: each host waits until all 10 have started, which only
    # hosts running at the same time can do (one after another, the first gives up: exit 9).
    command = barrier(out_dir, 10) + f'; echo ok | tee "{out_dir}/port-${{SSH_CONNECTION##* }}"'
    results, _ = run(executor, make_spec(tmp_path, command, [s.spec for s in servers]))

    assert [r.host for r in results] == [s.spec for s in servers]
    assert all(r.exit_code == 0 for r in results), results
    assert sorted(p.name for p in out_dir.iterdir() if p.name.startswith("port-")) == sorted(
        f"port-{s.port}" for s in servers)
    assert len({r.log_path for r in results}) == 10


def test_parallel_bounds_how_many_hosts_run_at_once(sshd_fleet: Fleet, executor: SSHExecutor,
                                                    tmp_path: Path) -> None:
    servers = sshd_fleet.hosts(4)
    out_dir = sshd_fleet.scratch()
    # Each host notes how many hosts are running as it starts, waits until two have started
    # (so two do run at once), then leaves. Never more than two at once: the bound holds.
    port = "${SSH_CONNECTION##* }"
    me = f'"{out_dir}/running-{port}"'
    command = (f'touch {me}; ls {out_dir} | grep -c running- > "{out_dir}/seen-{port}"; '
               + barrier(out_dir, 2) + f"; rm {me}")
    results, _ = run(executor, make_spec(tmp_path, command, [s.spec for s in servers],
                                         parallel=2))
    assert all(r.ok for r in results), results
    seen = [int(p.read_text()) for p in out_dir.glob("seen-*")]
    assert len(seen) == 4 and max(seen) <= 2


def test_one_connection_per_host_reused_across_steps(sshd_fleet: Fleet,
                                                     tmp_path: Path) -> None:
    server = sshd_fleet.start_extra()
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line)
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known)))
    try:
        for _ in range(3):
            (r,), _ = run(ex, make_spec(tmp_path, "true", [server.spec]))
            assert r.ok
        assert server.log.read_text().count("Accepted publickey") == 1
    finally:
        ex.close()
    (r,), _ = run(SSHExecutor(sshd_fleet.config(known_hosts=str(known))),
                  make_spec(tmp_path, "true", [server.spec]))
    assert r.ok and server.log.read_text().count("Accepted publickey") == 2


def test_an_idle_pooled_connection_wakes_runbookctl_about_once_a_second(
        sshd_fleet: Fleet, executor: SSHExecutor, tmp_path: Path, engine: str) -> None:
    paramiko_only(engine)
    # paramiko's transport thread polls its socket every 0.1 s: 200 idle pooled
    # connections woke runbookctl 2,000 times a second for the rest of the run
    server = sshd_fleet.hosts(1)[0]
    assert run(executor, make_spec(tmp_path, "true", [server.spec]))[0][0].ok
    (client,) = executor._conns._clients.values()
    transport = client.get_transport()
    assert transport is not None and transport.sock.gettimeout() == IDLE_CHECK == 1.0
    looks = []
    real_recv = transport.sock.recv

    def counted(*args: Any) -> Any:
        looks.append(time.monotonic())
        return real_recv(*args)

    transport.sock.recv = counted  # what the transport thread calls, timing out each time
    threading.Event().wait(2.0)  # a window to count in: a busy machine only looks less
    assert len(looks) <= 3, f"{len(looks)} looks at an idle socket in 2 s"
    # and the connection still works: data wakes it at once
    (r,), _ = run(executor, make_spec(tmp_path, "echo again", [server.spec]))
    assert (r.exit_code, r.stdout) == (0, "again\n"), r.error
    assert server.log.read_text().count("Accepted publickey") >= 1


def test_closing_hangs_up_at_once_whatever_the_idle_check(
        sshd_fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    paramiko_only(engine)
    from runbookctl.executors.ssh import connections

    monkeypatch.setattr(connections, "IDLE_CHECK", 120.0)  # a thread that only looked then
    ex = SSHExecutor(sshd_fleet.config())
    server = sshd_fleet.hosts(1)[0]
    assert run(ex, make_spec(tmp_path, "true", [server.spec]))[0][0].ok
    (client,) = ex._conns._clients.values()
    transport = client.get_transport()
    assert transport is not None and transport.sock.gettimeout() == 120.0
    ex.close()
    # the socket is shut down, not only closed: the transport's thread sees it at once
    wait_for("the transport's thread to end", lambda: not transport.is_alive(), deadline=60)


def test_a_dropped_connection_is_reopened_for_the_next_step(sshd_fleet: Fleet,
                                                            tmp_path: Path) -> None:
    server = sshd_fleet.start_extra()
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line)
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known)))
    try:
        assert run(ex, make_spec(tmp_path, "true", [server.spec]))[0][0].ok
        drop_connections(server)  # the link drops between steps
        (r,), _ = run(ex, make_spec(tmp_path, "echo again", [server.spec]))
        assert (r.exit_code, r.stdout) == (0, "again\n"), r.error
        assert server.log.read_text().count("Accepted publickey") == 2
    finally:
        ex.close()


def test_a_connection_lost_mid_command_is_reported(sshd_fleet: Fleet, tmp_path: Path) -> None:
    server = sshd_fleet.start_extra()
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line)
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known)))
    running = sshd_fleet.scratch() / "running"

    def drop_once_running() -> None:  # the command itself says it runs: no 0.5 s guess
        wait_for("the remote command to start", running.exists)
        drop_connections(server)

    dropper = threading.Thread(target=drop_once_running)
    dropper.start()
    try:
        (r,), _ = run(ex, make_spec(tmp_path, f"echo started; touch {running}; sleep 100",
                                    [server.spec]))
    finally:
        dropper.join()
        ex.close()
    assert r.exit_code is None and r.stdout == "started\n"
    assert r.error is not None and r.error.startswith("connection lost while the command ran")
    assert r.duration < 30  # not the 100 s of its sleep


def drop_connections(server: Server) -> None:
    """Kill the server's per-connection processes (not the listener) and wait."""
    def children(pid: int) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    doomed = children(server.proc.pid)
    doomed += [grandchild for child in doomed for grandchild in children(child)]
    for pid in doomed:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while children(server.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)


# --- hosts that cannot be used ----------------------------------------------------


def test_connection_refused_fails_that_host_only(sshd_fleet: Fleet, executor: SSHExecutor,
                                                 tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    closed = f"{server.user}@127.0.0.1:{free_port()}"
    results, _ = run(executor, make_spec(tmp_path, "echo up", [closed, server.spec]))
    down, up = results
    assert down.host == closed and down.exit_code is None
    assert down.error == (f"connection refused by 127.0.0.1:{closed.rsplit(':', 1)[1]} "
                          "(no SSH server on that port)")
    assert down.duration < 2
    assert (up.exit_code, up.stdout) == (0, "up\n")


def test_a_host_that_never_answers_fails_at_the_connect_timeout(sshd_fleet: Fleet,
                                                                tmp_path: Path) -> None:
    ex = SSHExecutor(sshd_fleet.config(connect_timeout=1.5))
    with silent_listener() as port:
        started = time.monotonic()
        (r,), _ = run(ex, make_spec(tmp_path, "true", [f"rbtest@127.0.0.1:{port}"]))
    assert time.monotonic() - started < 30  # the 1.5 s connect timeout ends it; without it, it would hang
    assert r.exit_code is None and not r.ok
    assert r.error is not None
    assert r.error.startswith(f"127.0.0.1:{port} did not answer within 1.5s (host down")


def test_changed_host_key_is_refused_under_both_policies(sshd_fleet: Fleet,
                                                         tmp_path: Path) -> None:
    server, other = sshd_fleet.hosts(2)
    out_dir = sshd_fleet.scratch()
    known = tmp_path / "known_hosts"
    # `other`'s key recorded under `server`'s name: what a MITM looks like.
    known.write_text(other.known_hosts_line.replace(f":{other.port} ", f":{server.port} "))
    expected = other.fingerprint.split()[1]
    for policy in ("strict", "accept-new"):
        ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known), host_key_policy=policy))
        (r,), _ = run(ex, make_spec(tmp_path, f"touch {out_dir}/ran", [server.spec]))
        assert r.error == (f"HOST KEY CHANGED for 127.0.0.1:{server.port} ({server.fingerprint}, "
                           f"expected {expected}); if the host was re-installed, remove its "
                           "old line from known_hosts")
        assert r.exit_code is None and r.host_key_accepted is None
    assert not (out_dir / "ran").exists()
    assert known.read_text().count("\n") == 1


def test_a_host_known_by_several_keys_of_one_type_is_known_by_any(sshd_fleet: Fleet,
                                                                  tmp_path: Path) -> None:
    """A host re-keyed with its old line kept (or one name on several lines): OpenSSH takes
    any of its known keys, where paramiko compares the first of the type only (the host
    read as HOST KEY CHANGED); a key that is none of them is still refused."""
    server, other, third = sshd_fleet.hosts(3)
    out_dir = sshd_fleet.scratch()
    known = tmp_path / "known_hosts"
    stale = other.known_hosts_line.replace(f":{other.port} ", f":{server.port} ")
    known.write_text(stale + server.known_hosts_line)
    for policy in ("strict", "accept-new"):
        ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known), host_key_policy=policy))
        (r,), _ = run(ex, make_spec(tmp_path, f"touch {out_dir}/ran-{policy}", [server.spec]))
        assert (r.exit_code, r.error, r.host_key_accepted) == (0, None, None)
    assert known.read_text() == stale + server.known_hosts_line  # nothing filed
    known.write_text(stale + third.known_hosts_line.replace(f":{third.port} ",
                                                            f":{server.port} "))
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known)))
    (r,), _ = run(ex, make_spec(tmp_path, f"touch {out_dir}/changed", [server.spec]))
    assert r.error is not None and r.error.startswith(
        f"HOST KEY CHANGED for 127.0.0.1:{server.port} ({server.fingerprint}, expected "
        f"{other.fingerprint.split()[1]})")
    assert sorted(p.name for p in out_dir.iterdir()) == ["ran-accept-new", "ran-strict"]


def test_a_hashed_known_hosts_file_is_read_as_openssh_writes_it(sshd_fleet: Fleet,
                                                                 tmp_path: Path) -> None:
    """`ssh-keygen -H` (HashKnownHosts): the host is known by its hashed line among many
    others, and a hashed line with another host's key is a changed key."""
    server, other = sshd_fleet.hosts(2)
    known = tmp_path / "known_hosts"
    decoys = "".join(f"10.9.{i // 250}.{i % 250} {server.public_key.split()[0]} "
                     f"{server.public_key.split()[1]}\n" for i in range(300))
    known.write_text(decoys + server.known_hosts_line + "\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert f"[127.0.0.1]:{server.port}" not in known.read_text()  # hashed, every line
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known)))
    (r,), _ = run(ex, make_spec(tmp_path, "echo hashed", [server.spec]))
    ex.close()
    assert r.ok and r.host_key_accepted is None, r.error
    forged = tmp_path / "forged"
    forged.write_text(other.known_hosts_line.replace(f":{other.port} ", f":{server.port} ") + "\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(forged)], check=True, capture_output=True)
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(forged)))
    (r,), _ = run(ex, make_spec(tmp_path, "true", [server.spec]))
    ex.close()
    assert r.error is not None and r.error.startswith(f"HOST KEY CHANGED for 127.0.0.1:{server.port}")


@pytest.mark.parametrize(("names", "host", "known"), [
    ("[127.0.0.*]:{port}", "127.0.0.1", True),
    ("[127.0.0.?]:{port}", "127.0.0.1", True),
    ("[127.0.0.*]:{port},![127.0.0.1]:{port}", "127.0.0.1", False),
    ("[localhost]:{port}", "LocalHost", True),
    ("[LOCALHOST]:{port}", "localhost", True),
    ("[127.0.0.*]:1", "127.0.0.1", False),
])
def test_known_hosts_names_match_as_ssh_matches_them(sshd_fleet: Fleet, tmp_path: Path,
                                                     names: str, host: str, known: bool) -> None:
    """Patterns, `!` exclusions and names in any case, as OpenSSH reads known_hosts
    (paramiko itself compares exact strings): strict policy, the server's real key."""
    (server,) = sshd_fleet.hosts(1)
    kind, blob = server.public_key.split()[:2]
    path = tmp_path / "known_hosts"
    path.write_text(f"{names.format(port=server.port)} {kind} {blob}\n")
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(path)))
    (r,), _ = run(ex, make_spec(tmp_path, "echo matched", [f"{server.user}@{host}:{server.port}"]))
    ex.close()
    if known:
        assert (r.exit_code, r.stdout, r.host_key_accepted) == (0, "matched\n", None), r.error
    else:
        assert r.error == (f"unknown host key for {host}:{server.port} ({server.fingerprint}); "
                           "add it to known_hosts or set ssh.host_key_policy: accept-new")


def test_known_hosts_markers_a_ca_line_is_no_crash_and_a_revoked_key_is_refused(
        sshd_fleet: Fleet, tmp_path: Path) -> None:
    """`@cert-authority` lines (an SSH CA) made every ssh step raise; `@revoked` marks a
    key never to trust, even where another line knows it, and under accept-new."""
    server, other = sshd_fleet.hosts(2)
    out_dir = sshd_fleet.scratch()
    kind, blob = server.public_key.split()[:2]
    ca = tmp_path / "ca"
    ca.write_text(f"@cert-authority *.corp.example {other.public_key.split()[0]} "
                  f"{other.public_key.split()[1]}\n{server.known_hosts_line}")
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(ca)))
    (r,), _ = run(ex, make_spec(tmp_path, "echo fine", [server.spec]))
    ex.close()
    assert r.ok, r.error
    revoked = tmp_path / "revoked"
    revoked.write_text(f"{server.known_hosts_line}@revoked * {kind} {blob}\n")
    for policy in ("strict", "accept-new"):
        ex = SSHExecutor(sshd_fleet.config(known_hosts=str(revoked), host_key_policy=policy))
        (r,), _ = run(ex, make_spec(tmp_path, f"touch {out_dir}/ran", [server.spec]))
        ex.close()
        assert r.error == (f"REVOKED host key for 127.0.0.1:{server.port} ({server.fingerprint}): "
                           "known_hosts marks it @revoked; refusing to log in"), r.error
        assert r.exit_code is None and r.host_key_accepted is None
    assert not (out_dir / "ran").exists()
    assert revoked.read_text().count("\n") == 2  # accept-new wrote nothing


def test_unknown_host_key_is_refused_when_strict(sshd_fleet: Fleet, tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    out_dir = sshd_fleet.scratch()
    known = tmp_path / "known_hosts"
    known.write_text("")
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known)))
    (r,), _ = run(ex, make_spec(tmp_path, f"touch {out_dir}/ran", [server.spec]))
    assert r.error == (f"unknown host key for 127.0.0.1:{server.port} ({server.fingerprint}); "
                       "add it to known_hosts or set ssh.host_key_policy: accept-new")
    assert not (out_dir / "ran").exists()
    assert known.read_text() == ""


def test_accept_new_records_a_first_seen_key(sshd_fleet: Fleet, tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    known = tmp_path / "ssh" / "known_hosts"  # created, folder too
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known), host_key_policy="accept-new"))
    (r,), _ = run(ex, make_spec(tmp_path, "echo hi", [server.spec]))
    assert (r.exit_code, r.host_key_accepted) == (0, server.fingerprint)
    assert [(k.host, k.fingerprint) for k in ex.accepted_keys] == [
        (server.spec, server.fingerprint)]
    found = subprocess.run(["ssh-keygen", "-F", f"[127.0.0.1]:{server.port}", "-f", str(known)],
                           capture_output=True, text=True)
    assert found.returncode == 0 and server.public_key.split()[1] in found.stdout
    (r,), _ = run(ex, make_spec(tmp_path, "true", [server.spec]))
    assert r.ok and r.host_key_accepted is None  # reported once, when accepted
    strict = SSHExecutor(sshd_fleet.config(known_hosts=str(known)))
    assert run(strict, make_spec(tmp_path, "true", [server.spec]))[0][0].ok


def test_a_key_accepted_before_the_login_moved_to_paramiko_is_on_the_hosts_row(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    """accept-new files the host's key, then the server refuses the first key file
    (libssh2's only try): paramiko logs in with the next, and the host's result still
    says which key was accepted, as the run's list does."""
    (server,) = sshd_fleet.hosts(1)
    stranger = tmp_path / "id_stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)],
                   check=True)
    config = tmp_path / "ssh_config"
    config.write_text(f"Host *\n  IdentityFile {sshd_fleet.client_key}\n")
    known = tmp_path / "known_hosts"
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known), host_key_policy="accept-new",
                                       config_file=str(config), identity_file=str(stranger)))
    try:
        (r,), _ = run(ex, make_spec(tmp_path, "echo hi", [server.spec]))
    finally:
        ex.close()
    assert (r.exit_code, r.stdout, r.host_key_accepted) == (0, "hi\n", server.fingerprint), engine
    assert [(k.host, k.fingerprint) for k in ex.accepted_keys] == [
        (server.spec, server.fingerprint)]
    assert len(known.read_text().splitlines()) == 1


def test_accept_new_files_the_key_hashed_under_hash_known_hosts(sshd_fleet: Fleet,
                                                               tmp_path: Path) -> None:
    """`HashKnownHosts yes` in ~/.ssh/config: the accepted key's line does not name the
    host, OpenSSH's own ssh-keygen -F finds it, and the next (strict) run knows it."""
    (server,) = sshd_fleet.hosts(1)
    known = tmp_path / "known_hosts"
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n  HashKnownHosts yes\n")
    ex = SSHExecutor(sshd_fleet.config(known_hosts=str(known), host_key_policy="accept-new",
                                       config_file=str(config)))
    (r,), _ = run(ex, make_spec(tmp_path, "echo hi", [server.spec]))
    ex.close()
    assert (r.exit_code, r.host_key_accepted) == (0, server.fingerprint)
    text = known.read_text()
    assert text.startswith("|1|") and "127.0.0.1" not in text and len(text.splitlines()) == 1
    found = subprocess.run(["ssh-keygen", "-F", f"[127.0.0.1]:{server.port}", "-f", str(known)],
                           capture_output=True, text=True)
    assert found.returncode == 0 and server.public_key.split()[1] in found.stdout
    strict = SSHExecutor(sshd_fleet.config(known_hosts=str(known), config_file=str(config)))
    (again,), _ = run(strict, make_spec(tmp_path, "true", [server.spec]))
    strict.close()
    assert again.ok and again.host_key_accepted is None


def test_auth_failure_with_a_key_the_server_does_not_know(sshd_fleet: Fleet,
                                                          tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    stranger = tmp_path / "stranger_key"
    keygen(stranger, "stranger")
    ex = SSHExecutor(sshd_fleet.config(identity_file=str(stranger)))
    (r,), _ = run(ex, make_spec(tmp_path, "true", [server.spec]))
    assert r.exit_code is None and r.error is not None
    assert r.error.startswith(f"authentication failed for rbtest@127.0.0.1:{server.port} "
                              f"(tried {stranger})")


def _behind(tmp_path: Path, fleet: Fleet, jump: Server, inner: Server,
            broken_jump: int | None = None) -> Path:
    """An ssh config: `behind` is `inner` through the jump host `jump`; with `broken_jump`,
    `broken` is `inner` through a port nothing listens on."""
    hosts = {"behind": jump.port, **({"broken": broken_jump} if broken_jump else {})}
    config = tmp_path / "ssh_config"
    config.write_text("".join(
        f"Host {name}\n  HostName 127.0.0.1\n  Port {inner.port}\n  User {inner.user}\n"
        f"  ProxyJump {jump.user}@127.0.0.1:{port}\n" for name, port in hosts.items())
        + f"Host *\n  IdentityFile {fleet.client_key}\n")
    return config


def test_proxy_jump_from_ssh_config(sshd_fleet: Fleet, tmp_path: Path) -> None:
    jump, inner = sshd_fleet.hosts(2)
    config = _behind(tmp_path, sshd_fleet, jump, inner, broken_jump=free_port())
    ex = SSHExecutor(sshd_fleet.config(config_file=str(config), identity_file=None))
    try:
        assert ex.target("behind").jump == (f"{jump.user}@127.0.0.1:{jump.port}",)
        ok, broken = run(ex, make_spec(tmp_path, "echo ${SSH_CONNECTION##* }",
                                       ["behind", "broken"]))[0]
        assert (ok.host, ok.exit_code, ok.stdout) == ("behind", 0, f"{inner.port}\n"), ok.error
        assert broken.error is not None and broken.error.startswith("connection refused by")
    finally:
        ex.close()



def test_a_host_behind_a_jump_host_known_by_its_second_hashed_line(sshd_fleet: Fleet,
                                                                   tmp_path: Path) -> None:
    """Through a jump host the second connect (KnownElsewhere) opens a second channel: the
    first is closed, the jump host is not reopened, and a key none of the host's lines
    has is still refused."""
    from runbookctl.executors.ssh.known_hosts import hash_host

    jump, inner, other = sshd_fleet.hosts(3)
    name = f"[127.0.0.1]:{inner.port}"
    known = tmp_path / "known_hosts"

    stale, line = (f"{hash_host(name)} {' '.join(s.known_hosts_line.split()[1:])}\n"
                   for s in (other, inner))

    known.write_text(jump.known_hosts_line + stale + line)
    config = _behind(tmp_path, sshd_fleet, jump, inner)
    for policy in ("strict", "accept-new"):
        ex = SSHExecutor(sshd_fleet.config(config_file=str(config), identity_file=None,
                                           known_hosts=str(known), host_key_policy=policy))
        try:
            (ok,), _ = run(ex, make_spec(tmp_path, "echo ${SSH_CONNECTION##* }", ["behind"]))
            assert (ok.exit_code, ok.stdout, ok.host_key_accepted) == (0, f"{inner.port}\n",
                                                                       None), ok.error
            clients = ex._conns._clients
            assert len(clients) == 2
            hop = next(c for t, c in clients.items() if t.port == jump.port)
            transport = hop.get_transport()
            assert transport is not None
            assert len(transport._channels.values()) == 1  # the inner host's tunnel only
        finally:
            ex.close()
    assert known.read_text() == jump.known_hosts_line + stale + line
    known.write_text(jump.known_hosts_line + stale)
    ex = SSHExecutor(sshd_fleet.config(config_file=str(config), identity_file=None,
                                       known_hosts=str(known)))
    try:
        (r,), _ = run(ex, make_spec(tmp_path, "true", ["behind"]))
        assert r.error is not None and r.error.startswith(
            f"HOST KEY CHANGED for 127.0.0.1:{inner.port} ({inner.fingerprint}"), r.error
    finally:
        ex.close()

# --- stopping remote commands -------------------------------------------------------


@pytest.mark.parametrize("ignore", ["HUP", "HUP TERM"])
def test_a_hung_command_is_killed_at_its_timeout(sshd_fleet: Fleet, tmp_path: Path,
                                                 ignore: str) -> None:
    (server,) = sshd_fleet.hosts(1)
    ex = SSHExecutor(sshd_fleet.config(kill_grace=0.5))
    marker = f"rbhung-{uuid.uuid4().hex[:12]}"
    started = time.monotonic()
    try:
        (r,), _ = run(ex, make_spec(tmp_path, f"echo started; {hung_command(marker, ignore)}",
                                    [server.spec], timeout=1))
    finally:
        ex.close()
    assert time.monotonic() - started < 30  # timeout + grace; without them the hung command runs forever
    assert r.timed_out and r.exit_code is None and not r.ok
    assert r.error == "timed out after 1s"
    assert r.stdout == "started\n"
    assert wait_gone(server.user, marker) == []


DRIVER = textwrap.dedent("""\
    import json, resource, sys
    from pathlib import Path
    from runbookctl.executors.base import CommandSpec
    from runbookctl.executors.ssh.client import SSHExecutor
    from runbookctl.executors.ssh.settings import SSHConfig
    from runbookctl.safety.masking import Redactor

    class Sink:
        live = True

        def output(self, host, stream, text):
            if text.startswith("started"):
                print("STARTED", flush=True)

    args = json.loads(sys.argv[1])
    ex = SSHExecutor(SSHConfig(**args["config"]))
    def spec(command, n):
        return CommandSpec(step_id="s", command=command, display=command, hosts=args["hosts"],
                           log_path=Path(args["logs"]) / f"{n}-s.log", timeout=120)
    ex.execute(spec("true", 1), Sink(), Redactor())  # connected, warmed up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results = ex.execute(spec(args["command"], 2), Sink(), Redactor())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ex.close()
    print("RESULT " + json.dumps({"grew_kb": after - before,
                                  "results": [r.__dict__ for r in results]}), flush=True)
    """)


def start_driver(fleet: Fleet, tmp_path: Path, command: str, hosts: list[Server]
                 ) -> subprocess.Popen[str]:
    script = tmp_path / "ssh_driver.py"
    script.write_text(DRIVER)
    args = {"config": {k: v for k, v in fleet.config().__dict__.items()},
            "hosts": [s.spec for s in hosts], "command": command, "logs": str(tmp_path)}
    return subprocess.Popen([sys.executable, str(script), json.dumps(args)],
                            stdout=subprocess.PIPE, text=True)


def driver_result(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=timeout)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def test_ctrl_c_stops_the_remote_commands(sshd_fleet: Fleet, tmp_path: Path) -> None:
    servers = sshd_fleet.hosts(2)
    marker = f"rbctrlc-{uuid.uuid4().hex[:12]}"
    proc = start_driver(sshd_fleet, tmp_path, f"echo started; {hung_command(marker)}", servers)
    try:
        wait_running(servers[0].user, marker)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "STARTED"
        proc.send_signal(signal.SIGINT)
        result = driver_result(proc, timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0  # the executor reports; it does not re-raise
    for r in result["results"]:
        assert (r["interrupted"], r["exit_code"], r["error"]) == (
            True, None, "interrupted by SIGINT (Ctrl-C); command stopped with SIGTERM")
        assert r["duration"] < 10
    assert wait_gone(servers[0].user, marker) == []


def test_fifty_megabytes_of_output_in_bounded_memory(sshd_fleet: Fleet, tmp_path: Path) -> None:
    (server,) = sshd_fleet.hosts(1)
    size = 50_000_000
    command = f"yes 0123456789abcdef0123456789abcdef | head -c {size}"
    result = driver_result(start_driver(sshd_fleet, tmp_path, command, [server]), timeout=120)
    (r,) = result["results"]
    assert (r["exit_code"], r["output_bytes"], r["stdout_truncated"]) == (0, size, True)
    assert len(r["stdout"].encode()) <= CAPTURE_LIMIT
    assert Path(r["log_path"]).stat().st_size == size
    assert result["grew_kb"] < 50 * 1024, f"memory grew by {result['grew_kb']} kB"


# --- sudo ---------------------------------------------------------------------


@pytest.fixture
def sudo_password(sshd_fleet: Fleet) -> Iterator[str]:
    """Lets the test user sudo with a password for the duration of one test."""
    if shutil.which("sudo") is None:
        pytest.skip("sudo is not installed (.ci/install-sshd.sh installs it)")
    if os.geteuid() != 0:
        pytest.skip("needs root to set up sudoers for the test user")
    password = f"pw-{uuid.uuid4().hex[:10]}"
    user = sshd_fleet.user
    rule = Path(f"/etc/sudoers.d/runbookctl-test-{os.getpid()}")
    rule.write_text(f"Defaults:{user} timestamp_timeout=0\n{user} ALL=(root) ALL\n")
    rule.chmod(0o440)
    with user_lock():
        subprocess.run(["chpasswd"], input=f"{user}:{password}", text=True, check=True)
        try:
            yield password
        finally:
            rule.unlink()
            subprocess.run(["usermod", "-p", "*", user], check=True)


def test_sudo_runs_as_root_with_the_password_on_stdin(sshd_fleet: Fleet, executor: SSHExecutor,
                                                      tmp_path: Path, sudo_password: str) -> None:
    (server,) = sshd_fleet.hosts(1)
    command = "id -un; cat; echo done"  # `cat` would show a password left on stdin
    spec = make_spec(tmp_path, command, [server.spec], sudo=True, sudo_password=sudo_password)
    (r,), sink = run(executor, spec)
    assert (r.exit_code, r.stdout) == (0, "root\ndone\n"), r
    assert sudo_password not in Path(r.log_path).read_text() + r.stderr
    assert not any(sudo_password in text for _, _, text in sink.chunks)


def test_sudo_without_a_password_fails_at_once(sshd_fleet: Fleet, executor: SSHExecutor,
                                               tmp_path: Path, sudo_password: str) -> None:
    (server,) = sshd_fleet.hosts(1)
    started = time.monotonic()
    (r,), _ = run(executor, make_spec(tmp_path, "id -un", [server.spec], sudo=True))
    assert time.monotonic() - started < 30  # at once; without -n sudo would wait for a password forever
    assert r.exit_code == 1 and "password is required" in r.stderr
    bad = make_spec(tmp_path, "id -un", [server.spec], sudo=True, sudo_password="wrong")
    (r,), _ = run(executor, bad)
    assert r.exit_code == 1 and r.stdout == ""


@pytest.mark.parametrize("named", [True, False], ids=["identity_file", "default ~/.ssh/id_rsa"])
def test_an_rsa_key_is_loaded_once_for_a_fan_out(sshd_fleet: Fleet, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, named: bool,
                                                 engine: str) -> None:
    """Loading an RSA key validates it (~130 ms for 3072 bits): once per run, not per host,
    whether the key is named or found where ssh looks by default (no agent); libssh2 reads
    the file itself, paramiko never loads it (keys.login_file)."""
    import paramiko.rsakey

    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "rb-rsa",
                    "-f", str(key)], check=True)
    with sshd_fleet.authorized_keys.open("a") as authorized:
        authorized.write(key.with_suffix(".pub").read_text())
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    decoded: list[object] = []
    real = paramiko.rsakey.RSAKey._decode_key

    def counting(self: paramiko.rsakey.RSAKey, data: object) -> None:
        decoded.append(data)
        real(self, data)

    monkeypatch.setattr(paramiko.rsakey.RSAKey, "_decode_key", counting)
    servers = sshd_fleet.hosts(4)
    executor = SSHExecutor(sshd_fleet.config(identity_file=str(key) if named else None))
    try:
        results, _sink = run(executor, make_spec(tmp_path, "id -un", [s.spec for s in servers]))
    finally:
        executor.close()
    assert [(r.exit_code, r.stdout) for r in results] == [(0, f"{s.user}\n") for s in servers]
    assert len(decoded) == (1 if engine == "paramiko" else 0)


def test_a_stopped_remote_command_whose_output_cannot_be_shown_is_still_stopped(
        sshd_fleet: Fleet, tmp_path: Path) -> None:
    """Timed out, the command says goodbye as it winds down, on an output that is gone:
    its kill goes on to the end (a TERM was enough), the goodbye is logged."""

    class Gone(Sink):
        def output(self, host: str, stream: str, text: str) -> None:
            if "bye" in text:
                raise BrokenPipeError(32, "Broken pipe")
            super().output(host, stream, text)

    (server,) = sshd_fleet.hosts(1)
    ex = SSHExecutor(sshd_fleet.config(kill_grace=20.0))
    command = "trap 'echo bye-$((1+1)); sleep 0.3; exit 0' TERM; while :; do sleep 0.05; done"
    [r] = ex.execute(make_spec(tmp_path, command, [server.spec], timeout=0.5), Gone(),
                     Redactor())
    ex.close()
    assert r.timed_out and r.error == "timed out after 0.5s", r.error
    assert "bye-2" in Path(r.log_path or "").read_text().splitlines()  # (with the shell's
    # "Terminated" for its killed sleep, on stderr, before or after it)


def test_exit_statuses_and_a_killed_command_read_alike_on_both_engines(
        sshd_fleet: Fleet, executor: SSHExecutor, tmp_path: Path) -> None:
    server = sshd_fleet.hosts(1)[0]
    for command, code in [("exit 3", 3), ("exit 254", 254), ("true", 0)]:
        (r,), _ = run(executor, make_spec(tmp_path, command, [server.spec]))
        assert (r.exit_code, r.error) == (code, None), command
    (killed,), _ = run(executor, make_spec(tmp_path, "echo bye; kill -9 $PPID", [server.spec]))
    assert killed.exit_code is None and not killed.ok and killed.stdout == "bye\n"
    assert killed.error is not None and "without an exit status (killed?" in killed.error
    (r255,), _ = run(executor, make_spec(tmp_path, "exit 255", [server.spec]))
    assert (r255.exit_code, r255.error) == (255, None)


def test_a_background_child_holding_the_output_does_not_hold_the_step(
        sshd_fleet: Fleet, executor: SSHExecutor, tmp_path: Path) -> None:
    server = sshd_fleet.hosts(1)[0]
    marker = f"rb-bg-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    (r,), _ = run(executor, make_spec(tmp_path, f"sleep 60 {marker} & echo started",
                                      [server.spec], timeout=50))
    assert (r.exit_code, r.stdout, r.timed_out) == (0, "started\n", False)
    assert time.monotonic() - started < 40  # let go of after LINGER, not at the timeout
    subprocess.run(["pkill", "-u", server.user, "-f", marker], check=False)


def test_a_step_on_many_hosts_uses_libssh2_and_the_rest_stay_paramikos(
        sshd_fleet: Fleet, tmp_path: Path, engine: str) -> None:
    servers = sshd_fleet.hosts(3)
    ex = SSHExecutor(sshd_fleet.config(), fanout=3)
    try:
        results, _ = run(ex, make_spec(tmp_path, "echo {{ host }}; hostname >/dev/null",
                                          [s.spec for s in servers]))
        assert [r.exit_code for r in results] == [0, 0, 0]
        assert ex._fast is not None and len(ex._fast._open) == 3 and not ex._conns._clients
        (one,), _ = run(ex, make_spec(tmp_path, "echo one", [servers[0].spec]))
        assert one.ok and len(ex._conns._clients) == 1  # fewer hosts: paramiko
    finally:
        ex.close()
