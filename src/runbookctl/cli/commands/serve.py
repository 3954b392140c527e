"""`runbookctl serve`: the war room, a web app over the runs of this state dir.

Binds 127.0.0.1 by default. A token always exists (given with --token, else made at
random and printed once): changes (approvals) need it everywhere, and on any address
other than loopback every request does (web/guard.py). The server listens on a socket
opened here, so `--port 0` works (the OS picks a free port) and the line printed
names the real one.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from runbookctl.errors import UsageError

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Open event streams are told to close on Ctrl-C; after this long the server stops anyway.
SHUTDOWN_GRACE = 2


def serve(session: Session, ui: UI, host: str, port: int, token: str | None) -> int:
    import uvicorn

    from runbookctl.cli.collector import lasting
    from runbookctl.cli.commands.history import runs_root
    from runbookctl.web.app import build_app
    from runbookctl.web.guard import Policy, host_port
    from runbookctl.web.runs_source import RunsSource
    from runbookctl.web.site import Site

    lasting()
    policy = Policy.for_bind(host, port, token, configured_origin(session.config.url))
    sock = listen(host, port)
    bound = host_port(host if host not in ("0.0.0.0", "::") else socket.gethostname(),
                      sock.getsockname()[1])
    policy = Policy(policy.token, policy.loopback, sock.getsockname()[1], policy.extra_origins)
    source = RunsSource(runs_root(session))
    if session.config.store:  # the team's runs too, live (docs/store.md, section 5)
        from runbookctl.cli.commands.store import team_source

        source = team_source(session)
    from runbookctl.cli.commands.note import run_redactor

    site = Site(source, policy, tuple(session.registry.template_dirs),
                redactor_for=lambda state: run_redactor(session, state))
    ui.info(f"serving the runs of {runs_root(session)} at http://{bound}/ "
            f"({'reads open to this machine' if policy.loopback else 'every request needs the token'})")
    if token is None:  # made here: shown this once, never written anywhere
        ui.info(f"token (shown once; approvals need it): {policy.token}")
        ui.info(f"open: http://{bound}/?token={policy.token}")
    config = uvicorn.Config(build_app(site), log_level="warning", access_log=False,
                            lifespan="off", timeout_graceful_shutdown=SHUTDOWN_GRACE,
                            proxy_headers=False, server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def configured_origin(url: str | None) -> frozenset[str]:
    """Config `url:` (the address people open, e.g. a TLS proxy in front of serve) as an
    origin this server also answers as; nothing without one."""
    from urllib.parse import urlsplit

    if not url:
        return frozenset()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"url: {url!r} is not an http(s) address (e.g. https://warroom.example)")
    return frozenset({f"{parts.scheme}://{parts.netloc}"})


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or exit 2 saying why not."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: give a port from 1 to 65535 (0: any free one)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock
