"""What the web app serves and how, shared by its handlers (web/app.py, pages.py, sse.py):
the runs, the access policy, where report templates are; the report of an ended run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.outcomes import RunStatus
from runbookctl.web.guard import Policy
from runbookctl.web.runs_source import RunsSource

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from runbookctl.record.run_state import RunState
    from runbookctl.safety.masking import Redactor


@dataclass(frozen=True)
class Site:
    source: RunsSource
    policy: Policy
    template_dirs: tuple[Path, ...] = ()
    # The run's secrets this server can know (its runbook's env secrets, from serve's own
    # environment), for what people type: `serve` gives cli/commands/note.py:run_redactor.
    redactor_for: Callable[[RunState], Redactor] | None = None


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def report_text(site: Site, state: RunState) -> str | None:
    """The run's report (Markdown, as `report` renders it) once the run has ended."""
    from runbookctl.record.writeup import final_text

    if state.status == RunStatus.RUNNING:
        return None
    return final_text(state, list(site.template_dirs))[0]


def dumps(value: Any) -> str:
    """JSON for an SSE message: one line, ASCII (no raw control character can survive)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def error(status: int, message: str) -> Response:
    """An error answer: `{"error": message}`, the message's escapes made visible."""
    from starlette.responses import JSONResponse

    from runbookctl.web.present import inert

    return JSONResponse({"error": inert(message)}, status_code=status)
