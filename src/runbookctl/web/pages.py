"""The pages of `serve`: server-rendered HTML (jinja2, autoescape on), no build step,
nothing loaded from another site. The run page's live part is web/static/live.js, an
EventSource client that adds rows and output with textContent only.

The report of an ended run is rendered from its Markdown by markdown-it with raw
HTML off (a `<script>` in a step title stays text) and markdown-it's own refusal of
`javascript:` and similar links.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from runbookctl.web.site import report_text, site_of

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(name).render(**values))


def runs_page(request: Request) -> Response:
    from runbookctl.web.present import run_row

    runs = [run_row(s) for s in site_of(request).source.list_runs()]
    return render("runs.html", runs=runs, title="runbookctl: runs")


def run_page(request: Request) -> Response:
    from runbookctl.web.present import run_detail

    site = site_of(request)
    state = site.source.run_state(request.path_params["run_id"])
    run = run_detail(state, report_text(site, state))
    return render("run.html", run=run, title=f"{run['id']}: {run['title'] or run['runbook']}",
                  report_html=markdown_html(run["report"]) if run["report"] else None)


def markdown_html(text: str) -> str:
    """The report's Markdown as HTML: raw HTML in it shown as text, unsafe links refused;
    its front matter (the run's facts for tools) as a block of text, not as Markdown."""
    from markdown_it import MarkdownIt

    front = ""
    if text.startswith("---\n") and "\n---\n" in text[4:]:
        head, text = text[4:].split("\n---\n", 1)
        front = f'<pre class="front-matter">{escape(head)}</pre>\n'
    return front + str(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))
