"""list, show, validate, schema (cli/groups/catalog.py) reach their bodies with every option."""

from __future__ import annotations

from pathlib import Path

from runbookctl.cli.commands import catalog
from runbookctl.cli.commands import validate as validate_body
from tests.unit.cli.groups.conftest import SESSION, UI, Bodies


def test_list_and_show_pass_their_options(bodies: Bodies) -> None:
    bodies.replace(catalog, "list_runbooks")
    bodies.replace(catalog, "show_runbook", code=2)
    assert bodies.invoke("list", "--json", "--tag", "db").exit_code == 0
    assert bodies.invoke("show", "db-overload", "--graph").exit_code == 2  # the body's code
    assert bodies.calls == [
        ("list_runbooks", (SESSION,), {"as_json": True, "tag": "db"}),
        ("show_runbook", (SESSION, UI, "db-overload"), {"graph": True}),
    ]


def test_validate_takes_any_number_of_targets_and_an_answers_file(bodies: Bodies) -> None:
    bodies.replace(validate_body, "validate")
    bodies.invoke("validate")
    bodies.invoke("validate", "a", "b.yaml", "--answers", "ans.yaml")
    assert bodies.calls == [("validate", (SESSION, [], None), {}),
                            ("validate", (SESSION, ["a", "b.yaml"], Path("ans.yaml")), {})]


def test_schema_runs_its_body_under_the_error_handler(bodies: Bodies) -> None:
    def broken() -> int:
        raise RuntimeError("bug")

    bodies.monkeypatch.setattr(catalog, "print_schema", broken)
    result = bodies.invoke("schema")
    assert result.exit_code == 3  # an internal error: a message, not a traceback
    assert "internal error: RuntimeError('bug')" in result.output
