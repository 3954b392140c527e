"""Real OpenSSH servers on loopback for the SSH integration tests.

`sshd_fleet` (session scope) gives a Fleet: sshd processes started on demand
(in parallel), one per port, each with its own ed25519 host key; a client key
pair authorised for the test user; a known_hosts file for the started hosts.
Everything lives in one temporary folder and is torn down at the end.

Skips when /usr/sbin/sshd is missing, except under CI (CI=true) where that
fails: CI must run these tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import itertools
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SSHD = "/usr/sbin/sshd"
TEST_USER = "rbtest"
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 15.0
PORTS_PER_SSHD = 16  # OpenSSH listens on at most 16 sockets (MAX_LISTEN_SOCKS)


def require_sshd() -> None:
    """Skip (or, under CI, fail) when OpenSSH's server is not installed."""
    if os.path.exists(SSHD) and shutil.which("ssh-keygen"):
        return
    reason = f"{SSHD} or ssh-keygen not installed (apt-get install openssh-server)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the SSH tests: {reason}", pytrace=False)
    pytest.skip(reason)


def test_user() -> str:
    """The login for the fleet: `rbtest` (created when we are root), else ourselves."""
    if os.geteuid() != 0:
        return getpass.getuser()
    with user_lock():
        try:
            pwd.getpwnam(TEST_USER)
        except KeyError:
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", TEST_USER], check=True)
        if _password_field(TEST_USER).startswith("!"):
            # `*` (not `!`): no password login, but sshd does not see a locked account.
            subprocess.run(["usermod", "-p", "*", TEST_USER], check=True)
    return TEST_USER


@contextlib.contextmanager
def user_lock() -> Iterator[None]:
    """Serialises changes to the test user across xdist workers."""
    with open("/tmp/.runbookctl-rbtest.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _password_field(user: str) -> str:
    for line in Path("/etc/shadow").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name == user:
            return rest.partition(":")[0]
    return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def keygen(path: Path, comment: str) -> str:
    """A fresh ed25519 key pair; returns the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                    "-f", str(path)], check=True, stdout=subprocess.DEVNULL)
    return path.with_name(path.name + ".pub").read_text().strip()


def fingerprint_of(pub_file: Path) -> str:
    """`ssh-ed25519 SHA256:...` as ssh-keygen computes it."""
    out = subprocess.run(["ssh-keygen", "-lf", str(pub_file)], check=True,
                         capture_output=True, text=True).stdout.split()
    kind = {"(ED25519)": "ssh-ed25519", "(RSA)": "ssh-rsa"}.get(out[-1], out[-1])
    return f"{kind} {out[1]}"


@dataclass
class Server:
    """One running sshd."""

    port: int
    host_key: Path
    public_key: str  # "ssh-ed25519 AAAA... comment"
    proc: subprocess.Popen[bytes]
    user: str
    log: Path

    @property
    def spec(self) -> str:
        return f"{self.user}@{LOOPBACK}:{self.port}"

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def known_hosts_line(self) -> str:
        kind, blob = self.public_key.split()[:2]
        return f"[{LOOPBACK}]:{self.port} {kind} {blob}\n"

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.host_key.with_name(self.host_key.name + ".pub"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Fleet:
    """Loopback sshd hosts sharing one client key and one authorized_keys."""

    root: Path
    user: str
    servers: list[Server] = field(default_factory=list)
    extras: list[Server] = field(default_factory=list)
    many: list[Server] = field(default_factory=list)  # hosts that share an sshd (`wide`)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.root.chmod(0o755)  # sshd reads authorized_keys as the test user
        self.client_key = self.root / "client_key"
        pub = keygen(self.client_key, "runbookctl-test-client")
        self.authorized_keys = self.root / "authorized_keys"
        self.authorized_keys.write_text(pub + "\n")
        self.authorized_keys.chmod(0o644)
        self.known_hosts = self.root / "known_hosts"
        self.known_hosts.write_text("")
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privsep folder

    def hosts(self, count: int) -> list[Server]:
        """The first `count` fleet hosts, starting those not yet running (in parallel)."""
        with self._lock:
            missing = count - len(self.servers)
            if missing > 0:
                with ThreadPoolExecutor(min(missing, 8)) as pool:
                    self.servers += list(pool.map(lambda _: self._start(), range(missing)))
                self._write_known_hosts()
            return self.servers[:count]

    def wide(self, count: int) -> list[Server]:
        """`count` hosts for fan-out tests: ports of sshd processes that listen on
        PORTS_PER_SSHD ports each (200 hosts: 13 sshd, not 200). Each port is a
        host of its own to the client (its own known_hosts line); they share a
        host key per sshd."""
        with self._lock:
            missing = count - len(self.many)
            if missing > 0:
                # Consecutive ports when free: the hosts fold to one range (hostsets.py).
                block = _free_block(missing)
                chunks = [block[i:i + PORTS_PER_SSHD] for i in range(0, missing, PORTS_PER_SSHD)]
                with ThreadPoolExecutor(min(len(chunks), 8)) as pool:
                    for started in pool.map(self._start_wide, chunks):
                        self.many += started
                self._write_known_hosts()
            return self.many[:count]

    def _write_known_hosts(self) -> None:
        self.known_hosts.write_text("".join(s.known_hosts_line for s in self.servers + self.many))

    def start_extra(self) -> Server:
        """A host of its own (not in known_hosts), for tests that stop or change it."""
        server = self._start()
        with self._lock:
            self.extras.append(server)
        return server

    def scratch(self) -> Path:
        """A folder the test user can write to (remote side effects land here)."""
        path = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.root))
        path.chmod(0o777)
        return path

    def config(self, **overrides: Any) -> Any:
        """An SSHConfig for this fleet that ignores the real ~/.ssh and /etc/ssh files."""
        from runbookctl.executors.ssh.settings import SSHConfig

        values: dict[str, Any] = dict(
            identity_file=str(self.client_key), known_hosts=str(self.known_hosts),
            config_file=str(self.root / "no-ssh-config"),
            system_config_file=str(self.root / "no-system-ssh-config"),
            user_known_hosts=str(self.root / "no-user-known-hosts"),
            connect_timeout=5.0, use_agent=False)
        values.update(overrides)
        return SSHConfig(**values)

    def _start(self) -> Server:
        name = f"runbookctl-test-host{next(self._names)}"
        folder = Path(tempfile.mkdtemp(prefix="sshd-", dir=self.root))
        host_key = folder / "host_ed25519"
        public = keygen(host_key, name)
        for _attempt in range(5):
            port = free_port()
            proc, log = self._spawn(folder, host_key, port)
            if _wait_ready(proc, port):
                return Server(port, host_key, public, proc, self.user, log)
            proc.kill()
            proc.wait()
        raise RuntimeError(f"sshd did not start; see {folder}")

    def _start_wide(self, wanted: list[int]) -> list[Server]:
        name = f"runbookctl-test-wide{next(self._names)}"
        folder = Path(tempfile.mkdtemp(prefix="sshd-wide-", dir=self.root))
        host_key = folder / "host_ed25519"
        public = keygen(host_key, name)
        for attempt in range(5):
            chosen = wanted if attempt == 0 else _free_ports(len(wanted))
            proc, log = self._spawn(folder, host_key, *chosen)
            if all(_wait_ready(proc, port) for port in chosen):
                return [Server(port, host_key, public, proc, self.user, log) for port in chosen]
            proc.kill()
            proc.wait()
        raise RuntimeError(f"sshd did not start; see {folder}")

    def _spawn(self, folder: Path, host_key: Path, *ports: int
               ) -> tuple[subprocess.Popen[bytes], Path]:
        config = folder / f"sshd_config_{ports[0]}"
        config.write_text("\n".join([
            *(f"Port {port}" for port in ports), f"ListenAddress {LOOPBACK}",
            f"HostKey {host_key}",
            "PidFile none", "UsePAM no", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            f"AuthorizedKeysFile {self.authorized_keys}", "StrictModes no",
            "MaxStartups 100:30:200", "MaxSessions 50", "UseDNS no", "PermitRootLogin no",
            "LogLevel INFO", "",
        ]))
        log = folder / f"sshd_{ports[0]}.log"
        with open(log, "ab") as err:
            proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                    stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        return proc, log

    def close(self) -> None:
        for server in self.servers + self.extras + self.many:
            server.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _free_block(count: int) -> list[int]:
    """`count` consecutive ports free now (another process may take one before
    sshd binds it: `_start_wide` then falls back to scattered ones)."""
    import random

    for _ in range(50):
        base = random.randrange(20000, 60000 - count)
        if all(_port_free(port) for port in range(base, base + count)):
            return list(range(base, base + count))
    return _free_ports(count)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def _free_ports(count: int) -> list[int]:
    """`count` distinct free ports, all held open while choosing (no repeats)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((LOOPBACK, 0))
            socks.append(sock)
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> bool:
    """Poll until sshd sends its banner; False if it died (port taken) or never did."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1.0) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return True
        except OSError:
            time.sleep(0.02)
    return False


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections but never says a word: a hung host."""
    server = socket.socket()
    server.bind((LOOPBACK, 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@contextlib.contextmanager
def talking_listener(payload: bytes, then: str = "close") -> Iterator[int]:
    """A port whose server sends `payload` to each connection, then closes it
    (`close`), resets it (`reset`) or keeps it open and silent (`hold`): a
    host that is not an SSH server."""
    server = socket.socket()
    server.bind((LOOPBACK, 0))
    server.listen(16)
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # the listener was closed: the test is over
                return
            with contextlib.suppress(OSError):
                conn.sendall(payload)
            if then == "hold":
                held.append(conn)
                continue
            if then == "reset":  # RST instead of FIN
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        server.close()
        thread.join(timeout=5)
        for conn in held:
            conn.close()


@pytest.fixture(scope="session")
def sshd_fleet() -> Iterator[Fleet]:
    require_sshd()
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="rb-sshd-")), test_user())
    try:
        yield fleet
    finally:
        fleet.close()
