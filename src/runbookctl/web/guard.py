"""Who may read and change what through `serve` (docs/serve.md, "Security model").

- Bound to a loopback address, reads are open to this machine; bound anywhere else,
  every request needs the token. There is always a token: a state-changing request
  (an approval) needs it wherever the server listens.
- The token comes as `Authorization: Bearer T`, or as the cookie a token link
  (`/?token=T`) sets: HttpOnly, SameSite=Strict, and the link redirects at once so
  the token leaves the address bar and the history. Compared in constant time.
- A state-changing request must also be same-origin: an `Origin` (or
  `Sec-Fetch-Site`) naming another site is refused, and a request that carries the
  token only in the cookie must say its Origin (a browser always does on POST).
- On loopback the `Host` header must name this server (127.0.0.1, localhost, ::1
  at its port): a page of another site that re-points its name at 127.0.0.1 (DNS
  rebinding) cannot read the open pages either.

Pure logic: the ASGI app (web/app.py) hands it the request's headers.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass

COOKIE = "runbookctl_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_port(host: str, port: int) -> str:
    """`host:port` as it appears in a URL and a Host header (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


@dataclass(frozen=True)
class Request:
    """What the guard needs of an HTTP request (header names lower-case)."""

    method: str
    host: str = ""
    origin: str | None = None
    fetch_site: str | None = None
    bearer: str | None = None
    cookie: str | None = None


@dataclass(frozen=True)
class Policy:
    token: str
    loopback: bool
    port: int
    # origins (scheme://host[:port]) the server is also reached as: config `url:` behind a proxy
    extra_origins: frozenset[str] = frozenset()

    @classmethod
    def for_bind(cls, host: str, port: int, token: str | None,
                 extra_origins: frozenset[str] = frozenset()) -> Policy:
        if token is not None and len(token) < 16:
            from runbookctl.errors import UsageError

            raise UsageError("--token is too short: give at least 16 characters (or leave it "
                             "out: a random one is made and printed once)")
        return cls(token or new_token(), is_loopback(host), port, extra_origins)

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def allowed_hosts(self) -> frozenset[str]:
        """The Host headers a loopback server answers: its own addresses at its port, and
        the host of each extra origin (a TLS proxy in front, config `url:`)."""
        from urllib.parse import urlsplit

        names = ("127.0.0.1", "localhost", "::1")
        return frozenset({*(host_port(n, self.port) for n in names),
                          *(urlsplit(o).netloc for o in self.extra_origins)})

    def check(self, req: Request) -> Refusal | None:
        """None: let the request through; else why not (and the HTTP status)."""
        if self.loopback and req.host not in self.allowed_hosts():
            return Refusal(403, f"unexpected Host header {req.host!r}: open this server as "
                                f"http://{host_port('127.0.0.1', self.port)}/")
        by_header = self.token_ok(req.bearer)
        authed = by_header or self.token_ok(req.cookie)
        if req.method in SAFE_METHODS:
            if self.loopback or authed:
                return None
            return Refusal(401, "this server needs its token: open the token link it printed, "
                                "or send Authorization: Bearer TOKEN")
        return self._check_change(req, authed, by_header)

    def _check_change(self, req: Request, authed: bool, by_header: bool) -> Refusal | None:
        if not authed:
            return Refusal(401, "a change needs the server's token (Authorization: Bearer "
                                "TOKEN, or the cookie its token link sets)")
        if req.fetch_site is not None and req.fetch_site not in ("same-origin", "none"):
            return Refusal(403, f"cross-site request refused (Sec-Fetch-Site: {req.fetch_site})")
        if req.origin is not None and not self.same_origin(req.origin, req.host):
            return Refusal(403, f"cross-origin request refused (Origin: {req.origin})")
        if req.origin is None and not by_header:
            return Refusal(403, "a change authorised by the cookie must say its Origin")
        return None

    def same_origin(self, origin: str, host: str) -> bool:
        return origin in (f"http://{host}", *self.extra_origins)
