"""Crash loop (#12.5-#12.7): kill runbookctl at varied phases — SIGKILL, SIGTERM or a
double SIGINT, right after a given journal event or in the middle of a (slowed) fsync —
then resume with an answers file until the run is done. Every time:

- every step completed, its side effect present, and exactly once when its command
  was started once (never more often than its command was started);
- never two live copies of a step's command (each holds a flock; a second copy says
  OVERLAP), and no process of any journaled process group left at the end;
- the journal passes `verify`, the report is current (verify checks it too).

RUNBOOKCTL_CRASH_TRIALS raises the number of trials (default 20),
RUNBOOKCTL_CRASH_SEED changes the random choices.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from runbookctl.cli.commands.verify import _report_problems
from runbookctl.record.chain import verify_journal
from tests.helpers import ROOT, cli_env, run_cli
from tests.waiting import events_of, group_alive

pytestmark = pytest.mark.integration

TRIALS = int(os.environ.get("RUNBOOKCTL_CRASH_TRIALS") or 20)
SEED = int(os.environ.get("RUNBOOKCTL_CRASH_SEED") or 12)
STEPS = 4
HOOK = str(ROOT / "tests" / "crashhook")
STEP = """\
  - id: s{n}
    run: >-
      exec 9>>{out}/s{n}.lock; flock -n 9 || echo OVERLAP s{n} >> {out}/side;
      echo s{n} >> {out}/side; sleep {nap}
"""
KILLS = ("SIGKILL", "SIGTERM", "double SIGINT")


@dataclass
class Trial:
    """One trial's choices, drawn from its own seeded generator (reproducible)."""

    number: int
    kill: str
    trigger: str  # "event" (after the nth journal event) | "fsync" (inside the nth fsync)
    nth: int
    kill_resume_too: bool
    log: list[str] = field(default_factory=list)

    @classmethod
    def draw(cls, number: int) -> Trial:
        rng = random.Random(SEED * 1000 + number)
        trigger = rng.choice(("event", "fsync"))
        return cls(number, rng.choice(KILLS), trigger, rng.randint(1, 4 + 5 * STEPS),
                   rng.random() < 0.3)


def _env(tmp: Path, slow: bool) -> dict[str, str]:
    path = os.pathsep.join(p for p in (HOOK, os.environ.get("PYTHONPATH")) if p)
    extra = {"PYTHONPATH": path, "RUNBOOKCTL_TEST_FSYNC_MARK": str(tmp / "fsyncs")}
    if slow:
        extra["RUNBOOKCTL_TEST_SLOW_FSYNC"] = "0.05"
    return cli_env(tmp / "state", **extra)


def _spawn(tmp: Path, args: list[str], slow: bool) -> subprocess.Popen[bytes]:
    (tmp / "fsyncs").write_text("")
    return subprocess.Popen([sys.executable, "-m", "runbookctl", *args], cwd=tmp,
                            env=_env(tmp, slow), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _journal_count(tmp: Path) -> int:
    runs = list((tmp / "state" / "runs").glob("*")) if (tmp / "state" / "runs").is_dir() else []
    return sum(len(events_of(r)) for r in runs)


def _reached(tmp: Path, trial: Trial, base: int) -> bool:
    if trial.trigger == "event":
        return _journal_count(tmp) >= base + trial.nth
    return len((tmp / "fsyncs").read_text().splitlines()) >= trial.nth


def _kill_when_reached(tmp: Path, proc: subprocess.Popen[bytes], trial: Trial) -> None:
    """Wait for the trigger (or the process's end), then kill as the trial says."""
    base = _journal_count(tmp)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not _reached(tmp, trial, base):
        assert time.monotonic() < deadline, "the trigger never came"
        time.sleep(0.002)
    if proc.poll() is not None:
        trial.log.append(f"ended by itself ({proc.returncode}) before the trigger")
        return
    if trial.kill == "double SIGINT":
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
    else:
        proc.send_signal(getattr(signal, trial.kill))
    code = proc.wait(timeout=60)
    trial.log.append(f"{trial.kill} at {trial.trigger} {trial.nth}: exit {code}")
    assert code in (130, -9, 0), trial.log  # never a crash (exit 3) nor a usage error


def _resume_until_done(tmp: Path, trial: Trial, runbook: Path) -> str:
    runs = sorted((tmp / "state" / "runs").iterdir())
    assert len(runs) == 1, runs
    run_id = runs[0].name
    if not events_of(runs[0]):  # killed before its first event: nothing to resume
        empty = run_cli(["resume", run_id], tmp, tmp / "state")
        assert empty.code == 2
        assert "no run_started event (empty, or cut off as the run began)" in empty.output
        result = run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp / "r")],
                         tmp, tmp / "state")
        assert result.code == 0, result.output
        trial.log.append("killed before its first event: ran again")
        return next(p.name for p in (tmp / "state" / "runs").iterdir() if p.name != run_id)
    answers = tmp / "answers.yaml"
    answers.write_text("".join(f"s{n}: {{resume: rerun}}\n" for n in range(STEPS)))
    for attempt in range(6):
        args = ["resume", run_id, "--answers", str(answers)]
        if attempt == 0 and trial.kill_resume_too:
            proc = _spawn(tmp, args, slow=trial.trigger == "fsync")
            _kill_when_reached(tmp, proc, trial)
            continue
        result = run_cli(args, tmp, tmp / "state")
        trial.log.append(f"resume: exit {result.code}")
        if result.code == 0 or "already ended (completed)" in result.output:
            return run_id
        assert result.code != 3 and "Traceback" not in result.output, result.output
    raise AssertionError(f"trial {trial}: the run never completed")


def _check(tmp: Path, run_id: str, trial: Trial) -> None:
    run_dir = tmp / "state" / "runs" / run_id
    assert verify_journal(run_dir / "journal.jsonl") == [], trial
    events = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "run_finished", trial
    side = (tmp / "side").read_text().splitlines()
    assert not [line for line in side if line.startswith("OVERLAP")], (trial, side)
    for n in range(STEPS):
        key = f"s{n}"
        starts = [e for e in events if e["type"] == "command_process" and e["step"] == key]
        done = [i for i, e in enumerate(events) if e["type"] == "step_finished"
                and e["step"] == key and e["data"]["status"] == "ok"]
        assert done, (trial, key)
        assert not [e for e in events[done[0]:] if e["type"] == "command_process"
                    and e["step"] == key], (trial, "a completed step ran again")
        ran = side.count(key)
        assert 1 <= ran <= len(starts), (trial, key, ran, len(starts))
        if len(starts) == 1:
            assert ran == 1, (trial, key)
        for start in starts:
            assert not group_alive(int(start["data"]["pgid"])), (trial, key)
    reports = list((tmp / "r").rglob("*.md"))
    assert len(reports) == 1, (trial, reports)
    # `verify REPORT` in-process (each CLI start costs a second on a busy machine):
    # front matter against the journal's head and event count, the body re-rendered.
    session = SimpleNamespace(registry=SimpleNamespace(template_dirs=[]))
    assert _report_problems(reports[0], run_dir / "journal.jsonl", session) == [], trial  # type: ignore[arg-type]


def _runbook(tmp: Path, rng: random.Random) -> Path:
    steps = "".join(STEP.format(n=n, out=tmp, nap=rng.choice(("0", "0.05", "0.2")))
                    for n in range(STEPS))
    path = tmp / "loop.yaml"
    path.write_text(f"id: loop\ntitle: Crash loop\nsteps:\n{steps}")
    return path


def test_crash_loop(tmp_path: Path) -> None:
    tally: dict[str, int] = {}
    for number in range(TRIALS):
        trial = Trial.draw(number)
        tmp = tmp_path / f"t{number}"
        tmp.mkdir()
        runbook = _runbook(tmp, random.Random(SEED + number))
        proc = _spawn(tmp, ["run", str(runbook), "--no-input", "--report-dir", str(tmp / "r")],
                      slow=trial.trigger == "fsync")
        _kill_when_reached(tmp, proc, trial)
        run_id = _resume_until_done(tmp, trial, runbook)
        _check(tmp, run_id, trial)
        tally[trial.kill] = tally.get(trial.kill, 0) + 1
    print(f"crash loop: {TRIALS} trials, kills {tally}")
