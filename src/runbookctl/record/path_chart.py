"""The path a run took as a Mermaid flowchart, for the report (GitHub renders it).

Nodes are coloured by outcome. A straight stretch of steps that all ended ok
(three or more, one way in and one way out, no labelled jump) is one node
naming its first and last step: a 37-step walk is a dozen boxes, and every
branch, failure and skip still has its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from runbookctl.outcomes import RunStatus, StepStatus
from runbookctl.runbook.graph import mermaid_text

if TYPE_CHECKING:
    from runbookctl.record.run_state import RunState

_MIN_STRETCH = 3
Edge = tuple[str, str, str]


def mermaid_path(state: RunState) -> str:
    """The flowchart text (without the fence)."""
    seen = list(dict.fromkeys(key for key, _status in state.path))
    edges = [e for e in dict.fromkeys(state.edges) if e[0] in seen and e[1] in seen]
    node_of = _stretches(state, seen, edges)
    lines = ["flowchart TD", '  start(["start"])']
    lines += _node_lines(state, seen, node_of)
    if seen:
        lines.append(f"  start --> {node_of[seen[0]]}")
    kept = [(node_of[s], node_of[d], why) for s, d, why in edges if node_of[s] != node_of[d]]
    lines += _edge_lines(list(dict.fromkeys(kept)))
    end = "end" if state.status == RunStatus.COMPLETED else state.status
    lines.append(f'  finish(["{mermaid_text(end or RunStatus.RUNNING)}"])')
    if seen:
        lines.append(f"  {node_of[state.path[-1][0]]} --> finish")
    used = {line.rsplit(":::", 1)[1] for line in lines if ":::" in line}
    lines += [f"  classDef {name} {style}" for name, style in _CLASSES.items() if name in used]
    return "\n".join(lines)


# Only the classes the chart uses are defined: a report is read, and every line counts.
_CLASSES = {"ok": "fill:#d4edda,stroke:#28a745", "failed": "fill:#f8d7da,stroke:#dc3545",
            "skipped": "fill:#eeeeee,stroke:#999999", "running": "fill:#fff3cd,stroke:#ffc107"}


def _stretches(state: RunState, seen: list[str], edges: list[Edge]) -> dict[str, str]:
    """Step key -> its node id: the first step's of its straight ok stretch."""
    outs: dict[str, list[Edge]] = {}
    ins: dict[str, list[Edge]] = {}
    for edge in edges:
        outs.setdefault(edge[0], []).append(edge)
        ins.setdefault(edge[1], []).append(edge)
    node_of: dict[str, str] = {}
    run: list[str] = []
    for key in [*seen, None]:
        if key is not None and run and _joined(run[-1], key, outs, ins) and _ok(state, key) \
                and _ok(state, run[-1]):
            run.append(key)
            continue
        for member in run:
            node_of[member] = node_id(run[0]) if len(run) >= _MIN_STRETCH else node_id(member)
        run = [key] if key is not None else []
    return node_of


def _joined(a: str, b: str, outs: dict[str, list[Edge]], ins: dict[str, list[Edge]]) -> bool:
    out, into = outs.get(a, []), ins.get(b, [])
    return len(out) == 1 and len(into) == 1 and out[0] == (a, b, out[0][2]) and out[0][2] in ("", "next")


def _ok(state: RunState, key: str) -> bool:
    rec = state.steps.get(key)
    return rec is not None and rec.status == StepStatus.OK and rec.visits <= 1


def _node_lines(state: RunState, seen: list[str], node_of: dict[str, str]) -> list[str]:
    lines = []
    members: dict[str, list[str]] = {}
    for key in seen:
        members.setdefault(node_of[key], []).append(key)
    for node, keys in members.items():
        if len(keys) > 1:
            first, last = (_label(state, k) for k in (keys[0], keys[-1]))
            lines.append(f'  {node}["{first}<br/>… {len(keys) - 2} more …<br/>{last}<br/>'
                         f'<i>{len(keys)} steps ok</i>"]:::ok')
            continue
        rec = state.steps.get(keys[0])
        status = rec.status if rec else StepStatus.RUNNING
        lines.append(f'  {node}["{_label(state, keys[0])}<br/><i>{status}</i>"]:::{_css(status)}')
    return lines


def _label(state: RunState, key: str) -> str:
    rec = state.steps.get(key)
    title = rec.title if rec else key
    if title in (key, key.rsplit("/", 1)[-1]):
        return mermaid_text(key)
    return f"{mermaid_text(key)}<br/>{mermaid_text(title)}"


def node_id(key: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", key)


def _edge_lines(edges: list[Edge]) -> list[str]:
    """One line per chain of edges (`a --> b --> c`)."""
    lines: list[str] = []
    chain_end = None
    for src, dst, why in edges:
        label = "" if why in ("", "next") else why
        arrow = f" -->|{mermaid_text(label[:60])}| " if label else " --> "
        if lines and src == chain_end:
            lines[-1] += f"{arrow}{dst}"
        else:
            lines.append(f"  {src}{arrow}{dst}")
        chain_end = dst
    return lines


def _css(status: str) -> str:
    shown = {StepStatus.OK, StepStatus.FAILED, StepStatus.SKIPPED}
    return status if status in shown else (
        StepStatus.SKIPPED if status == StepStatus.DRY_RUN else StepStatus.RUNNING)
