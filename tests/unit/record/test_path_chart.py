"""The path chart: every branch, failure and skip has its own node; straight ok stretches fold."""

from __future__ import annotations

import itertools

from runbookctl.record.path_chart import mermaid_path
from runbookctl.record.run_state import RunState, StepRecord


def _state(statuses: dict[str, str], edges: list[tuple[str, str, str]] | None = None) -> RunState:
    state = RunState(status="completed")
    state.steps = {k: StepRecord(k, f"Title {k}", "run", status=v, visits=1) for k, v in statuses.items()}
    state.path = list(statuses.items())
    keys = list(statuses)
    state.edges = edges if edges is not None else [(a, b, "") for a, b in itertools.pairwise(keys)]
    return state


def test_a_straight_ok_stretch_is_one_node_naming_its_ends() -> None:
    chart = mermaid_path(_state({"a": "ok", "b": "ok", "c": "ok", "d": "ok", "e": "failed"}))
    nodes = [line for line in chart.splitlines() if "]:::" in line]
    assert len(nodes) == 2
    assert 'Title a<br/>… 2 more …<br/>d<br/>Title d<br/><i>4 steps ok</i>"]:::ok' in nodes[0]
    assert "  s_a --> s_e" in chart.splitlines()
    assert "s_e[\"e<br/>Title e<br/><i>failed</i>\"]:::failed" in chart


def test_a_labelled_jump_and_short_stretches_keep_their_nodes() -> None:
    chart = mermaid_path(_state({"a": "ok", "b": "ok", "c": "skipped"},
                                [("a", "b", "on_failure: continue"), ("b", "c", "")]))
    assert chart.count("]:::") == 3
    assert "  s_a -->|on_failure: continue| s_b --> s_c" in chart.splitlines()
