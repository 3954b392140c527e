"""The team's run store (issue 18.5): 500 `true` steps with config `store:` against the
same run without it. The store is a real PostgreSQL started here (tests/services.py,
as the tests do: initdb on a free port, `store init`); the run ships its journal from
a process of its own (store/worker.py) and waits at most 2.5 s at its end for the last
batch, all of which is in the figure. Every event must be in the store when the run exits.

    .venv/bin/python benchmarks/bench_store.py [REPS]
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_steps import STEPS, write_runbook
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
    table,
    variant_rows,
)

TARGET_MS = 1.0  # #18.5: at most this much more per step with the store on
_serial = itertools.count()


def cpu_measured(cmd: list[str], env: dict[str, str], cwd: Path, cpu: list[float]) -> Sample:
    """Wall time, and the command's own CPU seconds (user + system, all its threads) added to
    `cpu`: on a loaded machine the wall time also counts the store's server and neighbours."""
    import os
    import time

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed")
    cpu.append(usage.ru_utime + usage.ru_stime)
    return Sample(time.perf_counter() - started, usage.ru_maxrss / 1024)


def cli_run(runbook: Path, cwd: Path, cpu: list[float], shipped: list[tuple[int, int]] | None = None,
            count: Callable[[str], int] | None = None) -> Callable[[], Sample]:
    """One `runbookctl run` in a fresh state dir, from `cwd` (whose runbookctl.yaml names
    the store, or none); with `count`, how many of the journal's events the store holds."""

    def once() -> Sample:
        state = WORK / f"store-state-{next(_serial)}"
        env = bench_env(RUNBOOKCTL_STATE_DIR=str(state))
        try:
            sample = cpu_measured([str(RUNBOOKCTL), "run", str(runbook), "--no-input",
                                   "--report-dir", str(state / "reports")], env, cwd, cpu)
            if count is not None and shipped is not None:
                run_dir = next((state / "runs").iterdir())
                lines = (run_dir / "journal.jsonl").read_text().count("\n")
                shipped.append((count(run_dir.name), lines))
            return sample
        finally:
            shutil.rmtree(state, ignore_errors=True)

    return once


def run(reps: int) -> Section:
    from tests.services import TeamStore, running_postgres

    folder = WORK / "store"
    off, on = folder / "off", folder / "on"
    for f in (off, on):
        f.mkdir(parents=True, exist_ok=True)
    runbook = write_runbook(folder / "true-500.yaml", STEPS)
    with running_postgres() as pg:
        store = TeamStore(pg)
        pg.sql(f"create role {store.tool} login")
        pg.create_database(store.db)
        store.config(on)
        subprocess.run([str(RUNBOOKCTL), "store", "init", "--admin", store.admin_url], cwd=on,
                       env=bench_env(), check=True, capture_output=True)
        shipped: list[tuple[int, int]] = []
        cpu_off: list[float] = []
        cpu_on: list[float] = []

        def count(run_id: str) -> int:
            return int(store.sql(f"select count(*) from events where run_id = '{run_id}'"))

        variants = [Variant(f"runbookctl run: {STEPS} steps, no store", cli_run(runbook, off, cpu_off)),
                    Variant(f"runbookctl run: {STEPS} steps, store on",
                            cli_run(runbook, on, cpu_on, shipped, count))]
        alternate(variants, reps)
    return _section(variants, reps, shipped, (cpu_off, cpu_on))


def _section(variants: list[Variant], reps: int, shipped: list[tuple[int, int]],
             cpu: tuple[list[float], list[float]]) -> Section:
    import statistics

    off, on = variants
    per_step = (on.median - off.median) / STEPS
    cpu_step = (statistics.median(cpu[1]) - statistics.median(cpu[0])) / STEPS
    complete = sum(1 for have, lines in shipped if have == lines)
    body = table([*VARIANT_HEADERS, "× no store"], variant_rows(variants, off))
    body += (f"\n\nWith the store on: {per_step * 1000:+.3f} ms a step ({ms(on.median - off.median)} "
             f"over {STEPS} steps); runbookctl's own CPU {cpu_step * 1000:+.3f} ms a step "
             f"({statistics.median(cpu[1]):.2f} s against {statistics.median(cpu[0]):.2f} s); "
             f"every event in the store when the run exited in {complete} of "
             f"{len(shipped)} runs. {reps} runs each after one warm-up, interleaved; PostgreSQL "
             "on this machine (fsync off, as in the tests), `store init` run once; each run in a "
             "fresh state dir.")
    verdict = Verdict(f"{STEPS} `true` steps, store on", f"≤ {TARGET_MS:g} ms more per step",
                      f"{per_step * 1000:+.3f} ms ({ms(on.median)} against {ms(off.median)}; CPU "
                      f"{cpu_step * 1000:+.3f} ms a step); "
                      f"all shipped at exit in {complete}/{len(shipped)}",
                      per_step * 1000 <= TARGET_MS and complete == len(shipped))
    return Section(f"{STEPS} `true` steps with the team's store", body, [verdict])


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3).body)
