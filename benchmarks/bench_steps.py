"""Per-step overhead: `runbookctl run` of a generated runbook of N `true` steps,
non-interactive, against a bash script of N `true` and an ansible-playbook of
the same tasks (connection local, fewer tasks, scaled per task).

    .venv/bin/python benchmarks/bench_steps.py [REPS]

runbookctl journals five events per command step, on disk before the command
runs (one fsync a step, made while the command's shell starts: docs/record.md,
section 5), and keeps each command's output in a log file made at its first
byte (a `true` step prints nothing: no file): all of that is in the figure.
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
    ensure_tools,
    ms,
    run_measured,
    table,
    variant_rows,
)

STEPS = 500
ANSIBLE_TASKS = 20  # ansible costs ~0.3 s a task here: 500 would take minutes per run
TARGET_MS = 3.0
# #19.2: what one more `true` step costs (N steps against 1, so start-up and the
# runbook's loading drop out) beyond what bash pays to run /bin/true once.
MARGINAL_TARGET_MS = 1.0
CHEAP_RUNS = 3  # bash's and runbookctl's runs: this many times ansible's
_serial = itertools.count()


def write_runbook(path: Path, steps: int) -> Path:
    lines = [f"id: true-{steps}", f"title: {steps} true steps", "steps:"]
    lines += [f"  - id: s{i}\n    run: \"true\"" for i in range(steps)]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_playbook(path: Path, tasks: int, python: Path) -> Path:
    lines = ["- hosts: localhost", "  connection: local", "  gather_facts: false",
             f"  vars: {{ansible_python_interpreter: {python}}}", "  tasks:"]
    lines += [f"    - name: s{i}\n      ansible.builtin.shell: \"true\"" for i in range(tasks)]
    path.write_text("\n".join(lines) + "\n")
    return path


def cli_run(runbook: Path) -> Callable[[], Sample]:
    """One `runbookctl run` in a fresh state dir (deleted afterwards, untimed)."""

    def once() -> Sample:
        state = WORK / f"steps-state-{next(_serial)}"
        env = bench_env(RUNBOOKCTL_STATE_DIR=str(state))
        try:
            return run_measured([str(RUNBOOKCTL), "run", str(runbook), "--no-input",
                                 "--report-dir", str(state / "reports")], env, runbook.parent)
        finally:
            shutil.rmtree(state, ignore_errors=True)

    return once


def ansible_env(folder: Path) -> dict[str, str]:
    return bench_env(ANSIBLE_HOME=str(folder / "ansible-home"),
                     ANSIBLE_LOCAL_TEMP=str(folder / "ansible-tmp"),
                     ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=str(folder / "no-ansible.cfg"),
                     ANSIBLE_LOCALHOST_WARNING="False",
                     ANSIBLE_INVENTORY_UNPARSED_WARNING="False")


def run(reps: int, tools: Path) -> Section:
    folder = WORK / "steps"
    folder.mkdir(parents=True, exist_ok=True)
    big = write_runbook(folder / "true-500.yaml", STEPS)
    one = write_runbook(folder / "true-1.yaml", 1)
    (folder / "true-500.sh").write_text("#!/bin/bash\n" + "true\n" * STEPS)
    (folder / "bin-true-500.sh").write_text("#!/bin/bash\n" + "/bin/true\n" * STEPS)
    plays = {n: write_playbook(folder / f"play-{n}.yaml", n, tools / "python")
             for n in (1, ANSIBLE_TASKS)}
    aenv = ansible_env(folder)
    playbook = str(tools / "ansible-playbook")
    variants = [
        Variant(f"bash: {STEPS} × true (builtin)",
                lambda: run_measured(["bash", str(folder / "true-500.sh")])),
        Variant(f"bash: {STEPS} × /bin/true (a process each)",
                lambda: run_measured(["bash", str(folder / "bin-true-500.sh")])),
        Variant(f"runbookctl run: {STEPS} steps", cli_run(big)),
        Variant("runbookctl run: 1 step", cli_run(one)),
        Variant(f"ansible-playbook: {ANSIBLE_TASKS} tasks",
                lambda: run_measured([playbook, "-i", "localhost,", str(plays[ANSIBLE_TASKS])],
                                     aenv, folder)),
        Variant("ansible-playbook: 1 task",
                lambda: run_measured([playbook, "-i", "localhost,", str(plays[1])], aenv, folder)),
    ]
    alternate(variants, reps)
    # bash and runbookctl take a second or two a run, ansible several: they get more
    # runs, so that the marginal cost (a difference of two medians, ~0.1 ms a step
    # apart from run to run here) is not decided by one slow moment of the machine.
    alternate(variants[:4], (CHEAP_RUNS - 1) * reps, warmup=False)
    return _section(variants, reps)


def _section(variants: list[Variant], reps: int) -> Section:
    bash, bin_true, rb, rb1, ans, ans1 = variants
    over = (rb.median - bash.median) / STEPS
    marginal = (rb.median - rb1.median) / (STEPS - 1) - bin_true.median / STEPS
    rows = variant_rows(variants, bash)
    scale = ANSIBLE_TASKS / STEPS  # bash's 500 steps as many as ansible's tasks
    per_step = [
        ["runbookctl", f"{over * 1000:.2f} ms",
         f"{(rb.median - bin_true.median) / STEPS * 1000:.2f} ms",
         f"{(rb.median - rb1.median) / (STEPS - 1) * 1000:.2f} ms"],
        ["ansible-playbook", f"{(ans.median - bash.median * scale) / ANSIBLE_TASKS * 1000:.1f} ms",
         f"{(ans.median - bin_true.median * scale) / ANSIBLE_TASKS * 1000:.1f} ms",
         f"{(ans.median - ans1.median) / (ANSIBLE_TASKS - 1) * 1000:.1f} ms"],
    ]
    body = table([*VARIANT_HEADERS, "× bash"], rows)
    body += "\n\nPer step:\n\n" + table(
        ["tool", "over bash `true` (all-in)", "over bash `/bin/true`", "marginal (N vs 1 step)"],
        per_step)
    body += (f"\n\n{reps} runs each after one warm-up, interleaved, then bash and runbookctl "
             f"{(CHEAP_RUNS - 1) * reps} more (interleaved too: {CHEAP_RUNS * reps} runs in all). "
             "runbookctl: "
             "`run RUNBOOK --no-input --report-dir D` in a fresh `$RUNBOOKCTL_STATE_DIR`, output "
             "to /dev/null; all-in = (run − bash) / steps, so start-up, loading and checking the "
             f"runbook and writing the report are spread over the steps. ansible: {ANSIBLE_TASKS} "
             "`shell: true` tasks, `-i localhost,`, connection local, no fact gathering, "
             f"compared with bash scaled to {ANSIBLE_TASKS} steps.")
    verdict = Verdict(f"{STEPS} `true` steps", f"≤ {TARGET_MS:g} ms per step over bash",
                      f"{over * 1000:.2f} ms ({ms(rb.median)} for {STEPS})",
                      over * 1000 <= TARGET_MS)
    marginal_verdict = Verdict(
        f"{STEPS} `true` steps: marginal over bash `/bin/true`",
        f"≤ {MARGINAL_TARGET_MS:g} ms per step",
        f"{marginal * 1000:.2f} ms ({(rb.median - rb1.median) / (STEPS - 1) * 1000:.2f} ms a step "
        f"against {bin_true.median / STEPS * 1000:.2f} ms)",
        marginal * 1000 <= MARGINAL_TARGET_MS)
    return Section(f"{STEPS} `true` steps, non-interactive", body, [verdict, marginal_verdict])


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3, ensure_tools(print)).body)
