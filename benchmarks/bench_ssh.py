"""An `ssh` step on 1, 5, 10 and 20 loopback sshd hosts: SSHExecutor vs
fabric's ThreadingGroup.

    sudo .venv/bin/python benchmarks/bench_ssh.py [--reps 7] [--sizes 1,5,10,20]

Starts a fleet of real sshd servers (tests/sshd.py; root creates the test
user), then for each size times, median of --reps runs:

- cold: a new executor per run - connect, authenticate, run, close (what the
  first ssh step of a run costs);
- warm: the same executor's second step on its open connections;
- fabric: ThreadingGroup(...).run(hide=True) then close(), also cold.

The ratio column is each cold median over the 1-host cold median (target:
20 hosts <= 3x one host).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from runbookctl.executors.base import CommandSpec
from runbookctl.executors.ssh import SSHExecutor
from runbookctl.redact import Redactor
from sshd import Fleet, Server, require_sshd, test_user

COMMAND = "uname -n; uptime"


class Discard:
    def output(self, host: str, stream: str, text: str) -> None:
        pass


def median_seconds(run: Callable[[], None], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ours(fleet: Fleet, servers: list[Server], logs: Path, warm: bool) -> Callable[[], None]:
    spec = CommandSpec("bench", COMMAND, COMMAND, logs / "0001-bench.log",
                       hosts=[s.spec for s in servers], parallel=len(servers), timeout=60)
    kept = SSHExecutor(fleet.config())
    if warm:
        kept.execute(spec, Discard(), Redactor())

    def step() -> None:
        executor = kept if warm else SSHExecutor(fleet.config())
        results = executor.execute(spec, Discard(), Redactor())
        if not warm:
            executor.close()
        bad = [r for r in results if not r.ok]
        assert not bad, bad[0]

    return step


def fabric(fleet: Fleet, servers: list[Server]) -> Callable[[], None]:
    from fabric import ThreadingGroup

    def step() -> None:
        group = ThreadingGroup(*[s.spec for s in servers],
                               connect_kwargs={"key_filename": [str(fleet.client_key)],
                                               "allow_agent": False, "look_for_keys": False})
        try:
            results = group.run(COMMAND, hide=True, warn=True)
            assert all(r.ok for r in results.values())
        finally:
            group.close()

    return step


def ansible(fleet: Fleet, servers: list[Server]) -> Callable[[], None] | None:
    """TODO(ansible comparison, later issue): `ansible all -m command -f N`
    against an inventory of the same hosts; None means "not measured"."""
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--sizes", default="1,5,10,20")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    _require_sshd_or_exit()
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="rb-bench-sshd-")), test_user())
    try:
        fleet.hosts(max(sizes))
        _report(fleet, sizes, args.reps)
    finally:
        fleet.close()


def _report(fleet: Fleet, sizes: list[int], reps: int) -> None:
    print(f"ssh step `{COMMAND}`, median of {reps} runs, seconds")
    print(f"{'hosts':>5} {'cold':>7} {'ratio':>6} {'warm':>7} {'fabric':>7} {'ratio':>6} "
          f"{'ansible':>8}")
    base: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as logs:
        for n in sizes:
            servers = fleet.servers[:n]
            cold = median_seconds(ours(fleet, servers, Path(logs), warm=False), reps)
            warm = median_seconds(ours(fleet, servers, Path(logs), warm=True), reps)
            fab = median_seconds(fabric(fleet, servers), reps)
            hook = ansible(fleet, servers)
            ans = f"{median_seconds(hook, reps):8.3f}" if hook else f"{'TODO':>8}"
            base.setdefault("ours", cold)
            base.setdefault("fabric", fab)
            print(f"{n:>5} {cold:7.3f} {cold / base['ours']:5.1f}x {warm:7.3f} {fab:7.3f} "
                  f"{fab / base['fabric']:5.1f}x {ans}")


def _require_sshd_or_exit() -> None:
    try:
        require_sshd()
    except BaseException as exc:  # pytest's skip/fail outcomes
        sys.exit(f"bench_ssh: {exc}")


if __name__ == "__main__":
    main()
