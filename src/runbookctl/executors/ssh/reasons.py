"""Why a host could not be reached, in words: the real reason the system or the
server gave, never a guess.

"did not answer within T" is said only when T elapsed: a refused or unroutable
connection fails at once and says so ("network unreachable"), and a server
that answers with something other than SSH is quoted ("not an SSH server: it
sent 'HTTP/1.1 400…'"), escaped and cut short.
"""

from __future__ import annotations

import errno
import socket

from runbookctl.durations import format_elapsed, format_seconds

# errno -> what it means for the operator (os.strerror words are too terse).
_UNREACHABLE = {
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.EHOSTDOWN: "host is down",
    errno.ENETDOWN: "network is down",
    errno.EADDRNOTAVAIL: "no local address can reach it",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
}
SHOWN = 60  # characters of a non-SSH answer quoted in a message


class BannerSocket(socket.socket):
    """A TCP socket that keeps the first bytes the server sent: if the SSH
    handshake fails, they say what answered instead of an SSH server."""

    KEEP = 256

    def __init__(self, raw: socket.socket) -> None:
        super().__init__(raw.family, raw.type, raw.proto, raw.detach())
        self.first = b""

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data = super().recv(bufsize, flags)
        if len(self.first) < self.KEEP:
            self.first += data[: self.KEEP - len(self.first)]
        return data


def dial_failure(exc: OSError, where: str, host: str, timeout: float, elapsed: float) -> str:
    """The reason a TCP connection failed after `elapsed` seconds."""
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host name '{host}'"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where} (no SSH server on that port)"
    if isinstance(exc, TimeoutError) and exc.errno is None:  # our own timeout ran out
        return f"{where} did not answer within {format_seconds(timeout)} (host down or unreachable)"
    if isinstance(exc, ConnectionResetError):  # accepted, then reset before a word
        return _no_banner(where, "reset the connection", elapsed)
    return f"cannot reach {where}: {_words(exc)} (after {_took(elapsed)})"


def banner_failure(exc: BaseException, where: str, timeout: float, elapsed: float,
                   received: bytes) -> str:
    """The reason no SSH banner was read: what came instead, or what ended the wait."""
    if received and not received.startswith(b"SSH-"):
        return f"{where} is not an SSH server: it sent {shown(received)}"
    if received:
        return f"{where} sent an incomplete SSH banner {shown(received)}"
    cause = exc.__context__ if exc.__context__ is not None else exc
    if isinstance(cause, EOFError):
        return _no_banner(where, "closed the connection", elapsed)
    if isinstance(cause, ConnectionResetError):
        return _no_banner(where, "reset the connection", elapsed)
    if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
        return f"{where} failed before its SSH banner: {_words(cause)} (after {_took(elapsed)})"
    if elapsed >= timeout * 0.99:
        return (f"{where} did not answer within {format_seconds(timeout)} "
                "(host down, overloaded, or not an SSH server: no SSH banner)")
    text = str(exc) or type(exc).__name__
    return f"{where} sent no SSH banner: {text} (after {_took(elapsed)})"


def _no_banner(where: str, what: str, elapsed: float) -> str:
    return f"{where} {what} without an SSH banner (after {_took(elapsed)})"


def _words(exc: OSError) -> str:
    if exc.errno in _UNREACHABLE:
        return _UNREACHABLE[exc.errno]
    if exc.errno == errno.ETIMEDOUT:  # said by the network, not our timer
        return "connection timed out"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()




def shown(data: bytes, limit: int = SHOWN) -> str:
    """`data` quoted for a one-line message: control, invisible and non-UTF-8
    characters escaped (`\\r`, `\\x1b`, `\\u202e`, `\\xff`), cut at `limit`."""
    out: list[str] = []
    used = 0
    text = data.decode("utf-8", "surrogateescape")
    for ch in text:
        piece = _escaped(ch)
        if used + len(piece) > limit:
            return "'" + "".join(out) + "…'"
        out.append(piece)
        used += len(piece)
    return "'" + "".join(out) + "'"


def _escaped(ch: str) -> str:
    if "\udc80" <= ch <= "\udcff":  # an undecodable byte
        return f"\\x{ord(ch) - 0xDC00:02x}"
    if ch in "'\\":
        return "\\" + ch
    return ch if ch.isprintable() else repr(ch)[1:-1]


def _took(seconds: float) -> str:
    return format_elapsed(seconds, ms=True)  # `45ms`: a refused connection is quick


def handshake_failure(exc: BaseException, user: str, where: str, timeout: float,
                      elapsed: float, received: bytes, answered: bool) -> str:
    """Why the SSH handshake with `where` failed; `answered`: the server sent its SSH
    banner (before it, what it sent instead is quoted: banner_failure)."""
    text = str(exc) or type(exc).__name__
    if "no authentication methods" in text.lower():
        return (f"authentication failed for {user}@{where}: no key to offer "
                "(set ssh.identity_file or IdentityFile, or add a key to the agent)")
    if not answered:
        return banner_failure(exc, where, timeout, elapsed, received)
    if isinstance(exc, EOFError) or "closed" in text.lower():
        return f"{where} closed the connection during the SSH handshake"
    if "no existing session" in text.lower() or isinstance(exc, TimeoutError):
        return f"SSH handshake with {where} timed out after {format_seconds(timeout)}"
    return f"SSH handshake with {where} failed: {text}"
