"""The step graph of a runbook: its edges, and a Mermaid flowchart of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runbookctl.runbook.model import ABORT, CONTINUE, END, SKIP, Runbook, Step


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str  # a step id, or END / ABORT
    kind: str  # next | branch | failure | no
    label: str = ""


def edges(rb: Runbook) -> list[Edge]:
    """Every way the walk can leave each step."""
    out: list[Edge] = []
    ids = rb.step_ids
    for i, step in enumerate(rb.steps):
        following = ids[i + 1] if i + 1 < len(ids) else END
        out += _flow_edges(step, following)
        if step.is_command or step.action in ("manual", "include"):
            out += _failure_edges(step, following)
        if step.action == "confirm" or (step.is_command and (step.confirm is not None
                                                             or step.dangerous)):
            target = {SKIP: following, ABORT: ABORT}.get(step.on_no, step.on_no)
            out.append(Edge(step.id, target, "no", "no"))
        elif step.approval:  # a rejection follows on_no too
            target = {SKIP: following, ABORT: ABORT}.get(step.on_no, step.on_no)
            out.append(Edge(step.id, target, "no", "rejected"))
        if step.approval:
            timeout = step.on_approval_timeout
            out.append(Edge(step.id, {SKIP: following, ABORT: ABORT}.get(timeout, timeout), "no",
                            "approval timed out"))
    return out


def _flow_edges(step: Step, following: str) -> list[Edge]:
    if not step.next:
        return [Edge(step.id, following, "next")]
    out: list[Edge] = []
    for branch in step.next:
        if branch.cond is None:
            return [*out, Edge(step.id, branch.goto, "next")]
        out.append(Edge(step.id, branch.goto, "branch", branch.cond))
    return [*out, Edge(step.id, following, "next", "otherwise")]


def _failure_edges(step: Step, following: str) -> list[Edge]:
    policy = step.on_failure
    if policy == CONTINUE:
        return [Edge(step.id, following, "failure", "failed: continue")]
    if policy in (ABORT, "ask"):
        return [Edge(step.id, ABORT, "failure", "failed" if policy == ABORT else "failed: ask")]
    return [Edge(step.id, policy, "failure", "failed")]


def _node(step_id: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", step_id)


def mermaid_text(text: str) -> str:
    """Safe inside a Mermaid node ("...") or edge (|...|) label."""
    return (text.replace('"', "#quot;").replace("|", "#124;").replace("<", "#lt;")
            .replace(">", "#gt;"))


_SHAPE = {"confirm": ("{", "}"), "ask": ("[/", "/]"), "manual": ("[/", "/]"),
          "message": ("[(", ")]"), "include": ("[[", "]]")}


def mermaid(rb: Runbook) -> str:
    """A Mermaid flowchart: solid = flow, labelled = conditional, dashed = failure, dotted = no."""
    lines = ["flowchart TD", '  start(["start"])', '  n_end(["end"])', '  n_abort(["abort"])']
    for step in rb.steps:
        left, right = _SHAPE.get(step.action, ("[", "]"))
        flag = " ⚠" if step.dangerous else ""
        lines.append(f'  {_node(step.id)}{left}"{mermaid_text(step.id)}{flag}<br/>{mermaid_text(step.label)}"'
                     f"{right}")
    if rb.steps:
        lines.append(f"  start --> {_node(rb.steps[0].id)}")
    for e in edges(rb):
        dst = {END: "n_end", ABORT: "n_abort"}.get(e.dst, _node(e.dst))
        label = f"|{mermaid_text(e.label)}|" if e.label else ""
        arrow = {"failure": "-.->", "no": "-.->"}.get(e.kind, "-->")
        if e.kind == "branch":
            arrow = "==>"
        lines.append(f"  {_node(e.src)} {arrow}{label} {dst}")
    lines += ["  classDef dangerous stroke:#dc3545,stroke-width:3px"]
    danger = [_node(s.id) for s in rb.steps if s.dangerous]
    if danger:
        lines.append(f"  class {','.join(danger)} dangerous")
    return "\n".join(lines)
