"""POST /api/runs/{run_id}/approvals/{step}: a second person approves or rejects a step
that waits for approval (the two-person rule, docs/serve.md).

Body (JSON only: a form another site could post is not JSON): `{"decision": "approve" |
"reject", "by": NAME, "reason": TEXT}`. The decision is journaled by
`record/approvals.py:decide`, the one function `runbookctl approve`/`reject` call too,
which checks under the journal's lock that the step still waits and that `by` is not
the run's operator. The guard (web/guard.py) has already required the token and the
same origin. `via` says how: `web` from the run page (the cookie its token link set),
`api` from a tool (`Authorization: Bearer`).

Answers: 200 with the `approval_decided` event; 400 a bad body; 403 the run's operator
approving their own step; 404 no such run; 409 the step is not waiting (any more);
415 not JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runbookctl.errors import UsageError
from runbookctl.web.present import event_json
from runbookctl.web.site import error, site_of

if TYPE_CHECKING:
    from runbookctl.record.approvals import Via
    from runbookctl.record.journal import Event
    from runbookctl.web.site import Site

MAX_BODY = 16 * 1024
SELF_APPROVAL = "must not be the run's operator"


async def decide_step(request: Request) -> Response:
    import anyio

    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return error(415, "send the decision as JSON (Content-Type: application/json)")
    raw = await request.body()
    try:
        body = _body(raw)
    except ValueError as exc:
        return error(400, str(exc))
    run_dir = site_of(request).source.run_dir(request.path_params["run_id"])  # NoSuchRun: 404
    via: Via = "api" if request.headers.get("authorization") else "web"
    step = request.path_params["step"]
    site = site_of(request)
    try:
        event = await anyio.to_thread.run_sync(lambda: _decide(site, run_dir, step, body, via))
    except UsageError as exc:
        return error(403 if SELF_APPROVAL in exc.message else 409, exc.message)
    return JSONResponse(event_json(event))


def _decide(site: Site, run_dir: Path, step: str, body: dict[str, Any], via: Via) -> Event:
    """Journaled as `runbookctl approve` does, the reason masked with the run's secrets
    this server knows (Site.redactor_for) as well as token-like strings."""
    from runbookctl.record.approvals import decide
    from runbookctl.record.writeup import load_state

    redactor = None
    if site.redactor_for is not None:
        redactor = site.redactor_for(load_state(run_dir))
    return decide(run_dir, step, body["decision"], body["by"], body.get("reason"), via,
                  redactor=redactor)


def _body(raw: bytes) -> dict[str, Any]:
    """The decision asked for; ValueError says what is wrong with it."""
    if len(raw) > MAX_BODY:
        raise ValueError(f"the body is over {MAX_BODY} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError('expected {"decision": "approve" | "reject", "by": NAME, "reason": TEXT}')
    if body.get("decision") not in ("approve", "reject"):
        raise ValueError('"decision" must be "approve" or "reject"')
    if not isinstance(body.get("by"), str) or not body["by"].strip():
        raise ValueError('"by" must name the approver')
    if body.get("reason") is not None and not isinstance(body["reason"], str):
        raise ValueError('"reason" must be text')
    if body["decision"] == "reject" and not (body.get("reason") or "").strip():
        raise ValueError('a rejection needs a "reason": the operator and the report show why')
    return body
