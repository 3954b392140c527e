"""web/pages.py: the runs and run pages escape every value; the report's Markdown keeps
raw HTML as text and refuses javascript: links."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from runbookctl.web.app import build_app
from runbookctl.web.guard import Policy
from runbookctl.web.pages import markdown_html
from runbookctl.web.runs_source import RunsSource
from runbookctl.web.site import Site
from tests.unit.web.runs import RUN, XSS, append, command, ended, finished_command, note, step, write_run


def _get(root: Path, path: str) -> str:
    site = Site(RunsSource(root), Policy.for_bind("127.0.0.1", 8765, None))
    response = TestClient(build_app(site), base_url="http://127.0.0.1:8765").get(path)
    assert response.status_code == 200, response.text
    return response.text


def test_markdown_keeps_html_as_text_and_refuses_script_links() -> None:
    html = markdown_html("# T <script>alert(1)</script>\n\n[x](javascript:alert(1)) "
                         "<img src=x onerror=alert(2)>\n\n| a |\n|---|\n| b |\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and 'href="javascript' not in html
    assert "<table>" in html


def test_the_reports_front_matter_is_shown_as_text() -> None:
    html = markdown_html('---\nrun_id: "r"\ntitle: "<b>x</b>"\n---\n# Report\n')
    assert html.startswith('<pre class="front-matter">run_id: &quot;r&quot;\ntitle: &quot;&lt;b&gt;')
    assert "<h1>Report</h1>" in html and "<hr" not in html


def test_the_run_page_escapes_every_value_and_loads_only_its_own_script(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check", XSS))
    append(run_dir, command("check", run_dir), finished_command("check", run_dir, tail=XSS),
           note(XSS))
    page = _get(tmp_path, f"/runs/{RUN}")
    assert "<script>alert" not in page and "<img src=x" not in page and "\x1b" not in page
    assert page.count("<script") == 1 and '<script src="/static/live.js"></script>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'id="current"' in page and 'data-run="' + RUN + '"' in page
    assert 'id="report"' not in page
    append(run_dir, ended())
    ended_page = _get(tmp_path, f"/runs/{RUN}")
    assert 'id="report"' in ended_page and "<script>alert" not in ended_page
    assert '<pre class="mermaid">' in ended_page


def test_the_runs_page_lists_running_first(tmp_path: Path) -> None:
    write_run(tmp_path, ended(), run_id="20261201T100000Z-db-aaaa")
    write_run(tmp_path, step("check", XSS), run_id="20261201T090000Z-db-bbbb")
    page = _get(tmp_path, "/")
    assert page.index("20261201T090000Z-db-bbbb") < page.index("20261201T100000Z-db-aaaa")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
