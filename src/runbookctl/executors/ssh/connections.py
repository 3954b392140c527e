"""SSH connections: the server's host key checked against known_hosts (never
auto-added unless policy says `accept-new`), our authentication, ProxyJump
hops, and the per-run pool (one connection per host, reused across steps).
Every failure to connect becomes one ConnectError line.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

# ConnectError and KnownHosts are named here too: every caller of the pool uses them
from runbookctl.executors.ssh.host_keys import ConnectError as ConnectError
from runbookctl.executors.ssh.host_keys import (
    HostKeyPolicy,
    KnownElsewhere,
    changed_key,
    host_entries,
    is_known,
)
from runbookctl.executors.ssh.host_keys import KnownHosts as KnownHosts
from runbookctl.executors.ssh.keys import first_key
from runbookctl.executors.ssh.known_hosts import Key, key_of
from runbookctl.executors.ssh.reasons import BannerSocket, dial_failure, handshake_failure
from runbookctl.executors.ssh.targets import Target, load_ssh_config, resolve_target
from runbookctl.runbook.inventory import HostSpec, parse_host_spec

if TYPE_CHECKING:
    import paramiko

    from runbookctl.executors.ssh.settings import SSHConfig

IDLE_CHECK = 1.0  # seconds between a live connection's looks at its socket when idle

# paramiko logs handshake failures itself; without a handler Python would
# print them on stderr, over the operator's screen. Our errors say it once.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


def new_client(known: KnownHosts, target: Target, first: Key | None = None
               ) -> tuple[paramiko.SSHClient, HostKeyPolicy]:
    """An SSHClient that knows the host's known_hosts lines and our host key policy
    (host_entries): the host may be known from either file, as OpenSSH reads them.
    `first`: a known key to put before the others of its type (KnownElsewhere)."""
    import paramiko

    lines, policy = host_entries(known, target)
    lines.sort(key=lambda line: line.key != first)  # stable: the rest keep their order
    client = paramiko.SSHClient()
    entries = client.get_host_keys()._entries  # type: ignore[attr-defined]
    # Under the very name paramiko looks up: ours matched it (case, patterns), not paramiko.
    name = target.known_hosts_name
    for line in lines:
        pkey = line.pkey()
        if pkey is not None:
            entries.append(paramiko.hostkeys.HostKeyEntry([name], pkey))
    client.set_missing_host_key_policy(cast(Any, policy))  # paramiko only calls missing_host_key
    return client, policy


def dial(target: Target, timeout: float) -> socket.socket:
    """A TCP connection to the target, or a ConnectError saying why not."""
    started = time.monotonic()
    try:
        # An ASCII name as bytes: a str goes through the idna codec, whose first use
        # imports it (~8 ms, while a fan-out's other hosts wait on the import lock).
        host = target.hostname
        address = host.encode("ascii") if host.isascii() else host
        sock = BannerSocket(socket.create_connection(cast(Any, (address, target.port)), timeout))
        # Without it Nagle holds back our second small handshake packet until
        # the server's delayed ACK: ~40 ms lost at key exchange and again at auth.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    except OSError as exc:
        reason = dial_failure(exc, target.address, target.hostname, timeout,
                              time.monotonic() - started)
        raise ConnectError(reason) from None


def dial_steps(target: Target, timeout: float, stop: threading.Event
               ) -> Generator[tuple[int, int, float], Any, socket.socket]:
    """`dial` to an IP address (is_address), non-blocking: yields the socket's wait (fd,
    poll events, until when) while it connects; the same socket, or the same ConnectError
    (broken off once `stop` is set)."""
    if not 0 <= target.port <= 65535:  # connect_ex would raise OverflowError: dial says it
        return dial(target, timeout)
    started = time.monotonic()
    sock: socket.socket | None = None
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in target.hostname else socket.AF_INET)
        sock.setblocking(False)
        err = sock.connect_ex((target.hostname, target.port))
        until = started + timeout
        while err == errno.EINPROGRESS:
            yield sock.fileno(), select.POLLOUT, until
            if stop.is_set():
                raise InterruptedError(errno.EINTR, "interrupted")
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err == 0 and not _connected(sock):
                err = errno.EINPROGRESS if time.monotonic() < until else errno.ETIMEDOUT
                if err == errno.ETIMEDOUT:
                    raise TimeoutError  # our own timeout (no errno), as dial's
        if err:
            raise OSError(err, os.strerror(err))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as exc:
        if sock is not None:
            sock.close()
        raise ConnectError(dial_failure(exc, target.address, target.hostname, timeout,
                                        time.monotonic() - started)) from None
    return sock


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


def is_address(name: str) -> bool:
    """An IP address: dialled without a name to look up (dial_steps)."""
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def authenticate(client: paramiko.SSHClient, target: Target, sock: Any, timeout: float,
                 use_agent: bool = True, revoked: frozenset[tuple[str, str]] = frozenset(),
                 keys: tuple[Key, ...] = ()) -> None:
    """SSH handshake, host key check and login over an open socket or channel. `keys`:
    the host's known keys; the server's key being one of them but not the one paramiko
    compares raises KnownElsewhere."""
    import paramiko

    where = target.address
    pkey, _, files = first_key(target, use_agent)
    started = time.monotonic()
    try:
        client.connect(
            target.hostname, port=target.port, username=target.user, sock=sock, pkey=pkey,
            key_filename=cast(Any, files or None), timeout=timeout,
            banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout,
            allow_agent=use_agent and not target.identities_only,
            look_for_keys=not target.identities_only,
        )
    except ConnectError:
        raise
    except paramiko.BadHostKeyException as exc:
        got = key_of(exc.key)
        if is_known(got, keys):
            raise KnownElsewhere(got) from None
        raise changed_key(target, got, key_of(exc.expected_key), revoked) from None
    except paramiko.AuthenticationException as exc:
        tried = ", ".join(target.key_files) or "agent and default keys"
        raise ConnectError(f"authentication failed for {target.user}@{where} "
                           f"(tried {tried}): {exc}") from None
    except (paramiko.SSHException, EOFError, OSError) as exc:
        elapsed = time.monotonic() - started
        transport = client.get_transport()
        answered = transport is None or bool(transport.remote_version)
        raise ConnectError(handshake_failure(exc, target.user, target.address, timeout, elapsed,
                                             getattr(sock, "first", b""), answered)) from None


@dataclass(frozen=True)
class AcceptedKey:
    """A host key accepted under `accept-new`, and where it was written."""

    host: str
    fingerprint: str
    known_hosts: str


# --- the per-run connection pool --------------------------------------------------------------


class ConnectionPool:
    """One authenticated connection per target for the executor's lifetime."""

    def __init__(self, config: SSHConfig) -> None:
        self.config = config
        self.known = known_hosts_of(config)
        self.accepted: list[AcceptedKey] = []
        self._ssh_config: Any = None
        self._lock = threading.Lock()
        self._clients: dict[Target, paramiko.SSHClient] = {}
        self._locks: dict[Target, threading.Lock] = {}
        self._pending: set[Any] = set()

    def target(self, host: HostSpec, jump: tuple[str, ...] | None = None) -> Target:
        with self._lock:
            if self._ssh_config is None:
                self._ssh_config = load_ssh_config(self.config.config_file,
                                                   self.config.system_config_file) or False
        ssh_config = self._ssh_config or None
        target = resolve_target(host, ssh_config, self.config.user, self.config.identity_file)
        return target if jump is None else replace(target, jump=jump)

    def get(self, target: Target) -> tuple[paramiko.SSHClient, str | None]:
        """The cached live connection, or a new one (with the key it accepted)."""
        with self._lock:
            lock = self._locks.setdefault(target, threading.Lock())
        with lock:
            client = self._clients.get(target)
            if client is not None and alive(client):
                return client, None
            if client is not None:
                client.close()
            client, accepted = self._open(target)
            self._clients[target] = client
            return client, accepted

    def session(self, target: Target
                ) -> tuple[paramiko.SSHClient, paramiko.Channel, str | None]:
        """A new channel on the target's connection (reconnecting once if the
        cached one went stale), its client, and the host key it accepted."""
        import paramiko

        timeout = self.config.connect_timeout
        client, accepted = self.get(target)
        try:
            return client, open_session(client, timeout), accepted
        except (paramiko.SSHException, OSError, EOFError):
            client.close()
        client, accepted = self.get(target)
        try:
            return client, open_session(client, timeout), accepted
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise ConnectError(f"cannot open a session on {target.address}: {exc}") from None

    def _open(self, target: Target) -> tuple[paramiko.SSHClient, str | None]:
        try:
            return self._connect(target)
        except KnownElsewhere as known:  # once: a second time the key is taken as changed
            return self._connect(target, known.key)

    def _connect(self, target: Target, first: Key | None = None
                 ) -> tuple[paramiko.SSHClient, str | None]:
        timeout = self.config.connect_timeout
        sock = self._socket(target)
        client, policy = new_client(self.known, target, first)
        try:
            with self.tracked(sock):
                authenticate(client, target, sock, timeout, self.config.use_agent,
                             policy.revoked, () if first else policy.keys)
        except BaseException:
            client.close()
            sock.close()
            raise
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(max(1, round(self.config.keepalive)))
        # Once up, the transport's thread looks at its socket once a second rather than
        # paramiko's ten times: a pooled connection mostly idles until the run ends, and
        # 200 of them woke runbookctl 2,000 times a second (0.8 s of CPU every 10 s).
        # Data and a dropped link wake it at once; keepalives (1 s at least) keep time.
        transport.sock.settimeout(IDLE_CHECK)
        if policy.accepted:
            self.accepted.append(AcceptedKey(target.label, policy.accepted,
                                             str(self.known.write_file)))
        return client, policy.accepted

    def _socket(self, target: Target) -> Any:
        import paramiko

        timeout = self.config.connect_timeout
        if not target.jump:
            sock = dial(target, timeout)
            sock.settimeout(None)
            return sock
        hop = self.target(parse_host_spec(target.jump[-1]), jump=target.jump[:-1])
        if (hop.hostname, hop.port) == (target.hostname, target.port):
            return dial(target, timeout)  # a `Host *` ProxyJump matching the jump host itself
        via, _ = self.get(hop)
        transport = via.get_transport()
        try:
            assert transport is not None
            return transport.open_channel("direct-tcpip", (target.hostname, target.port),
                                          ("", 0), timeout=timeout)
        except (paramiko.SSHException, OSError, EOFError, AssertionError) as exc:
            raise ConnectError(f"cannot reach {target.address} through jump host "
                               f"{hop.label}: {exc or 'connect failed'}") from None

    @contextmanager
    def tracked(self, sock: Any) -> Iterator[None]:
        """A socket in handshake: abort_pending breaks it off."""
        with self._lock:
            self._pending.add(sock)
        try:
            yield
        finally:
            with self._lock:
                self._pending.discard(sock)

    def abort_pending(self) -> None:
        """Break off handshakes in progress (Ctrl-C must not wait for them)."""
        with self._lock:
            pending = list(self._pending)
        for sock in pending:
            try:
                if isinstance(sock, socket.socket):
                    sock.shutdown(socket.SHUT_RDWR)
                else:
                    sock.close()
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        # Jump hosts were opened first: close in reverse so tunnels go first.
        for client in reversed(clients):
            _hang_up(client)
            client.close()


def _hang_up(client: paramiko.SSHClient) -> None:
    """Shut a connection's socket down before closing it: its transport's thread, which
    waits on the socket up to IDLE_CHECK, sees the end at once, and so does the server.
    (Through a jump host the socket is a channel, which its own transport closes.)"""
    transport = client.get_transport()
    sock = getattr(transport, "sock", None)
    if isinstance(sock, socket.socket):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def alive(client: paramiko.SSHClient) -> bool:
    transport = client.get_transport()
    return transport is not None and transport.is_active()


def open_session(client: paramiko.SSHClient, timeout: float) -> paramiko.Channel:
    import paramiko

    transport = client.get_transport()
    if transport is None or not transport.is_active():
        raise paramiko.SSHException("connection lost")
    return transport.open_session(timeout=timeout)


def known_hosts_of(config: SSHConfig) -> KnownHosts:
    """The known_hosts files `config` names, and its host-key policy."""
    extra = Path(os.path.expanduser(config.known_hosts)) if config.known_hosts else None
    user = Path(os.path.expanduser(config.user_known_hosts))
    return KnownHosts(user, extra, config.host_key_policy)
