"""Start-up: `runbookctl --help`, `list`, `validate` (the bundled runbooks), and
`list` with 500 runbooks on the search path, against `python -c pass`, `python -c
"import typer"` and `ansible-playbook --version`.

Measured as a user's machine runs it: the venv's own interpreter and entry
point, bytecode caching on (PYTHONDONTWRITEBYTECODE unset), from an empty
folder so only the bundled runbooks are found.

    .venv/bin/python benchmarks/bench_startup.py [REPS]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    PYTHON,
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

TARGETS = {"runbookctl --help": 0.150, "runbookctl list": 0.300,
           "runbookctl list (500 runbooks)": 0.200}
MANY = 500
# #19.3: `--help` within 1.3× of importing typer alone (what any typer CLI pays).
HELP_OVER_TYPER = 1.3


def many_runbooks(folder: Path) -> Path:
    """MANY copies of the bundled db-overload runbook, each with its own id, dated an
    hour ago as a user's runbooks are: a file written in the last seconds is never
    indexed (runbook/index.py:RACY), so on the first `make bench` the warm-up run did
    not build the index and one measured run parsed all 500 (~3.5 s)."""
    from runbookctl.runbook.config import bundled_dir

    text = (bundled_dir("runbooks") / "db-overload.yaml").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    an_hour_ago = time.time() - 3600
    for n in range(MANY):
        path = folder / f"db-overload-{n}.yaml"
        if not path.exists():
            path.write_text(text.replace("\nid: db-overload\n", f"\nid: db-overload-{n}\n"))
            os.utime(path, (an_hour_ago, an_hour_ago))
    return folder


def run(reps: int, tools: Path) -> Section:
    cwd = WORK / "startup"
    cwd.mkdir(parents=True, exist_ok=True)
    env = bench_env(RUNBOOKCTL_STATE_DIR=str(WORK / "startup-state"))
    commands = {
        "python -c pass": [str(PYTHON), "-c", "pass"],
        "python -c 'import typer'": [str(PYTHON), "-c", "import typer"],
        "runbookctl --help": [str(RUNBOOKCTL), "--help"],
        "runbookctl list": [str(RUNBOOKCTL), "list"],
        "runbookctl list (500 runbooks)": [str(RUNBOOKCTL), "--runbooks",
                                           str(many_runbooks(WORK / "many-runbooks")), "list"],
        "runbookctl validate (bundled)": [str(RUNBOOKCTL), "validate"],
        "ansible-playbook --version": [str(tools / "ansible-playbook"), "--version"],
    }
    variants = [Variant(name, _runner(cmd, env, cwd)) for name, cmd in commands.items()]
    alternate(variants, reps)
    base = variants[0]
    verdicts = [Verdict(v.name, f"≤ {TARGETS[v.name] * 1000:.0f} ms", ms(v.median),
                        v.median <= TARGETS[v.name]) for v in variants if v.name in TARGETS]
    typer, helped = variants[1], variants[2]
    verdicts.append(Verdict("runbookctl --help against `import typer`",
                            f"≤ {HELP_OVER_TYPER:g}× ({ms(typer.median * HELP_OVER_TYPER)})",
                            f"{helped.median / typer.median:.2f}×",
                            helped.median <= typer.median * HELP_OVER_TYPER))
    body = table([*VARIANT_HEADERS, "× python -c pass"], variant_rows(variants, base))
    body += (f"\n\n{reps} runs each after one warm-up, interleaved. The entry point is "
             "`.venv/bin/runbookctl`; the working folder is empty (bundled runbooks only), except "
             f"for `list (500 runbooks)`: {MANY} copies of db-overload on `--runbooks`, listed "
             "from the index the warm-up run built (runbook/index.py).")
    return Section("Start-up", body, verdicts)


def _runner(cmd: list[str], env: dict[str, str], cwd: Path) -> Callable[[], Sample]:
    return lambda: run_measured(cmd, env, cwd)


if __name__ == "__main__":
    section = run(int(sys.argv[1]) if len(sys.argv) > 1 else 10, ensure_tools(print))
    print(section.body)
