"""Issue #13: "a `run` request goes down the layers from the CLI to the executor".

tests/layer_trace.py runs one `runbookctl run` under a profiler and records every
call from one runbookctl module into another. Apart from calls through the
protocols handed in as services (Display, OutputSink, Prompter, Executor …) and
callbacks handed down, no call may go into a module of a higher layer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, cli_env


def test_a_run_request_goes_down_the_layers(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    proc = subprocess.run([sys.executable, "-m", "tests.layer_trace", "--json", str(out)],
                          cwd=ROOT, env=cli_env(tmp_path / "state"), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    trace = json.loads(out.read_text())
    assert trace["exit_code"] == 0, proc.stdout
    # The request went all the way: from the typer app through the engine to bash.
    modules = trace["modules"]
    assert modules[0] == "runbookctl.cli.app"
    assert {"runbookctl.engine.walk", "runbookctl.executors.local"} <= set(modules)
    # The engine does talk to the terminal, but only through what it was handed (the
    # Display protocol, a subscriber): never through an import of the CLI.
    handed = trace["up_calls"]["protocol"] + trace["up_calls"]["callback"]
    assert any(line.startswith("runbookctl.engine.") and " -> runbookctl.cli." in line
               for line in handed), handed
    assert trace["up_calls"]["direct"] == []
