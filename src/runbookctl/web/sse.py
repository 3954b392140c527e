"""GET /api/runs/{run_id}/events: the run's journal as server-sent events.

One journal event per message, `id:` its seq, `data:` the event as JSON (masked as
journaled, escapes made visible). A client that reconnects sends `Last-Event-ID`
(a browser's EventSource does by itself) and gets the events after it; `?after=N`
does the same for a first connection. With `?output=1` the stream also carries
`event: output` messages — a running command's output as it reaches its log, with
no id (they do not move the resume point). When the run has ended and its journal
is quiet, an `event: end` message (data: the run's status) closes the stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response

from runbookctl.web.follow import POLL, Follower
from runbookctl.web.present import event_json
from runbookctl.web.site import dumps, site_of

PING = 15  # seconds: a comment line keeps proxies from closing a quiet stream


def resume_point(request: Request) -> int:
    """Where to start: after Last-Event-ID (a reconnect), else after `?after=`, else 0."""
    for raw in (request.headers.get("last-event-id"), request.query_params.get("after")):
        if raw is not None and raw.strip().isdigit():
            return int(raw.strip())
    return 0


async def events(request: Request) -> Response:
    follower = Follower(site_of(request).source, request.path_params["run_id"],
                        after=resume_point(request),
                        output=request.query_params.get("output") == "1")
    return EventSourceResponse(_messages(follower), ping=PING)


async def _messages(follower: Follower) -> AsyncIterator[dict[str, Any]]:
    while True:
        for item in follower.poll():
            if item.event is not None:
                yield {"id": str(item.event.seq), "data": dumps(event_json(item.event))}
            else:
                yield {"event": "output", "data": dumps(item.output)}
        if follower.ended:
            yield {"event": "end", "data": dumps({"status": follower.status})}
            return
        await anyio.sleep(POLL)
