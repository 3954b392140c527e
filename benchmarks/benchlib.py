"""Shared parts of the benchmarks: timing alternated runs, peak memory, the
tools venv (ansible-core), the machine's description and the Markdown tables.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"  # gitignored: throwaway venv, generated runbooks, state
BIN = ROOT / ".venv" / "bin"
PYTHON = BIN / "python"
RUNBOOKCTL = BIN / "runbookctl"
TOOLS = WORK / "tools"  # ansible-core lives here, never in the project's venv
TOOLS_PACKAGES = ("ansible-core",)


@dataclass
class Sample:
    seconds: float
    peak_mb: float = 0.0  # peak RSS of the process tree measured, when known
    cpu: float = 0.0  # user+sys CPU seconds of what was measured, when known
    server_cpu: float = 0.0  # CPU seconds the sshd servers spent on it, when measured


@dataclass
class Variant:
    """One thing being timed: a name and a callable doing one run."""

    name: str
    run: Callable[[], Sample]
    samples: list[Sample] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_mb(self) -> float:
        return max((s.peak_mb for s in self.samples), default=0.0)


def alternate(variants: Sequence[Variant], reps: int, warmup: bool = True) -> None:
    """Run each variant `reps` times, interleaved (A B C, B C A, ...) so that a slow
    moment of the machine lands on every variant rather than on one."""
    if warmup:
        for v in variants:
            v.run()
    for rep in range(reps):
        shift = rep % len(variants)
        for v in [*variants[shift:], *variants[:shift]]:
            v.samples.append(v.run())


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: bytecode caching on, no test leftovers."""
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("RUNBOOKCTL_", "ANSIBLE_"))}
    env.update(NO_COLOR="1", RUNBOOKCTL_OPERATOR="bench", COLUMNS="120")
    env.update(extra)
    return env


def run_measured(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None,
                 stdout: int | None = subprocess.DEVNULL, check: bool = True) -> Sample:
    """Wall time (peak_mb is unreliable here: see run_with_peak)."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    cpu = usage.ru_utime + usage.ru_stime
    if check and proc.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return Sample(seconds, usage.ru_maxrss / 1024, cpu)


# Peak RSS needs a go-between: on exec, Linux keeps the old address space's
# high-water mark as the process's ru_maxrss, and a child forked (or vforked)
# straight from this process starts with ours. A small Python forks the command
# instead; its own ~10 MB is then the floor, well under what is measured.
_LAUNCHER = """
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(out, "w") as fh:
    fh.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)} "
             f"{usage.ru_utime + usage.ru_stime}")
"""


def run_with_peak(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None
                  ) -> Sample:
    """Like run_measured, with the command's true peak RSS (through _LAUNCHER)."""
    WORK.mkdir(parents=True, exist_ok=True)
    result = WORK / "launcher.out"
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, str(result), *cmd],
                          env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    seconds, peak_kb, code, cpu = result.read_text().split()
    if proc.returncode or int(code):
        tail = proc.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{tail}")
    return Sample(float(seconds), int(peak_kb) / 1024, float(cpu))


def timed(fn: Callable[[], object]) -> Sample:
    started = time.perf_counter()
    fn()
    return Sample(time.perf_counter() - started)


def ensure_tools(log: Callable[[str], None]) -> Path:
    """The throwaway venv with ansible-core (created once, reused); returns its bin/."""
    bin_dir = TOOLS / "bin"
    if not (bin_dir / "ansible-playbook").exists():
        log(f"installing {', '.join(TOOLS_PACKAGES)} into {TOOLS.relative_to(ROOT)} ...")
        shutil.rmtree(TOOLS, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check",
                        *TOOLS_PACKAGES], check=True)
    return bin_dir


def tool_version(cmd: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(cmd), capture_output=True, text=True, check=False, timeout=60)
    except OSError:
        return "not installed"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": cpu,
        "python": platform.python_version() + f" ({sys.executable})",
        "kernel": platform.release(),
        "load average at start": load,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        # A `|` splits a Markdown cell even inside backticks.
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), "|" + "|".join(" --- " for _ in headers) + "|",
                      *(line(row) for row in rows)])


def variant_rows(variants: Sequence[Variant], base: Variant | None, memory: bool = False
                 ) -> list[list[str]]:
    """median, min, max (and peak RSS), and the ratio to `base`."""
    rows = []
    for v in variants:
        row = [v.name, ms(v.median), ms(min(v.times)), ms(max(v.times))]
        if memory:
            row.append(f"{v.peak_mb:.0f} MB")
        row.append(f"{v.median / base.median:.2f}×" if base is not None else "")
        rows.append(row)
    return rows


VARIANT_HEADERS = ["variant", "median", "min", "max"]


@dataclass
class Verdict:
    """One target of issue 6 against what was measured."""

    case: str
    target: str
    measured: str
    met: bool


@dataclass
class Section:
    """One case's part of RESULTS.md."""

    title: str
    body: str
    verdicts: list[Verdict] = field(default_factory=list)
