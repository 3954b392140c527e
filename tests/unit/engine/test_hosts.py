"""Which hosts an ssh step runs on: --hosts over the runbook's hosts: over the
inventory.yaml files beside the runbooks (an earlier directory's group wins)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.check.workspace import Session
from runbookctl.engine.hosts import as_options, cli_groups, hosts_for_step, inventory, inventory_files
from runbookctl.errors import UsageError
from tests.helpers import write

BOOK = """\
id: deploy
title: Deploy
hosts:
  app: [app1, ops@app2:2222]
steps:
  - {id: app, ssh: uptime, hosts: app}
  - {id: db, ssh: uptime, hosts: db}
  - {id: web, ssh: uptime, hosts: [web]}
  - {id: none, ssh: uptime, hosts: [empty]}
"""


@pytest.fixture
def dirs(tmp_path: Path) -> list[Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write(first / "deploy.yaml", BOOK)
    write(first / "inventory.yaml", "db: [db1, db2]\nempty: []\n")
    write(second / "inventory.yaml", "db: [other-db]\nweb: [web1]\n")
    return [first, second]


def test_inventory_files_are_found_in_search_path_order(dirs: list[Path], tmp_path: Path) -> None:
    assert inventory_files([*dirs, tmp_path]) == [d / "inventory.yaml" for d in dirs]


def test_an_earlier_inventorys_group_shadows_a_later_ones(dirs: list[Path]) -> None:
    groups = inventory(dirs)
    assert [str(h) for h in groups["db"]] == ["db1", "db2"]
    assert [str(h) for h in groups["web"]] == ["web1"]


def test_hosts_of_a_step_come_from_cli_runbook_then_inventory(dirs: list[Path]) -> None:
    session = Session.create(dirs, write(dirs[0] / "runbookctl.yaml", "{}\n"))
    rb = session.registry.load("deploy")
    step = {s.id: s for s in rb.steps}
    assert hosts_for_step(step["app"], rb, session, []) == ["app1", "ops@app2:2222"]
    assert hosts_for_step(step["db"], rb, session, []) == ["db1", "db2"]
    assert hosts_for_step(step["web"], rb, session, []) == ["web1"]
    assert hosts_for_step(step["db"], rb, session, ["db=cli-db"]) == ["cli-db"]
    with pytest.raises(UsageError) as err:
        hosts_for_step(step["none"], rb, session, [])
    assert err.value.message == "step none: no hosts to run on (hosts: empty)"


def test_hosts_options_name_groups_the_steps_run_on_else_are_refused(dirs: list[Path]) -> None:
    """Checked before the run: a mistyped group used to be ignored silently."""
    session = Session.create(dirs, write(dirs[0] / "runbookctl.yaml", "{}\n"))
    rb = session.registry.load("deploy")
    assert cli_groups(["db=a,b", "web=c"], rb, session) == {"db": ["a", "b"], "web": ["c"]}
    with pytest.raises(UsageError) as err:
        cli_groups(["dbb=a"], rb, session)
    assert err.value.message == ("--hosts dbb=a: no step of deploy runs on a group 'dbb' "
                                 "(did you mean 'db'?); its steps run on: app, db, empty, web")
    with pytest.raises(UsageError) as err:
        cli_groups(["db"], rb, session)
    assert err.value.message == "--hosts expects GROUP=host1,host2, got 'db'"


def test_a_runs_groups_give_back_the_options_that_made_them() -> None:
    assert as_options({"db": ["a", "b"], "web": ["c"]}) == ["db=a,b", "web=c"]
