"""Scale: re-rendering the report of a 2,000-step run, and `validate` over 500
generated runbooks.

    .venv/bin/python benchmarks/bench_scale.py [REPS]

The 2,000-step run is made once with the real CLI (commands with output,
skipped steps, manual checks and questions answered from a file), then
`runbookctl report RUN_ID --output F` is timed, with the rendering alone
(journal replay + template + masking + token scan, in-process) beside it.

The generated runbooks are 12 steps each (inputs, a secret, a host group,
templated commands, capture/expect, when, ssh, confirm, ask, manual, message,
next branches, on_failure jumps); 100 copies of the bundled runbooks (300-400
lines each) are validated too, for scale.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    ROOT,
    RUNBOOKCTL,
    VARIANT_HEADERS,
    WORK,
    Section,
    Variant,
    Verdict,
    alternate,
    bench_env,
    ms,
    run_measured,
    table,
    timed,
    variant_rows,
)

REPORT_STEPS = 2000
RUNBOOKS = 500
BUNDLED_COPIES = 100
REPORT_TARGET, VALIDATE_TARGET = 1.0, 2.0


def big_runbook(path: Path, steps: int) -> tuple[Path, Path]:
    """A runbook of `steps` steps and its answers file."""
    lines = [f"id: big-{steps}", f"title: {steps}-step drill", "severity: P2",
             "inputs:", "  service: {default: web}", "steps:"]
    answers = []
    for i in range(steps):
        sid = f"s{i:04d}"
        if i % 50 == 7:
            lines += [f"  - id: {sid}", f"    manual: Check dashboard {i} for {{{{ service }}}}."]
            answers.append(f"{sid}: done")
        elif i % 50 == 13:
            lines += [f"  - id: {sid}", "    when: service == 'db'", "    run: echo never"]
        else:
            lines += [f"  - id: {sid}", f"    title: Check {i}",
                      f"    run: echo 'check {i} of {{{{ service }}}} ok'; echo 'line two {i}'"]
    lines += ["  - id: root-cause", "    ask: What was the root cause?"]
    answers.append("root-cause: a generated drill")
    path.write_text("\n".join(lines) + "\n")
    answer_file = path.with_suffix(".answers.yaml")
    answer_file.write_text("\n".join(answers) + "\n")
    return path, answer_file


GENERATED = """\
id: {rid}
title: Generated runbook {n}
severity: P{sev}
summary: Generated for the validate benchmark.
tags: [generated, bench]
inputs:
  api_url: {{default: "http://localhost:{port}"}}
  limit: {{type: int, default: {n}}}
secrets:
  TOKEN_{n}: {{env: TOKEN_{n}}}
hosts:
  web: [deploy@web{n}.internal, "web{n}b:2222"]
steps:
  - id: health
    run: curl -fsS {{{{ api_url }}}}/health
    timeout: 10s
    on_failure: restart
  - id: count
    run: echo {{{{ limit }}}}
    capture: count
    expect: result.stdout | int < 1000
    on_failure: continue
  - id: big
    when: count | int > 10
    run: echo "count is {{{{ count }}}}"
  - id: logs
    ssh: tail -n {{{{ limit }}}} /var/log/app.log
    hosts: web
    parallel: 2
    readonly: true
  - id: gate
    confirm: Restart the service on {{{{ api_url }}}}?
    on_no: review
  - id: restart
    ssh: sudo systemctl restart app
    hosts: web
    retries: 2
    retry_delay: 1s
  - id: wait
    run: curl -fsS {{{{ api_url }}}}/health
    until: result.exit_code == 0
    every: 5s
    within: 1m
  - id: notify
    message: "Service restarted at {{{{ now() }}}} (count {{{{ count }}}})."
  - id: check
    manual: Check the dashboard for errors.
  - id: branch
    ask: Is the error rate back to normal?
    type: choice
    choices: ["yes", "no"]
    next:
      - {{if: "branch == 'no'", goto: escalate}}
      - {{goto: review}}
  - id: escalate
    run: echo escalating with {{{{ TOKEN_{n} }}}}
  - id: review
    ask: What was the root cause?
"""


def generate_runbooks(folder: Path, count: int) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for n in range(count):
        rid = f"gen-{n:03d}"
        (folder / f"{rid}.yaml").write_text(
            GENERATED.format(rid=rid, n=n, sev=n % 4, port=8000 + n))
    return folder


def bundled_copies(folder: Path, count: int) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sources = [p for p in sorted((ROOT / "runbooks").glob("*.yaml")) if p.stem != "post-incident"]
    for n in range(count):
        src = sources[n % len(sources)]
        text = re.sub(r"(?m)^id: .*$", f"id: {src.stem}-{n:03d}", src.read_text(), count=1)
        (folder / f"{src.stem}-{n:03d}.yaml").write_text(text)
    return folder


def make_run(folder: Path, steps: int) -> tuple[Path, str]:
    """Run the big runbook once through the CLI; returns (state dir, run id)."""
    rb, answers = big_runbook(folder / f"big-{steps}.yaml", steps)
    state = folder / "state"
    shutil.rmtree(state, ignore_errors=True)
    env = bench_env(RUNBOOKCTL_STATE_DIR=str(state))
    run_measured([str(RUNBOOKCTL), "run", str(rb), "--no-input", "--answers", str(answers),
                  "--report-dir", str(folder / "reports")], env, folder)
    (run_dir,) = (state / "runs").iterdir()
    return state, run_dir.name


def run(reps: int) -> Section:
    folder = WORK / "scale"
    folder.mkdir(parents=True, exist_ok=True)
    state, run_id = make_run(folder, REPORT_STEPS)
    env = bench_env(RUNBOOKCTL_STATE_DIR=str(state))
    out = folder / "rerendered.md"
    generated = generate_runbooks(folder / "generated", RUNBOOKS)
    bundled = bundled_copies(folder / "bundled", BUNDLED_COPIES)
    vr = [str(RUNBOOKCTL), "validate"]
    report = [
        Variant(f"runbookctl report RUN --output F ({REPORT_STEPS} steps)",
                lambda: run_measured([str(RUNBOOKCTL), "report", run_id, "--output", str(out)],
                                     env, folder)),
        Variant("rendering alone, in-process", lambda: timed(lambda: _render(state / "runs" / run_id))),
    ]
    validate = [
        Variant(f"runbookctl validate DIR ({RUNBOOKS} generated)",
                lambda: run_measured([*vr, str(generated)], bench_env(), folder)),
        Variant(f"runbookctl validate DIR ({BUNDLED_COPIES} bundled copies)",
                lambda: run_measured([*vr, str(bundled)], bench_env(), folder)),
    ]
    alternate([*report, *validate], reps)
    return _section(report, validate, reps, out)


def _render(run_dir: Path) -> None:
    from runbookctl.record.writeup import final_text, load_state

    final_text(load_state(run_dir))


def _section(report: list[Variant], validate: list[Variant], reps: int, out: Path) -> Section:
    size = out.stat().st_size / 1e6 if out.exists() else 0.0
    body = table([*VARIANT_HEADERS, ""], variant_rows([*report, *validate], None))
    lines = sum(1 for _ in (WORK / "scale" / "generated").glob("*.yaml"))
    body += (f"\n\n{reps} runs each after one warm-up, interleaved. The report of the "
             f"{REPORT_STEPS}-step run is {size:.1f} MB. {lines} generated runbooks of 12 steps "
             "(~60 lines); the bundled copies are 150-390 lines each.")
    verdicts = [
        Verdict(f"report of a {REPORT_STEPS}-step run", f"≤ {REPORT_TARGET:g} s",
                f"{ms(report[0].median)} (rendering alone {ms(report[1].median)})",
                report[0].median <= REPORT_TARGET),
        Verdict(f"validate {RUNBOOKS} generated runbooks", f"≤ {VALIDATE_TARGET:g} s",
                ms(validate[0].median), validate[0].median <= VALIDATE_TARGET),
    ]
    return Section("Report rendering and validation at scale", body, verdicts)


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3).body)
