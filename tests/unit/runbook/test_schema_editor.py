"""The committed schema is what `runbookctl schema` prints; bundled runbooks point at it."""

from __future__ import annotations

import json
import re

import yaml

from runbookctl.runbook.schema import runbook_schema
from tests.helpers import ROOT


def test_committed_schema_matches_the_code() -> None:
    committed = json.loads((ROOT / "schema" / "runbook.schema.json").read_text())
    assert committed == runbook_schema(), "run: .venv/bin/runbookctl schema > schema/runbook.schema.json"


def test_every_bundled_runbook_names_the_schema_for_editors() -> None:
    for path in sorted((ROOT / "runbooks").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/runbook.schema.json", path


def test_pre_commit_hook_runs_validate_on_runbook_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "runbookctl-validate"
    assert hook["entry"] == "runbookctl validate"
    assert re.search(hook["files"], "ops/runbooks/db-overload.yaml")
    assert not re.search(hook["exclude"], "ops/runbooks/db-overload.yaml")
    assert re.search(hook["exclude"], "ops/runbooks/inventory.yaml")


def test_bundled_runbooks_are_valid_against_the_schema() -> None:
    import jsonschema

    schema = runbook_schema()
    for path in sorted((ROOT / "runbooks").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
