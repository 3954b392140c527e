"""The JSON Schema of the runbook format: same keys as the loader, described, closed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runbookctl.runbook.schema import (
    BRANCH_KEYS,
    INPUT_KEYS,
    SECRET_KEYS,
    STEP_ACTIONS,
    STEP_KEYS,
    TOP_KEYS,
    runbook_schema,
)
from tests.helpers import FIXTURES


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return runbook_schema()


def test_schema_is_json_draft_2020_12(schema: dict[str, Any]) -> None:
    assert json.loads(json.dumps(schema)) == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["title", "steps"]


@pytest.mark.parametrize(("where", "keys"), [
    (("properties",), TOP_KEYS),
    (("$defs", "step", "properties"), STEP_KEYS),
    (("$defs", "branch", "properties"), BRANCH_KEYS),
    (("$defs", "input", "anyOf", 0, "properties"), INPUT_KEYS),
    (("properties", "secrets", "additionalProperties", "anyOf", 0, "properties"), SECRET_KEYS),
])
def test_every_key_the_loader_accepts_is_described(schema: dict[str, Any], where: tuple[Any, ...],
                                                   keys: dict[str, Any]) -> None:
    node: Any = schema
    for part in where:
        node = node[part]
    assert set(node) == set(keys)
    assert all(prop["description"].strip() for prop in node.values())


def test_objects_are_closed(schema: dict[str, Any]) -> None:
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["step"]["additionalProperties"] is False
    assert schema["$defs"]["branch"]["additionalProperties"] is False
    assert schema["$defs"]["input"]["anyOf"][0]["additionalProperties"] is False


def test_step_has_one_alternative_per_action(schema: dict[str, Any]) -> None:
    alternatives = schema["$defs"]["step"]["oneOf"]
    assert [alt["required"][0] for alt in alternatives] == list(STEP_ACTIONS)
    ssh = next(alt for alt in alternatives if alt["required"][0] == "ssh")
    assert ssh["required"] == ["ssh", "hosts"]


def test_schema_module_stays_light() -> None:
    code = "import sys, runbookctl.runbook.schema; print(sorted({'yaml', 'jinja2'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- with jsonschema, when it is installed (it is not a dependency) -----------


def _validator(schema: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", sorted((FIXTURES / "good").glob("*.yaml")), ids=lambda p: p.stem)
def test_good_runbooks_match_the_schema(schema: dict[str, Any], path: Path) -> None:
    validator = _validator(schema)
    assert [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))] == []


@pytest.mark.parametrize("step", [
    {"id": "a", "run": "x", "ask": "y"},
    {"id": "a", "ssh": "x"},
    {"id": "a", "manual": "x", "capture": "y"},
    {"id": "a", "run": "x", "tmeout": "5s"},
    {"id": "a", "run": "x", "timeout": "10x"},
])
def test_bad_steps_do_not_match_the_schema(schema: dict[str, Any], step: dict[str, Any]) -> None:
    validator = _validator(schema)
    assert not validator.is_valid({"title": "t", "steps": [step]})
