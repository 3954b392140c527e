"""Connections over libssh2 (ssh2-python) for a command on many hosts at once.

On a 200-host step paramiko's client took ~5 ms of CPU a connection (Python, and a
thread hand-off for every packet): a fifth of what the 200 sshd servers spent, on the
same 2 cores. libssh2 does the same work in C for a quarter of that (benchmarks/
RESULTS.md). It is used only where it does exactly what the paramiko path does, and
the paramiko path remains for everything else (client.FANOUT, `login_key`):

- the TCP connection is `dial`'s, the host key is checked against our known_hosts
  entries with paramiko's rules and our policy (host_keys.host_entries: patterns,
  hashed names, `@revoked`, accept-new), modern algorithms only;
- it logs in with the first key file ssh would try, when it opens as it is
  (keys.login_file: no passphrase, no certificate);
- it never imports paramiko (~50 ms of start-up on the step's critical path);
- anything else (ProxyJump, the agent alone, a key libssh2 cannot read, a refused key,
  a handshake libssh2 cannot complete) goes to the paramiko path, which says exactly
  what is wrong; a host key refused here is refused with the paramiko path's words.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ssh2.error_codes import LIBSSH2_ERROR_EAGAIN
from ssh2.exceptions import SSH2Error
from ssh2.session import (
    LIBSSH2_METHOD_CRYPT_CS,
    LIBSSH2_METHOD_CRYPT_SC,
    LIBSSH2_METHOD_HOSTKEY,
    LIBSSH2_METHOD_KEX,
    LIBSSH2_METHOD_MAC_CS,
    LIBSSH2_METHOD_MAC_SC,
    LIBSSH2_SESSION_BLOCK_INBOUND,
    LIBSSH2_SESSION_BLOCK_OUTBOUND,
    Session,
)

from runbookctl.executors.ssh.connections import AcceptedKey, ConnectionPool, dial
from runbookctl.executors.ssh.host_keys import (
    ConnectError,
    KnownHosts,
    changed_key,
    host_entries,
    is_known,
)
from runbookctl.executors.ssh.keys import login_file
from runbookctl.executors.ssh.known_hosts import Key, key_from_blob
from runbookctl.executors.ssh.reasons import banner_failure

if TYPE_CHECKING:
    from runbookctl.executors.ssh.targets import Target

# What OpenSSH 9 offers, minus what paramiko would not (no SHA-1, no CBC, no ssh-rsa
# signatures, no host certificates: they are not checked); strict kex (Terrapin) kept.
_KEX = ("curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
        "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
        "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
        "diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com")
_CIPHERS = ("chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
            "aes256-ctr,aes192-ctr,aes128-ctr")
_MACS = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"
# What a non-blocking step waits for: a socket (fd, poll events) until a deadline.
Wait = tuple[int, int, float]
T = TypeVar("T")
_HOST_KEYS = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
              "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256")


@dataclass
class Libssh2Conn:
    """One logged-in libssh2 session. libssh2 is not thread-safe: whoever uses the
    session holds `lock` (a host's command holds it from its channel to its end)."""

    sock: socket.socket
    session: Any
    lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        """Hang up. libssh2 frees a session (and its channels) by writing to its socket:
        the socket's number must not be reused before (by a new connection, whose
        stream it would corrupt), so it is closed only once the session is gone, or
        else left shut down (`_parked`) until the process ends."""
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        if not self.lock.acquire(blocking=False):  # a host still runs on it (a 2nd Ctrl-C):
            _parked.append((self.session, self.sock))  # it sees the socket gone, as lost
            return
        self.lock.release()
        session, self.session = self.session, None
        if session is not None and sys.getrefcount(session) > 2:  # a channel still holds it
            _parked.append((session, self.sock))
            return
        del session  # freed here: nothing else refers to it
        self.sock.close()


_parked: list[tuple[Any, socket.socket]] = []


def login_key(target: Target, use_agent: bool) -> str | None:
    """The key file the libssh2 path logs in with, or None when the host is the paramiko
    path's: a ProxyJump, no key file (the agent), or a key only paramiko can open
    (a passphrase, a certificate)."""
    return None if target.jump else login_file(target, use_agent)


def open_libssh2(known: KnownHosts, target: Target, key_file: str, timeout: float,
                 keepalive: float, track: Any) -> tuple[Libssh2Conn | None, str | None]:
    """A logged-in session to `target` and the host key it accepted (accept-new), or
    None for the paramiko path to connect instead. ConnectError when the host cannot be
    reached or its key is refused. `track`: a context manager that makes the socket
    one a Ctrl-C can break off (ConnectionPool._tracked)."""
    known_keys = host_known(known, target, key_file)
    sock = dial(target, timeout)
    sock.settimeout(None)
    return drive(login(known_keys, target, sock, timeout, keepalive, track))


# What a login checks the host against, read before it is dialled: the host's known
# keys by type (in file order), the host-key policy, the private key file's bytes.
HostKnown = tuple[dict[str, list[Key]], Any, bytes]


def host_known(known: KnownHosts, target: Target, key_file: str) -> HostKnown:
    """The known_hosts entries and key `login` needs (an error here: nothing dialled)."""
    lines, policy = host_entries(known, target)
    ours: dict[str, list[Key]] = {}
    for line in lines:
        ours.setdefault(line.key.kind, []).append(line.key)
    with open(key_file, "rb") as f:
        return ours, policy, f.read()


def login(known_keys: HostKnown, target: Target, sock: socket.socket, timeout: float,
          keepalive: float, track: Any
          ) -> Generator[Wait, Any, tuple[Libssh2Conn | None, str | None]]:
    """open_libssh2 over the connected `sock` (closed unless kept), non-blocking: yields
    what it waits for (`drive` waits here; libssh2_loop waits for many at once)."""
    ours, policy, private = known_keys
    with ExitStack() as closing:
        closing.callback(sock.close)  # unless the session is kept (below)
        with track(sock):  # a Ctrl-C breaks the login off (ConnectionPool.abort_pending)
            session = Session()
            session.set_blocking(False)
            prefer(session, list(ours))
            began = time.monotonic()
            try:
                yield from call(sock, session, began + timeout, session.handshake, sock)
            except TimeoutError:  # a host that says nothing: once is enough to wait for it
                raise ConnectError(banner_failure(TimeoutError(), target.address, timeout,
                                                  time.monotonic() - began, b"")) from None
            except SSH2Error:  # the paramiko path connects again and says why
                return None, None
            server_key = host_key(session)
            if not ours:  # ConnectError if refused
                policy.missing(target.known_hosts_name, server_key)
            elif not is_known(server_key, tuple(ours.get(server_key.kind, ()))):
                # any known key of its type will do, as in OpenSSH; none of its type: the
                # host is known by others (paramiko's rule), so its key has changed
                expected = (ours.get(server_key.kind) or next(iter(ours.values())))[0]
                raise changed_key(target, server_key, expected, policy.revoked)
            try:
                yield from call(sock, session, time.monotonic() + timeout,
                                session.userauth_publickey_frommemory, target.user, private)
            except (SSH2Error, TimeoutError):  # a key the server refuses: paramiko tries others
                return None, policy.accepted
            if keepalive > 0:
                session.keepalive_config(False, max(1, round(keepalive)))
        closing.pop_all()  # kept: the session's
    return Libssh2Conn(sock, session), policy.accepted


def prefer(session: Any, known_types: list[str]) -> None:
    """Modern algorithms only; the host key types known for the host first (as paramiko
    and ssh do, so a host known by its ed25519 key is not asked for its ECDSA one)."""
    first: list[str] = []
    for kind in known_types:
        first += ["rsa-sha2-512", "rsa-sha2-256"] if kind == "ssh-rsa" else [kind]
    order = [k for k in first if k in _HOST_KEYS]
    order += [k for k in _HOST_KEYS if k not in order]
    session.method_pref(LIBSSH2_METHOD_HOSTKEY, ",".join(order))
    session.method_pref(LIBSSH2_METHOD_KEX, _KEX)
    for method in (LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_CRYPT_SC):
        session.method_pref(method, _CIPHERS)
    for method in (LIBSSH2_METHOD_MAC_CS, LIBSSH2_METHOD_MAC_SC):
        session.method_pref(method, _MACS)


def host_key(session: Any) -> Key:
    """The server's host key (the blob starts with its type)."""
    blob, _ = session.hostkey()
    key = key_from_blob(bytes(blob))
    if key is None:
        raise ConnectError(f"unreadable host key ({len(blob)} bytes)")
    return key


def wait_socket(conn: Libssh2Conn, seconds: float) -> None:
    """Wait (at most `seconds`) for the socket to be ready the way libssh2 needs it."""
    poll_once(waiting(conn.sock, conn.session, time.monotonic() + seconds))


def waiting(sock: socket.socket, session: Any, until: float) -> Wait:
    """What to wait for, until `until`: the socket, ready the way libssh2 needs it."""
    directions = session.block_directions()
    events = select.POLLIN if directions & LIBSSH2_SESSION_BLOCK_INBOUND or not directions else 0
    if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND:
        events |= select.POLLOUT
    return sock.fileno(), events, until


def poll_once(wait: Wait) -> None:
    fd, events, until = wait
    poller = select.poll()  # not select(): a busy process has sockets numbered past 1023
    poller.register(fd, events)
    poller.poll(max(0, round((until - time.monotonic()) * 1000)))


def call(sock: socket.socket, session: Any, until: float, fn: Callable[..., Any], *args: Any
         ) -> Generator[Wait, Any, Any]:
    """`fn(*args)` on the non-blocking session until it is done, waiting on the socket
    between tries; TimeoutError once `until` is past."""
    while True:
        got = fn(*args)
        if got != LIBSSH2_ERROR_EAGAIN:
            return got
        if time.monotonic() >= until:
            raise TimeoutError
        yield waiting(sock, session, until)


def drive(steps: Generator[Wait, Any, T]) -> T:
    """Run a generator of waits (`login`, `call`) to its end from this thread."""
    try:
        wait = next(steps)
        while True:
            poll_once(wait)
            wait = steps.send(None)
    except StopIteration as end:
        return cast(T, end.value)


def blocking(conn: Libssh2Conn, call: Any, timeout: float) -> Any:
    """`call(session)` with the session blocking (at most `timeout`), then non-blocking
    again: a channel is opened and a command started in one go."""
    session = conn.session
    session.set_blocking(True)
    session.set_timeout(max(1, int(timeout * 1000)))
    try:
        return call(session)
    finally:
        session.set_blocking(False)


class Libssh2Pool:
    """The libssh2 sessions of a run, one per host, beside (and falling back to) the
    paramiko ConnectionPool, whose known_hosts, settings and Ctrl-C it shares."""

    def __init__(self, conns: ConnectionPool) -> None:
        self.conns = conns
        self._lock = threading.Lock()
        self._open: dict[Target, Libssh2Conn] = {}
        self._locks: dict[Target, threading.Lock] = {}
        self._paramiko: set[Target] = set()  # hosts libssh2 could not log in to
        # a key accepted (accept-new) by a host then handed to paramiko, for its result
        self._handed: dict[Target, str] = {}

    def get(self, target: Target) -> tuple[Libssh2Conn | None, str | None]:
        """The host's session (opened now, or earlier in the run) and the host key it
        accepted; None for the paramiko path."""
        config = self.conns.config
        key_file = login_key(target, config.use_agent)
        if key_file is None:
            return None, None
        with self.lock_of(target):
            conn = self._open.get(target)
            if conn is not None or target in self._paramiko:
                return conn, None
            conn, accepted = open_libssh2(self.conns.known, target, key_file,
                                          config.connect_timeout, config.keepalive,
                                          self.conns.tracked)
            self.opened(target, conn, accepted)
            return conn, accepted

    def lock_of(self, target: Target) -> threading.Lock:
        """Held while the host's session is opened (once for the run)."""
        with self._lock:
            return self._locks.setdefault(target, threading.Lock())

    def known(self, target: Target) -> tuple[Libssh2Conn | None, bool]:
        """The host's open session, and whether it is the paramiko path's (lock_of held)."""
        return self._open.get(target), target in self._paramiko

    def opened(self, target: Target, conn: Libssh2Conn | None, accepted: str | None) -> None:
        """What `login` made of `target` (lock_of held): its session, or the paramiko
        path's host (with the key accepted before it was handed over)."""
        if accepted:
            self.conns.accepted.append(AcceptedKey(target.label, accepted,
                                                   str(self.conns.known.write_file)))
        if conn is None:
            self._paramiko.add(target)
            if accepted:
                self._handed[target] = accepted
        else:
            self._open[target] = conn

    def handed(self, target: Target) -> str | None:
        """The host key accepted for `target` before it was handed to paramiko (once)."""
        with self._lock:
            return self._handed.pop(target, None)

    def drop(self, target: Target, conn: Libssh2Conn) -> None:
        """A session found dead: closed, and opened again at the next get."""
        with self._lock:
            if self._open.get(target) is conn:
                del self._open[target]
        conn.close()

    def close(self) -> None:
        with self._lock:
            conns = list(self._open.values())
            self._open.clear()
        for conn in conns:
            conn.close()
