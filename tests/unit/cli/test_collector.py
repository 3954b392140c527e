"""The console script runs with the cyclic collector off until a command that lasts
turns it on (cli/collector.py): a run's walk, watch and serve; a short command ends
with it off. Checked in the console script's own process (entry, as installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import cli_env

PROBE = """\
import atexit, gc, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(f"{gc.isenabled()} {gc.get_freeze_count() > 0}"))
sys.argv[0] = "runbookctl"
from runbookctl.cli.app import entry
entry()
"""


def _collector_at_exit(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "gc-state"
    proc = subprocess.run([sys.executable, "-c", PROBE, str(out), *args], cwd=tmp_path,
                          env=cli_env(tmp_path / "state"), capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out.read_text()


def test_a_run_collects_again_once_it_walks_and_a_short_command_never_does(
        tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text("id: book\ntitle: Book\nsteps:\n  - id: one\n    run: 'true'\n")
    assert _collector_at_exit(tmp_path, "validate", str(book)) == "False False"
    assert _collector_at_exit(tmp_path, "run", str(book), "--no-input", "--report-dir",
                              str(tmp_path / "reports")) == "True True"


def test_lasting_freezes_what_exists_then_collects() -> None:
    code = ("import gc\nfrom runbookctl.cli.collector import lasting\n"
            "gc.disable()\nlasting()\nprint(gc.isenabled(), gc.get_freeze_count() > 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.split() == ["True", "True"]
