"""A step writing 500 MB: `runbookctl run` of a one-step runbook against the
same pipeline redirected to a file (`cmd > file`), with wall time and the
peak RSS of the runbookctl process (os.wait4).

    .venv/bin/python benchmarks/bench_output.py [REPS] [MEGABYTES]

runbookctl streams the output to the terminal (here /dev/null), masks it,
hashes it and writes it in full to the step's log file: both sides write the
whole output to disk. A run of a single `true` step gives the resting RSS.
"""

from __future__ import annotations

import itertools
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    RUNBOOKCTL,
    VARIANT_HEADERS,
    WORK,
    Sample,
    Section,
    Variant,
    Verdict,
    alternate,
    bench_env,
    ms,
    run_with_peak,
    table,
    variant_rows,
)

MEGABYTES = 500
LINE = "a line of output with some words 0123456789"
WALL_RATIO, PEAK_MB = 1.5, 60.0
_serial = itertools.count()


def pipeline(megabytes: int) -> str:
    return f"yes '{LINE}' | head -c {megabytes}000000"


def runbook(folder: Path, name: str, command: str, secret: bool = False) -> Path:
    path = folder / f"{name}.yaml"
    secrets = "secrets:\n  BENCH_TOKEN: {env: BENCH_TOKEN}\n" if secret else ""
    path.write_text(f"id: {name}\ntitle: {name}\n{secrets}steps:\n  - id: out\n"
                    f"    run: {command}\n")
    return path


def cli_run(path: Path, stdout_file: bool = False) -> Callable[[], Sample]:
    """`runbookctl run` with its output into /dev/null, or into a file (as in
    `runbookctl run ... > run.log`: then 500 MB are written twice)."""

    def once() -> Sample:
        state = WORK / f"output-state-{next(_serial)}"
        env = bench_env(RUNBOOKCTL_STATE_DIR=str(state), BENCH_TOKEN="s3cret-canary-value")
        cmd = [str(RUNBOOKCTL), "run", str(path), "--no-input", "--report-dir", str(state / "reports")]
        if stdout_file:  # exec: the measured process is still runbookctl
            cmd = ["/bin/sh", "-c", f'exec "$0" "$@" > {state}.out', *cmd]
        try:
            return run_with_peak(cmd, env, path.parent)
        finally:
            shutil.rmtree(state, ignore_errors=True)
            Path(f"{state}.out").unlink(missing_ok=True)

    return once


def shell_to_file(folder: Path, megabytes: int) -> Callable[[], Sample]:
    target = folder / "out.txt"

    def once() -> Sample:
        try:
            return run_with_peak(["/bin/sh", "-c", f"{pipeline(megabytes)} > {target}"])
        finally:
            target.unlink(missing_ok=True)

    return once


def run(reps: int, megabytes: int = MEGABYTES) -> Section:
    folder = WORK / "output"
    folder.mkdir(parents=True, exist_ok=True)
    command = pipeline(megabytes)
    variants = [
        Variant(f"`{command} > file`", shell_to_file(folder, megabytes)),
        Variant("runbookctl run: the same step", cli_run(runbook(folder, "big", command))),
        Variant("runbookctl run: the same, one secret to mask",
                cli_run(runbook(folder, "big-secret", command, secret=True))),
        Variant("runbookctl run: one `true` step", cli_run(runbook(folder, "tiny", "'true'"))),
        Variant("runbookctl run: the same step, `> file` (output shown and logged)",
                cli_run(runbook(folder, "big", command), stdout_file=True)),
    ]
    alternate(variants, reps)
    base, ours = variants[0], variants[1]
    body = table([*VARIANT_HEADERS, "peak RSS", "× cmd > file"], variant_rows(variants, base, True))
    rate = megabytes / ours.median
    body += (f"\n\n{reps} runs each after one warm-up, interleaved. {megabytes} MB of "
             f"{len(LINE) + 1}-byte lines; runbookctl's output goes to /dev/null, its log to "
             f"the state dir ({rate:.0f} MB/s through the CLI). Into /dev/null runbookctl "
             "masks, hashes and logs every byte but prepares only the tail for display (nobody "
             "sees the rest); the `> file` row is the cost when the output is shown too: every "
             "byte scanned for escape sequences, indented and written a second time. "
             "Peak RSS: ru_maxrss of the "
             "process and the children it waited for (sh, yes, head: small), from wait4 in a "
             "small forking launcher (benchlib.run_with_peak), so ~10 MB is the floor.")
    ratio = ours.median / base.median
    verdicts = [
        Verdict(f"a step writing {megabytes} MB: wall", f"≤ {WALL_RATIO:g}× `cmd > file`",
                f"{ratio:.2f}× ({ms(ours.median)} vs {ms(base.median)})", ratio <= WALL_RATIO),
        Verdict(f"a step writing {megabytes} MB: peak RSS", f"≤ {PEAK_MB:g} MB",
                f"{ours.peak_mb:.0f} MB (one `true` step: {variants[3].peak_mb:.0f} MB)",
                ours.peak_mb <= PEAK_MB),
    ]
    return Section(f"A step writing {megabytes} MB", body, verdicts)


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(run(reps, int(sys.argv[2]) if len(sys.argv) > 2 else MEGABYTES).body)
