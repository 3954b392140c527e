"""`runbookctl serve`'s ASGI app (Starlette): the pages, the JSON API, the event stream.

Every request passes `web/guard.py:Policy` first (ASGI middleware, `_Guarded`), and
every response gets headers that keep a browser strict: a Content-Security-Policy
allowing only this server's own script and style (no inline script: an injected
`<script>` would not run even if escaping failed), nosniff, no referrer, no caching.
Reads go through `web/runs_source.py:RunsSource` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from runbookctl.errors import CorruptJournal, UsageError
from runbookctl.web import guard
from runbookctl.web.runs_source import NoSuchRun
from runbookctl.web.site import Site, error, report_text, site_of

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; "
     b"connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
     b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


def build_app(site: Site) -> ASGIApp:
    from runbookctl.web import approvals, pages, sse

    routes = [
        Route("/", pages.runs_page), Route("/runs/{run_id}", pages.run_page),
        Route("/static/{name}", static),
        Route("/api/runs", api_runs), Route("/api/runs/{run_id}", api_run),
        Route("/api/runs/{run_id}/events", sse.events),
        Route("/api/runs/{run_id}/logs/{name}", api_log),
        Route("/api/runs/{run_id}/approvals/{step:path}", approvals.decide_step, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={
        NoSuchRun: _not_found, CorruptJournal: _damaged, UsageError: _conflict})
    app.state.site = site
    return _Guarded(app, site.policy)


def api_runs(request: Request) -> Response:
    from runbookctl.web.present import run_row

    return JSONResponse([run_row(s) for s in site_of(request).source.list_runs()])


def api_run(request: Request) -> Response:
    from runbookctl.web.present import run_detail

    site = site_of(request)
    state = site.source.run_state(request.path_params["run_id"])
    return JSONResponse(run_detail(state, report_text(site, state)))


def api_log(request: Request) -> Response:
    """A command's full log: masked as written, escapes made visible, plain text."""
    from runbookctl.safety.masking import sanitize_terminal

    path = site_of(request).source.log_path(request.path_params["run_id"],
                                            request.path_params["name"])
    text = path.read_bytes().decode("utf-8", errors="replace")
    return PlainTextResponse(sanitize_terminal(text))


def static(request: Request) -> Response:
    name = request.path_params["name"]
    kinds = {".js": "text/javascript", ".css": "text/css"}
    path = STATIC / Path(name).name
    if path.suffix not in kinds or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return Response(path.read_bytes(), media_type=kinds[path.suffix])


def _not_found(request: Request, exc: Exception) -> Response:
    return error(404, str(getattr(exc, "message", exc)))


def _damaged(request: Request, exc: Exception) -> Response:
    return error(422, str(getattr(exc, "message", exc)))


def _conflict(request: Request, exc: Exception) -> Response:
    return error(409, str(getattr(exc, "message", exc)))


class _Guarded:
    """The policy before the app; the security headers on every response."""

    def __init__(self, app: ASGIApp, policy: guard.Policy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        request = Request(scope)
        response = self._refused(request) or self._token_link(request)
        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refused(self, request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        refusal = self.policy.check(guard.Request(
            method=request.method, host=request.headers.get("host", ""),
            origin=request.headers.get("origin"), fetch_site=request.headers.get("sec-fetch-site"),
            bearer=auth[7:] if auth[:7].lower() == "bearer " else None,
            cookie=request.cookies.get(guard.COOKIE)))
        if refusal is None:
            return None
        if (refusal.status == 401 and "token" in request.query_params
                and request.method in guard.SAFE_METHODS):
            return None  # a token link (a page to open, never a change): checked next
        return error(refusal.status, refusal.message)

    def _token_link(self, request: Request) -> Response | None:
        """`?token=T`: the cookie set, and the token taken out of the address at once."""
        given = request.query_params.get("token")
        if given is None or request.method not in guard.SAFE_METHODS:
            return None
        if not self.policy.token_ok(given):
            return error(401, "wrong token: use the link `runbookctl serve` printed")
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(guard.COOKIE, self.policy.token, httponly=True, samesite="strict",
                            path="/")
        return response
