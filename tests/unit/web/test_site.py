"""web/site.py: the report only once a run has ended; SSE JSON is one ASCII line."""

from __future__ import annotations

from pathlib import Path

from runbookctl.web.guard import Policy
from runbookctl.web.runs_source import RunsSource
from runbookctl.web.site import Site, dumps, report_text
from tests.unit.web.runs import RUN, append, ended, step, write_run


def test_the_report_is_there_once_the_run_has_ended(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    source = RunsSource(tmp_path)
    site = Site(source, Policy.for_bind("127.0.0.1", 8765, None))
    assert report_text(site, source.run_state(RUN)) is None
    append(run_dir, ended())
    text = report_text(site, source.run_state(RUN))
    assert text is not None and f"run_id: \"{RUN}\"" in text


def test_dumps_is_one_ascii_line() -> None:
    assert dumps({"t": "a\nb\u2028é\x1b"}) == '{"t":"a\\nb\\u2028\\u00e9\\u001b"}'
