"""The wheel ships runbooks/ and templates/ inside the package: an installed runbookctl
finds its bundled runbooks and its report template without the source tree."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, cli_env

pytestmark = pytest.mark.integration


def test_installed_wheel_finds_bundled_runbooks_and_templates(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("runbookctl-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "runbookctl/bundled_runbooks/db-overload.yaml" in names
    assert "runbookctl/bundled_templates/report.md.j2" in names
    assert "runbookctl/bundled_templates/comms/status-investigating.md.j2" in names
    for served in ("templates/base.html", "templates/runs.html", "templates/run.html",
                   "static/live.js", "static/style.css"):  # `serve`'s pages and script
        assert f"runbookctl/web/{served}" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = cli_env(tmp_path / "state", PYTHONPATH=str(site))
    where = subprocess.run([sys.executable, "-c", "import runbookctl; print(runbookctl.__file__)"],
                           env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert where.stdout.startswith(str(site))  # not the source tree
    listed = subprocess.run([sys.executable, "-m", "runbookctl", "list", "--json"], env=env,
                            capture_output=True, text=True, check=True, cwd=tmp_path)
    rows = json.loads(listed.stdout)
    assert {r["id"] for r in rows} >= {"outage", "db-overload", "weekly-monday"}
    assert all(r["source"].startswith(str(site)) for r in rows)
    (tmp_path / "rb.yaml").write_text("id: rb\ntitle: T\nsteps:\n  - id: a\n    run: 'true'\n")
    run = subprocess.run([sys.executable, "-m", "runbookctl", "run", "rb.yaml", "--no-input",
                          "--report-dir", "r"], env=env, capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert next((tmp_path / "r").glob("*.md")).read_text().startswith("---\nrun_id:")
