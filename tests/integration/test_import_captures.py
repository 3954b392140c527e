"""Import, then run, a playbook whose step sets a variable that later steps read
(`POD=$(kubectl get pods …)`, then `kubectl logs $POD`): the run captures the first
command's output and hands it to the later commands as one word, and nobody is asked
for it before the run (the real CLI, a real program printing the value)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.helpers import CliResult, only_run_dir, run_cli

pytestmark = pytest.mark.integration

PLAYBOOK = """\
# Web pods crashlooping

## Find the pod

```
POD=$(kubectl get pods -n web -l app=web -o name | head -1)
```

## Look at its logs

```
kubectl logs -n web $POD --tail=100
```

## Restart it

```
kubectl delete -n web $POD
```
"""


def _import_and_run(tmp_path: Path, pods: str, playbook: str = PLAYBOOK
                    ) -> tuple[CliResult, Path]:
    """Import the playbook, then run it (the restart answered yes) with a kubectl that
    lists `pods` and writes down every other call, one argument per [ ]."""
    (tmp_path / "playbook.md").write_text(playbook)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        if [ "$1" = get ]; then printf '{pods}'; exit 0; fi
        for arg in "$@"; do printf '[%s]' "$arg" >> {calls}; done
        echo >> {calls}
        """))
    kubectl.chmod(0o755)
    state = tmp_path / "state"
    imported = run_cli(["import", "playbook.md", "--output", "out"], cwd=tmp_path, state=state)
    assert imported.code == 0, imported.stderr
    runbook = tmp_path / "out" / "web-pods-crashlooping.yaml"
    assert "inputs:" not in runbook.read_text()
    (tmp_path / "answers.yaml").write_text("restart-it: yes\n")
    ran = run_cli(["run", str(runbook), "--yes", "--no-input", "--answers", "answers.yaml",
                   "--report-dir", "reports"], cwd=tmp_path, state=state,
                  PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return ran, calls


def test_a_variable_set_by_one_step_reaches_the_later_ones(tmp_path: Path) -> None:
    ran, calls = _import_and_run(tmp_path, "pod/web-7d9 b\\n")
    state = tmp_path / "state"
    assert ran.code == 0, ran.stdout + ran.stderr
    assert calls.read_text().splitlines() == [
        "[logs][-n][web][pod/web-7d9 b][--tail=100]",
        "[delete][-n][web][pod/web-7d9 b]",
    ]
    journal = (only_run_dir(state) / "journal.jsonl").read_text()
    assert '"name":"pod"' in journal and "pod/web-7d9 b" in journal  # the captured event


@pytest.mark.parametrize("pods", ["pod/web-1\\npod/web-2\\n", ""])
def test_a_list_or_nothing_is_never_handed_on_as_the_value(tmp_path: Path, pods: str) -> None:
    """`$(…)` gave the later `$POD` words the shell split; a capture is one value: the
    step that captures fails on two lines or none, and nothing after it runs."""
    ran, calls = _import_and_run(tmp_path, pods, PLAYBOOK.replace(" | head -1", ""))
    assert ran.code != 0, ran.stdout
    assert not calls.exists()  # neither `kubectl logs` nor `kubectl delete` ran
    assert "find-the-pod" in ran.stdout and "expect" in ran.stdout
