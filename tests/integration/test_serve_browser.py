"""The war room in a real browser: Debian's chromium driven by Playwright (never its own
download). A real `runbookctl serve` and a real run beside it; every wait is for the
thing itself (a selector, a text), with a deadline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import journal_events, only_run_dir, run_cli, write
from tests.serve_helpers import gated_runbook, release_gates, start_run, start_server
from tests.waiting import wait_event

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def test_the_run_page_shows_new_steps_and_output_without_reloading(tmp_path: Path, page: Any) -> None:
    state = tmp_path / "state"
    server = start_server(state, tmp_path)
    run = start_run(state, tmp_path, gated_runbook(tmp_path))
    try:
        wait_event(state, "step_started", "one", alive=lambda: run.poll() is None)
        page.goto(f"{server.url}/runs/{only_run_dir(state).name}")
        page.evaluate("window.stillTheSamePage = true")
        page.wait_for_selector("#output pre:has-text('two is waiting')")
        assert page.inner_text("#current") == "Step two (two)"
        (tmp_path / "gates" / "go-two").touch()
        page.wait_for_selector("#output pre:has-text('two was let go')")
        page.wait_for_selector("#events tr.type-step_started:has-text('Step three')")
        assert page.inner_text("#current") == "Step three (three)"
        assert page.evaluate("window.stillTheSamePage") is True  # live, not reloaded
        seqs = [int(s) for s in page.eval_on_selector_all("#events tbody tr",
                                                          "rs => rs.map(r => r.dataset.seq)")]
        assert seqs == list(range(1, len(seqs) + 1))
        (tmp_path / "gates" / "go-three").touch()
        page.wait_for_selector("#report")  # once ended, the page shows the report
        assert page.inner_text("#status") == "completed"
        assert run.wait(timeout=60) == 0
    finally:
        release_gates(tmp_path)
        run.kill()
        run.wait(timeout=30)
        server.stop()


XSS_RUNBOOK = """\
id: xss
title: 'Run <script>alert("title")</script>'
steps:
  - id: show
    title: 'Show "><img src=x onerror=alert(1)> <a href="javascript:alert(7)">x</a>'
    run: |
      printf 'out <script>alert(2)</script> <img src=x onerror=alert(3)>\\n'
      printf '[link](javascript:alert(4)) \\033[2J'
      printf '\\033]8;;javascript:alert(5)\\033\\\\here\\033]8;;\\033\\\\\\n'
  - id: cause
    title: Cause
    ask: 'Cause? <script>alert(6)</script>'
    var: cause
  - id: hold
    title: Hold
    run: while [ ! -e {gate}/go ]; do sleep 0.05; done
"""


def _inert(page: Any) -> None:
    """No script from the run ran, and no element it named exists."""
    assert page.dialogs == []
    assert page.eval_on_selector_all("script", "s => s.map(x => x.src)") == [
        page.url.split("/runs/")[0] + "/static/live.js"]
    assert page.query_selector_all("img") == []
    assert page.query_selector_all("[onerror]") == []
    assert page.query_selector_all("a[href^='javascript']") == []
    assert page.evaluate("typeof window.pwned") == "undefined"


def test_the_xss_and_escape_corpus_is_inert_live_and_in_the_report(tmp_path: Path, page: Any) -> None:
    state = tmp_path / "state"
    (tmp_path / "gates").mkdir()
    runbook = write(tmp_path / "xss.yaml", XSS_RUNBOOK.replace("{gate}", str(tmp_path / "gates")))
    answers = write(tmp_path / "answers.yaml", 'cause: "\\"><svg onload=alert(8)> javascript:alert(9)"\n')
    server = start_server(state, tmp_path)
    run = start_run(state, tmp_path, runbook, "--answers", str(answers))
    try:
        wait_event(state, "step_started", "hold", alive=lambda: run.poll() is None)
        run_id = only_run_dir(state).name
        note = run_cli(["note", run_id, 'note <script>window.pwned=1</script><img src=x onerror=alert(10)>'],
                       tmp_path, state)
        assert note.code == 0, note.output
        page.goto(f"{server.url}/runs/{run_id}")
        page.wait_for_selector("#events tr.type-note")  # the live part has drawn the corpus
        text = page.inner_text("body")
        assert '<script>alert("title")</script>' in text and "onerror=alert(1)" in text
        assert "␛[2J␛]8;;javascript:alert(5)" in text and "\x1b" not in text
        assert "<svg onload=alert(8)>" in text
        _inert(page)
        (tmp_path / "gates" / "go").touch()
        page.wait_for_selector("#report")  # reloaded with the report: server-rendered Markdown
        assert "<script>window.pwned=1</script>" in page.inner_text("#report")
        _inert(page)
        assert run.wait(timeout=60) == 0
    finally:
        run.kill()
        run.wait(timeout=30)
        server.stop()


APPROVAL_RUNBOOK = """\
id: restart
title: Restart the primary
steps:
  - id: check
    title: Check the replica
    run: echo "replica lag 0s"
  - id: restart-primary
    title: Restart the primary
    dangerous: true
    approval: required
    run: echo "primary restarted"
  - id: verify
    title: Verify
    run: echo "all good"
"""


def test_a_second_person_approves_a_dangerous_step_in_the_browser(tmp_path: Path, page: Any) -> None:
    state = tmp_path / "state"
    runbook = write(tmp_path / "restart.yaml", APPROVAL_RUNBOOK)
    # the operator's own yes to the dangerous command (--yes never gives it); bob's approval
    # is the second person's, and comes first
    answers = write(tmp_path / "answers.yaml", "restart-primary: yes\n")
    server = start_server(state, tmp_path)
    run = start_run(state, tmp_path, runbook, "--answers", str(answers), RUNBOOKCTL_OPERATOR="alice")
    try:
        wait_event(state, "approval_requested", "restart-primary", alive=lambda: run.poll() is None)
        run_id = only_run_dir(state).name
        page.goto(f"{server.url}/runs/{run_id}?token={server.token}")  # the printed link's cookie
        assert "token=" not in page.url  # the link took it out of the address at once
        form = page.wait_for_selector("form.approval[data-step='restart-primary']")
        assert "alice may not approve" in form.inner_text()
        form.query_selector("input[name=by]").fill("alice")  # the operator herself: refused
        form.query_selector("button[data-decision=approve]").click()
        page.wait_for_selector("form.approval .approval-status:has-text('must not be the run')")
        form.query_selector("input[name=by]").fill("bob")
        form.query_selector("button[data-decision=approve]").click()
        page.wait_for_selector("#events tr.type-approval_decided:has-text('approved by bob via web')")
        page.wait_for_selector("#output pre:has-text('primary restarted')")
        page.wait_for_selector("#report")  # the run went on to its end; the page shows its report
        assert page.query_selector("form.approval") is None
        report = page.inner_text("#report")
        assert "bob" in report and "approve" in report
        assert page.dialogs == []
    finally:
        run.kill() if run.poll() is None else None
        code = run.wait(timeout=60)
        server.stop()
    assert code == 0
    decided = [e for e in journal_events(only_run_dir(state)) if e["type"] == "approval_decided"]
    assert [(e["actor"], e["data"]["via"]) for e in decided] == [("bob", "web")]
    report_file = next((tmp_path / "reports").glob("*.md")).read_text()
    assert "bob" in report_file
