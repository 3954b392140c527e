"""new and import (cli/groups/authoring.py) reach their bodies with every option."""

from __future__ import annotations

from pathlib import Path

from runbookctl.cli.commands import authoring
from tests.unit.cli.groups.conftest import Bodies


def test_new_writes_into_the_first_runbooks_folder_unless_told(bodies: Bodies) -> None:
    bodies.replace(authoring, "new_runbook")
    bodies.invoke("--runbooks", "rb", "--runbooks", "more", "new", "db-slow")
    bodies.invoke("new", "db-slow", "--dir", "here", "--force")
    assert bodies.calls == [
        ("new_runbook", ("db-slow",), {"directory": None, "force": False,
                                       "runbook_dirs": [Path("rb"), Path("more")]}),
        ("new_runbook", ("db-slow",), {"directory": Path("here"), "force": True,
                                       "runbook_dirs": []}),
    ]


def test_import_passes_its_options(bodies: Bodies) -> None:
    bodies.replace(authoring, "import_playbook")
    bodies.invoke("import", "-", "b.md", "-o", "out", "--id-prefix", "team", "--force", "--split",
                  "--review", "r.md")
    assert bodies.calls == [("import_playbook", (["-", "b.md"],), {
        "output": "out", "id_prefix": "team", "force": True, "split": True, "review": "r.md"})]
