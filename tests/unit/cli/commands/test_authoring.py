"""new: a commented runbook that validates, written where the user expects, never over a file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from runbookctl.check.validate import check_runbook
from runbookctl.cli.commands.authoring import new_runbook
from runbookctl.errors import ExitCode, UsageError
from runbookctl.runbook.loader import load_runbook
from runbookctl.runbook.schema import runbook_schema


def test_new_writes_a_valid_runbook_showing_every_kind_of_step(tmp_path: Path) -> None:
    out = io.StringIO()
    assert new_runbook("db-overload", directory=tmp_path, out=out) == 0
    path = tmp_path / "db-overload.yaml"
    assert f"wrote {path}" in out.getvalue()
    rb = load_runbook(path)
    assert check_runbook(rb, path.read_text(), resolve_runbook=lambda _: None,
                         template_source=lambda _: None) == []
    assert rb.id == "db-overload" and rb.severity and rb.summary and rb.tags and rb.owners
    assert rb.inputs and rb.secrets
    health = rb.steps[0]
    assert (health.action, health.readonly) == ("run", True)
    assert health.timeout and health.capture and health.expect
    change = next(s for s in rb.steps if s.action == "run" and s.confirm)
    assert change.when and not change.readonly
    actions = [s.action for s in rb.steps]
    assert "manual" in actions and "message" in actions
    asks = [s.id for s in rb.steps if s.action == "ask"]
    assert asks == ["root-cause", "impact", "resolution", "prevention", "action-items"]


def test_the_scaffold_names_a_local_schema_file_and_says_how_to_make_it(tmp_path: Path) -> None:
    out = io.StringIO()
    new_runbook("disk-full", directory=tmp_path, out=out)
    text = (tmp_path / "disk-full.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=.runbookctl-schema.json"
    assert "runbookctl schema > .runbookctl-schema.json" in text
    assert f"runbookctl schema > {tmp_path / '.runbookctl-schema.json'}" in out.getvalue()
    import jsonschema

    jsonschema.validate(yaml.safe_load(text), runbook_schema())


def test_every_key_of_the_scaffold_is_explained(tmp_path: Path) -> None:
    new_runbook("x", directory=tmp_path, out=io.StringIO())
    lines = (tmp_path / "x.yaml").read_text().splitlines()
    explained = {"severity", "inputs", "secrets", "readonly", "timeout", "capture", "expect",
                 "on_failure", "when", "confirm", "retries", "tags", "owners"}
    for key in explained:
        line = next(line for line in lines if line.lstrip(" -").startswith(f"{key}:"))
        index = lines.index(line)
        assert "#" in line or lines[index - 1].lstrip().startswith("#"), key


def test_new_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "db.yaml"
    path.write_text("mine\n")
    with pytest.raises(UsageError) as info:
        new_runbook("db", directory=tmp_path, out=io.StringIO())
    assert info.value.exit_code == ExitCode.USAGE and "--force" in info.value.message
    assert path.read_text() == "mine\n"
    new_runbook("db", directory=tmp_path, force=True, out=io.StringIO())
    assert load_runbook(path).id == "db"


@pytest.mark.parametrize("name", ["Db Overload", "db/overload", "-db", "end", "", "ÜBER"])
def test_new_wants_a_slug(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match="NAME must be a slug"):
        new_runbook(name, directory=tmp_path, out=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_new_defaults_to_the_first_runbooks_dir_else_runbooks(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    new_runbook("one", runbook_dirs=[first, second], out=io.StringIO())
    assert (first / "one.yaml").is_file()
    monkeypatch.chdir(tmp_path)
    new_runbook("two.yaml", out=io.StringIO())  # a .yaml suffix is taken off
    assert (tmp_path / "runbooks" / "two.yaml").is_file()
