"""Throughput and peak memory of the local executor on a big output.

    .venv/bin/python benchmarks/bench_output.py [MEGABYTES]

Runs `yes | head -c N` through LocalExecutor with a secret registered (so the
masker works on every chunk) and a sink that discards, in a fresh process per
case, and prints wall time, MB/s and peak RSS against a trivial command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from runbookctl.executors.base import CommandSpec
from runbookctl.executors.local import LocalExecutor
from runbookctl.redact import Redactor

class Discard:
    def output(self, host, stream, text):
        pass

command, log = sys.argv[1], sys.argv[2]
started = time.perf_counter()
spec = CommandSpec("bench", command, command, Path(log))
[result] = LocalExecutor().execute(spec, Discard(), Redactor(["s3cret-canary-value"]))
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "bytes": result.output_bytes,
    "exit": result.exit_code,
    "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""


def measure(command: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, command, f"{tmp}/out.log"],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    base = measure("true")
    big = measure(f"yes 'a line of output with some words 0123456789' | head -c {megabytes}000000")
    rate = big["bytes"] / 1e6 / big["seconds"]
    print(f"trivial command: peak RSS {base['peak_kb'] / 1024:.1f} MB")
    print(
        f"{megabytes} MB of output: {big['seconds']:.2f} s ({rate:.0f} MB/s),"
        f" peak RSS {big['peak_kb'] / 1024:.1f} MB"
        f" (+{(big['peak_kb'] - base['peak_kb']) / 1024:.1f} MB)"
    )


if __name__ == "__main__":
    main()
