"""import on real playbooks: every seed in ../shared/seeds and every fixture playbook gives
runbooks that `runbookctl validate` accepts, with the steps a reader expects; imported
commands run exactly as written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from runbookctl.cli.commands.authoring import import_playbook
from runbookctl.errors import ExitCode, UsageError
from runbookctl.runbook.loader import load_runbook
from runbookctl.runbook.model import Runbook
from tests.helpers import FIXTURES, run_cli

pytestmark = pytest.mark.integration

SEEDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEEDS = sorted(p for p in SEEDS_DIR.glob("*") if p.is_file()) if SEEDS_DIR.is_dir() else []
PLAYBOOKS = sorted((FIXTURES / "playbooks").glob("*.md"))
IMPORTABLE = [p for p in PLAYBOOKS if p.stem != "prose-only"]
needs_seeds = pytest.mark.skipif(not SEEDS, reason=f"no seed playbooks in {SEEDS_DIR}")


def import_into(playbook: Path, out: Path, split: bool = False) -> dict[str, Runbook]:
    """Import into `out` (one runbook a file, or --split); the runbooks written, by id."""
    listing = io.StringIO()
    assert import_playbook(str(playbook), output=str(out), out=listing, split=split) == 0
    books = {p.stem: load_runbook(p) for p in sorted(out.glob("*.yaml"))}
    assert books, listing.getvalue()
    for rb_id in books:
        assert f"{out / rb_id}.yaml: " in listing.getvalue()
    return books


def assert_validates(folder: Path, tmp_path: Path) -> None:
    result = run_cli(["--runbooks", str(folder), "validate", str(folder)], cwd=tmp_path,
                     state=tmp_path / "state")
    assert result.code == 0, result.stderr[-3000:]
    assert "0 error(s), 0 warning(s)" in result.stderr


def seed_with(text: str) -> Path:
    found = [p for p in SEEDS if text in p.read_text(encoding="utf-8")]
    if not found:
        pytest.skip(f"no seed mentions {text!r}")
    return found[0]


@needs_seeds
@pytest.mark.parametrize("seed", SEEDS, ids=[p.stem for p in SEEDS])
def test_every_seed_imports_into_runbooks_that_validate(seed: Path, tmp_path: Path) -> None:
    books = import_into(seed, tmp_path / "out")
    assert_validates(tmp_path / "out", tmp_path)
    for rb in books.values():
        assert rb.steps and rb.title.strip()
        assert "â€" not in rb.title and "Ã" not in rb.title  # mojibake repaired
        assert "imported" in rb.tags


@needs_seeds
def test_the_outage_playbook_checks_status_with_curl_behind_a_confirmation(tmp_path: Path) -> None:
    books = import_into(seed_with("API/Website Down"), tmp_path / "out", split=True)
    down = books["api-website-down"]
    assert (down.title, down.severity) == ("API/Website Down", "P0")
    curl = next(s for s in down.steps if s.action == "run" and "curl" in s.text)
    assert (curl.confirm, curl.timeout) == ("Run this?", 300.0)
    assert "curl https://api.continuum.ai/health" in curl.text
    assert down.step("review-logs").action == "manual"
    assert "- Sentry errors (last 15 min)" in down.step("review-logs").text
    db = books["database-connection-errors"]
    assert [i.name for i in db.inputs] == ["postgres_host"]
    assert db.step("check-database-status").text == "pg_isready -h {{ postgres_host }}"
    assert books["api-response-time-500ms"].severity == "P1"


@needs_seeds
def test_a_weekly_checklist_becomes_manual_steps(tmp_path: Path) -> None:
    books = import_into(seed_with("### Monday: Health Check"), tmp_path / "out", split=True)
    monday = books["monday-health-check"]
    assert [s.action for s in monday.steps] == ["manual"] * 5
    assert monday.steps[0].text == "Review weekend alerts and incidents"
    assert "weekly-operations-checklist" in monday.tags


@needs_seeds
def test_numbered_commands_in_a_war_room_playbook_become_run_steps(tmp_path: Path) -> None:
    books = import_into(seed_with("P0: API Down (Health Check Failing)"), tmp_path / "out", split=True)
    down = books["p0-api-down-health-check-failing"]
    assert down.severity == "P0"
    # the lead-in line is kept as a message right before the commands it introduces (16.2)
    assert [(s.action, s.text) for s in down.steps[:3]] == [
        ("message", "Immediate Actions:"), ("run", "docker compose ps"),
        ("run", "docker compose logs web --tail=100")]


@pytest.mark.parametrize("playbook", IMPORTABLE, ids=[p.stem for p in IMPORTABLE])
def test_fixture_playbooks_import_into_runbooks_that_validate(playbook: Path, tmp_path: Path) -> None:
    import_into(playbook, tmp_path / "out")
    assert_validates(tmp_path / "out", tmp_path)


def test_imported_commands_run_exactly_as_written(tmp_path: Path) -> None:
    import_into(FIXTURES / "playbooks" / "literal-braces.md", tmp_path / "out")
    result = run_cli(["--runbooks", str(tmp_path / "out"), "run", "echo-literals", "--yes",
                      "--no-input", "--var", "target_host=web 1", "--var", "port_number=8080",
                      "--report-dir", str(tmp_path / "reports")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output[-3000:]
    assert "{{.Names}} {{ .Status }}" in result.stdout
    assert "len=5 {% not jinja %} {# nor this #}" in result.stdout
    assert "host=web 1 at 8080" in result.stdout


def test_without_output_the_runbooks_are_one_yaml_stream_on_stdout(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    playbook = FIXTURES / "playbooks" / "oncall-handbook.md"
    assert import_playbook(str(playbook), out=out, err=err, id_prefix="oncall", split=True) == 0
    docs = list(yaml.safe_load_all(out.getvalue()))
    assert [d["id"] for d in docs] == ["oncall-severity-1-critical-database-down",
                                       "oncall-severity-2-high-slow-queries",
                                       "oncall-sev-3-disk-filling-up"]
    assert "oncall-sev-3-disk-filling-up: 2 steps (2 run)" in err.getvalue()
    assert list(tmp_path.iterdir()) == []
    out, err = io.StringIO(), io.StringIO()  # without --split: the document is one runbook
    assert import_playbook(str(playbook), out=out, err=err) == 0
    (doc,) = yaml.safe_load_all(out.getvalue())
    assert doc["id"] == "on-call-handbook" and "What became what:" in err.getvalue()


def test_import_never_overwrites_without_force(tmp_path: Path) -> None:
    playbook = FIXTURES / "playbooks" / "restart-api.md"
    import_into(playbook, tmp_path)
    target = tmp_path / "restart-the-api.yaml"
    target.write_text("edited by hand\n")
    with pytest.raises(UsageError, match="--force"):
        import_playbook(str(playbook), output=str(tmp_path), out=io.StringIO())
    assert target.read_text() == "edited by hand\n"
    import_playbook(str(playbook), output=str(tmp_path), force=True, out=io.StringIO())
    assert load_runbook(target).id == "restart-the-api"


def test_a_playbook_without_procedures_is_refused_under_split(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothing to import") as info:
        import_playbook(str(FIXTURES / "playbooks" / "prose-only.md"), output=str(tmp_path), split=True)
    assert info.value.exit_code == ExitCode.USAGE
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UsageError, match="nothing to import"):
        import_playbook(str(_empty(tmp_path)), output=str(tmp_path))


def _empty(tmp_path: Path) -> Path:
    path = tmp_path.parent / f"{tmp_path.name}-empty.md"
    path.write_text("<!-- nothing -->\n")
    return path


def test_a_prose_only_document_is_a_runbook_of_messages_and_an_empty_one_is_skipped(tmp_path: Path) -> None:
    err = io.StringIO()
    playbooks = [str(FIXTURES / "playbooks" / "prose-only.md"), str(_empty(tmp_path))]
    assert import_playbook(playbooks, output=str(tmp_path / "out"), out=io.StringIO(), err=err) == 0
    (rb,) = [load_runbook(p) for p in (tmp_path / "out").glob("*.yaml")]
    assert rb.steps and {s.action for s in rb.steps} == {"message"}
    assert f"skipped {playbooks[1]}: nothing to import" in err.getvalue()


def test_a_new_scaffold_validates_and_dry_runs(tmp_path: Path) -> None:
    from runbookctl.cli.commands.authoring import new_runbook

    new_runbook("disk-full", directory=tmp_path / "rb", out=io.StringIO())
    assert_validates(tmp_path / "rb", tmp_path)
    (tmp_path / "answers.yaml").write_text("dashboards: done\n")
    result = run_cli(["run", str(tmp_path / "rb" / "disk-full.yaml"), "--dry-run", "--no-input",
                      "--answers", str(tmp_path / "answers.yaml"), "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state", API_TOKEN="s3cret-token-value")
    assert result.code == 0, result.output[-3000:]
    assert "would ask 'What was the root cause" in result.stdout


def test_import_and_new_through_the_cli(tmp_path: Path) -> None:
    from tests.helpers import FIXTURES as FX
    from tests.helpers import run_cli

    playbook = FX / "playbooks" / "restart-api.md"
    imported = run_cli(["import", str(playbook), "--output", str(tmp_path / "rb")], cwd=tmp_path,
                       state=tmp_path / "state")
    assert imported.code == 0, imported.output
    assert list((tmp_path / "rb").glob("*.yaml"))
    again = run_cli(["import", str(playbook), "--output", str(tmp_path / "rb")], cwd=tmp_path,
                    state=tmp_path / "state")
    assert again.code == 2 and "--force" in again.output  # never overwrites silently
    made = run_cli(["--runbooks", str(tmp_path / "rb"), "new", "disk-full"], cwd=tmp_path,
                   state=tmp_path / "state")
    assert made.code == 0, made.output
    checked = run_cli(["--runbooks", str(tmp_path / "rb"), "validate", str(tmp_path / "rb")],
                      cwd=tmp_path, state=tmp_path / "state")
    assert checked.code == 0, checked.output
    bad = run_cli(["new", "Not A Slug"], cwd=tmp_path, state=tmp_path / "state")
    assert bad.code == 2
