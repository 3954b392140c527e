"""show --graph: the step graph as Mermaid, with conditional and failure edges distinct."""

from __future__ import annotations

from pathlib import Path

from runbookctl.runbook.graph import edges, mermaid
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import Runbook

RUNBOOK = """\
id: g
title: Graph
steps:
  - id: check
    run: "true"
    on_failure: repair
    next:
      - {if: "steps.check.status == 'ok'", goto: done}
      - {goto: repair}
  - id: repair
    confirm: Repair?
    on_no: skip
  - id: fix
    run: "true"
    dangerous: true
    on_failure: continue
  - id: done
    manual: Tell the team.
"""


def _rb() -> Runbook:
    return load_runbook_text(RUNBOOK, str(Path("g.yaml")))


def test_edges_cover_flow_branches_failures_and_no() -> None:
    kinds = {(e.src, e.dst, e.kind) for e in edges(_rb())}
    assert ("check", "done", "branch") in kinds
    assert ("check", "repair", "next") in kinds
    assert ("check", "repair", "failure") in kinds
    assert ("repair", "fix", "no") in kinds  # on_no: skip goes to the following step
    assert ("fix", "done", "failure") in kinds  # continue
    assert ("fix", "abort", "no") in kinds  # dangerous implies a confirmation; 'no' aborts


def test_mermaid_draws_each_kind_of_edge_differently() -> None:
    text = mermaid(_rb())
    assert text.startswith("flowchart TD")
    assert "n_check ==>|steps.check.status == 'ok'| n_done" in text
    assert "n_check -.->|failed| n_repair" in text
    assert "n_repair -.->|no| n_fix" in text
    assert "n_check --> n_repair" in text
    assert 'n_repair{"repair<br/>repair"}' in text  # a gate is a diamond
    assert "class n_fix dangerous" in text
