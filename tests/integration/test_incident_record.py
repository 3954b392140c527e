"""The incident record end to end (#14's check): a db-overload run against a real
PostgreSQL with three long queries, notes added from a second terminal while it
waits, committed with --commit and signed; then what a post-mortem review checks:
the front page, the length, titles in the timeline, the notes in order, every log
link resolving inside the repository, `verify` failing on an edited and re-hashed
journal, and `stats --markdown` giving the times from the milestones."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pexpect
import pytest
import yaml

from tests.helpers import git, only_run_dir, postmortem_repo, prompt_re, run_cli, spawn_cli
from tests.integration.test_bundled_db_overload import ANSWERS, _ages_over
from tests.integration.test_signed_records import rehash_journal
from tests.report_checks import check_report
from tests.services import running_postgres, wait_for
from tests.signing_keys import allowed_signers, make_key, ssh_agent

pytestmark = pytest.mark.integration

ENTER = "\r"
TITLES = ["Database answers (pg_isready)", "Long-running queries",
          "Sessions blocking others (lock waits)", "Terminate the long-running queries"]


def test_a_db_overload_incident_record_a_review_can_use(tmp_path: Path) -> None:
    repo = postmortem_repo(tmp_path / "postmortems")
    alice = make_key(tmp_path, "alice")
    (tmp_path / "runbookctl.yaml").write_text(
        f"allowed_signers: {allowed_signers(tmp_path / 'signers', alice)}\n")
    answers = {k: v for k, v in ANSWERS.items() if k != "post-investigating"}  # asked live
    (tmp_path / "answers.yaml").write_text(yaml.safe_dump(answers, sort_keys=False))
    with running_postgres(max_connections=20) as pg, ssh_agent(alice) as sock:
        pg.create_table("accounts", 100)
        holder = pg.lock_holder("accounts").wait_state()
        blocked = pg.blocked_query("accounts").wait_state()
        sleeper = pg.long_query(60).wait_state()
        wait_for(lambda: _ages_over(pg, 1.5, [holder, blocked, sleeper]), what="three long queries")
        variables = [a for k, v in {**pg.vars, "max_age": "1", "idle_tx_age": "1"}.items()
                     for a in ("--var", f"{k}={v}")]
        child = spawn_cli(["run", "db-overload", "--answers", str(tmp_path / "answers.yaml"),
                           "--report-dir", str(repo / "incidents"), "--commit", *variables],
                          tmp_path, tmp_path / "state", SSH_AUTH_SOCK=sock)
        child.expect_exact("Use these defaults?", timeout=60)
        child.send("y")
        child.expect(prompt_re("post-investigating: done, skipped or failed?"), timeout=60)
        # a second terminal adds two notes while the run waits for its operator
        for who, text in (("bo", "paged the DBA on call"), ("cy", "status page updated")):
            noted = run_cli(["note", text, "--as", who], tmp_path, tmp_path / "state")
            assert noted.code == 0, noted.output
        child.send(ENTER)  # done
        child.expect_exact("Run completed", timeout=120)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
    (report_path,) = (repo / "incidents").glob("*.md")
    report = report_path.read_text()
    front = check_report(report, TITLES, max_lines=300)
    assert "| **Status** | ✅ **resolved** — all steps done |" in front
    assert re.search(r"\| \*\*Acknowledged\*\* \| 20\S+Z \(time to acknowledge: ", front)
    timeline = report.split("## Timeline")[1].split("## Steps")[0]
    notes = re.findall(r"\| Note \| ([^|]*) \| (\w+) \|", timeline)
    assert [(text.strip(), who) for text, who in notes] == [
        ("paged the DBA on call", "bo"), ("status page updated", "cy")], timeline

    # committed: every link of the report resolves inside the repository
    assert git(repo, "status", "--porcelain") == ""
    tracked = set(git(repo, "ls-files").splitlines())
    links = re.findall(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"", report)
    targets = [unquote(a or b) for a, b in links if not (a or b).startswith(("http", "#"))]
    assert any(".logs/" in t for t in targets), targets
    for target in targets:
        resolved = (report_path.parent / target).resolve()
        assert resolved.is_relative_to(repo.resolve()), target
        assert str(resolved.relative_to(repo.resolve())) in tracked, target

    # signed; then edited and re-hashed: verify fails and says why
    verified = run_cli(["verify", str(report_path)], repo, tmp_path / "state", SSH_AUTH_SOCK="")
    assert verified.code == 0 and "signed by alice@example" in verified.stdout, verified.output
    run_dir = only_run_dir(tmp_path / "state")
    rehash_journal(run_dir / "journal.jsonl", "terminate-long", "never ran")
    tampered = run_cli(["verify", run_dir.name], tmp_path, tmp_path / "state", SSH_AUTH_SOCK="")
    assert tampered.code == 1
    assert "the journal was changed after it was signed" in tampered.stderr

    # stats over the post-mortem repository: the times come from the milestones
    stats = run_cli(["stats", "--reports", str(repo), "--markdown"], tmp_path, tmp_path / "state")
    assert stats.code == 0, stats.output
    assert "xychart-beta" in stats.stdout and "db-overload" in stats.stdout
    assert re.search(r"TTA|acknowledge", stats.stdout, re.IGNORECASE)
