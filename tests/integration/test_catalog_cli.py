"""list, show and schema as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli


def test_list_show_and_graph_of_the_bundled_runbooks(tmp_path: Path) -> None:
    listed = run_cli(["list", "--json"], cwd=tmp_path, state=tmp_path / "s")
    assert listed.code == 0
    ids = {r["id"] for r in json.loads(listed.stdout)}
    assert {"outage", "db-overload", "stripe-webhooks", "ml-model-failure", "backup-restore",
            "weekly-monday", "weekly-wednesday", "weekly-friday"} <= ids
    tagged = json.loads(run_cli(["list", "--json", "--tag", "weekly"], cwd=tmp_path,
                                state=tmp_path / "s").stdout)
    assert tagged and all("weekly" in r["tags"] for r in tagged)
    shown = run_cli(["show", "db-overload"], cwd=tmp_path, state=tmp_path / "s")
    assert shown.code == 0
    assert "Inputs" in shown.stdout and "pg_host" in shown.stdout and "Steps" in shown.stdout
    graph = run_cli(["show", "db-overload", "--graph"], cwd=tmp_path, state=tmp_path / "s")
    assert graph.code == 0 and graph.stdout.startswith("flowchart TD")
    schema = json.loads(run_cli(["schema"], cwd=tmp_path, state=tmp_path / "s").stdout)
    assert "steps" in schema["properties"]
