"""The fan-out bench's statistics (benchmarks/bench_fanout.py), without servers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_fanout
from benchlib import Sample, Variant


def _variant(*runs: tuple[float, float]) -> Variant:
    v = Variant("v", lambda: Sample(0.0))
    v.samples.extend(Sample(seconds, server_cpu=server) for seconds, server in runs)
    return v


def test_a_run_whose_servers_cost_nothing_measurable_does_not_break_the_report() -> None:
    """The table guards the ratio with the median sshd CPU, which a single run's zero does
    not make zero: each run's own floor is divided by, so that run must be left out."""
    v = _variant((2.0, 4.0), (1.0, 0.0), (3.0, 6.0))
    cores = bench_fanout.CORES
    assert bench_fanout._floor_ratio(v) == 2.0 / (4.0 / cores)
    results = {50: {"variants": [v, _variant((1.0, 2.0)), _variant((5.0, 0.0))],
                    "in_flight": 1, "latencies": [], "load": "0"}}
    bench_fanout._verdicts(results, [50])  # the fabric ratio shown in a verdict too
