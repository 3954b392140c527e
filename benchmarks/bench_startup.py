"""Start-up time of `runbookctl --help` and `list`, against `python -c pass`.

Measured as a user's machine runs it: the venv's own interpreter (no pyenv
shim) and bytecode caching on (PYTHONDONTWRITEBYTECODE unset). Target: --help
<= 150 ms, list <= 300 ms (median of N runs, after one warm-up run).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TARGETS = {"--help": 0.150, "list": 0.300}


def _time(cmd: list[str], env: dict[str, str]) -> list[float]:
    subprocess.run(cmd, env=env, capture_output=True, check=False)  # warm the bytecode cache
    out = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=False)
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cases = {
        "python -c pass": [str(BIN / "python"), "-c", "pass"],
        "runbookctl --help": [str(BIN / "runbookctl"), "--help"],
        "runbookctl list": [str(BIN / "runbookctl"), "list"],
        "runbookctl validate (bundled)": [str(BIN / "runbookctl"), "validate"],
    }
    failed = False
    print(f"{'case':32} {'median':>9} {'min':>9} {'max':>9}  target")
    for name, cmd in cases.items():
        samples = _time(cmd, env)
        med = statistics.median(samples)
        key = name.split(" ", 1)[1] if name.startswith("runbookctl") else ""
        target = TARGETS.get(key)
        verdict = "" if target is None else ("ok" if med <= target else "MISSED")
        failed |= verdict == "MISSED"
        tgt = f"<= {target * 1000:.0f} ms {verdict}" if target else ""
        print(f"{name:32} {med * 1000:8.1f}ms {min(samples) * 1000:8.1f}ms "
              f"{max(samples) * 1000:8.1f}ms  {tgt}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
