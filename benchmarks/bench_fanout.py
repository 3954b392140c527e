"""An `ssh` step on 50, 100 and 200 loopback hosts (issue 19.1): runbookctl's CLI
with `parallel: 50` against fabric's ThreadingGroup and `ansible -f 50` on the
same hosts, and the floor the sshd servers' own CPU sets on this machine.

    sudo .venv/bin/python benchmarks/bench_fanout.py [REPS] [SIZES]

The hosts are ports of sshd processes that listen on 16 ports each
(tests/sshd.py, Fleet.wide): 200 hosts are 13 sshd, each forking a process per
connection as any sshd does. Per size:

- every variant's wall time; the CPU (user+sys) of the process measured, its
  waited-for children included; and the CPU the sshd servers spent on that
  very run (utime+stime+cutime+cstime of every sshd, from /proc, before and
  after, once the per-connection processes were reaped);
- runbookctl's peak RSS (through benchlib's launcher: ru_maxrss of the CLI);
- the floor: the servers' CPU of a runbookctl run divided by the cores. On 2
  cores, no client however cheap finishes before the servers have had their
  CPU, so wall / floor says how close the CLI comes to what the servers allow
  (the client's own CPU shares those cores: it is part of what is measured);
- per-host connect latency (TCP, key exchange, authentication, session
  channel) from one in-process executor run, p50 and p99, and the most hosts
  in flight at once, against `parallel`.

ansible runs once per size (a 200-host run takes most of a minute) after the
others' interleaved runs; its `-f 50` matches `parallel: 50`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_ssh import COMMAND, Discard, ansible_variant, cli_variant, fabric_variant, sshd_cpu
from benchlib import WORK, Sample, Section, Variant, Verdict, alternate, ms, run_with_peak, table

SIZES = (50, 100, 200)
PARALLEL = 50
CORES = os.cpu_count() or 1
FLOOR_TARGET = 1.2
RSS_TARGET_MB = 100.0


def sshd_pids(servers: list[Any]) -> list[int]:
    return sorted({s.proc.pid for s in servers})


def _settled(pids: list[int], timeout: float = 5.0) -> None:
    """Wait until no sshd has a connection process left (all reaped: counted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            busy = any(Path(f"/proc/{pid}/task/{pid}/children").read_text().strip()
                       for pid in pids)
        except OSError:
            time.sleep(0.5)
            return
        if not busy:
            return
        time.sleep(0.05)


def machine_busy() -> float:
    """CPU seconds every process of the machine has used since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# What the other sessions on this shared machine used during each run: the cores
# left to the run are CORES - others / wall (the load-adjusted floor uses them).
OTHERS: dict[int, float] = {}


def with_servers(pids: list[int], once: Callable[[], Sample]) -> Callable[[], Sample]:
    """A variant's run, with what the sshd servers spent on it, and what the rest
    of the machine used meanwhile (OTHERS, by the sample's id)."""

    def run() -> Sample:
        _settled(pids)
        before, busy = sshd_cpu(pids), machine_busy()
        started = time.perf_counter()
        sample = once()
        _settled(pids)
        sample.server_cpu = sshd_cpu(pids) - before
        window = time.perf_counter() - started  # the settling counts: the others ran then too
        others = machine_busy() - busy - sample.cpu - sample.server_cpu
        OTHERS[id(sample)] = max(others, 0.0) / window
        return sample

    return run


def in_process(once: Callable[[], Sample]) -> Callable[[], Sample]:
    """An in-process variant's CPU: this process's, all threads."""

    def run() -> Sample:
        before = time.process_time()
        sample = once()
        sample.cpu = time.process_time() - before
        return sample

    return run


def connect_profile(fleet: Any, servers: list[Any], logs: Path) -> tuple[list[float], int]:
    """Per-host connect latency of one cold executor run with `parallel: 50`, and
    the most hosts in flight at once (connecting or running)."""
    from runbookctl.executors.base import CommandSpec
    from runbookctl.executors.ssh.client import SSHExecutor
    from runbookctl.safety.masking import Redactor

    executor = SSHExecutor(fleet.config(connect_timeout=30.0))
    latencies: list[float] = []
    lock, active, peak = threading.Lock(), [0], [0]
    session, host = executor._conns.session, executor._host

    def timed_session(target: Any) -> Any:
        started = time.monotonic()
        opened = session(target)
        with lock:
            latencies.append(time.monotonic() - started)
        return opened

    def counted_host(*args: Any) -> Any:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return host(*args)
        finally:
            with lock:
                active[0] -= 1

    # From 10 hosts the executor drives its hosts over libssh2 from one thread (README,
    # "SSH"): a host is libssh2_loop.FanOut._host's generator, and its command has
    # started once its Libssh2Run is made (the Output it is given names the host's log).
    from runbookctl.executors.ssh import libssh2_loop
    from runbookctl.executors.ssh.host_run import host_log

    began: dict[Path, float] = {}
    host_gen, made = libssh2_loop.FanOut._host, libssh2_loop.Libssh2Run.__init__

    def counted_gen(fan: Any, i: int) -> Any:
        began[host_log(fan.spec.log_path, str(fan.hosts[i]))] = time.monotonic()
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return (yield from host_gen(fan, i))
        finally:
            with lock:
                active[0] -= 1

    def timed_made(run: Any, config: Any, spec: Any, conn: Any, channel: Any, out: Any,
                   *rest: Any) -> None:
        made(run, config, spec, conn, channel, out, *rest)
        with lock:
            latencies.append(time.monotonic() - began[out.log.path])

    executor._conns.session = timed_session  # type: ignore[method-assign]
    executor._host = counted_host  # type: ignore[method-assign]
    libssh2_loop.FanOut._host = counted_gen  # type: ignore[method-assign]
    libssh2_loop.Libssh2Run.__init__ = timed_made  # type: ignore[method-assign]
    spec = CommandSpec("bench", COMMAND, COMMAND, logs / "0001-bench.log",
                       hosts=[s.spec for s in servers], parallel=PARALLEL, timeout=120)
    try:
        results = executor.execute(spec, Discard(), Redactor())
    finally:
        executor.close()
        libssh2_loop.FanOut._host = host_gen  # type: ignore[method-assign]
        libssh2_loop.Libssh2Run.__init__ = made  # type: ignore[method-assign]
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0]
    return latencies, peak[0]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(reps: int, tools: Path, sizes: tuple[int, ...] = SIZES) -> Section:
    from tests.sshd import Fleet, require_sshd, test_user

    require_sshd()
    folder = WORK / "fanout"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="rb-bench-wide-")), test_user())
    results: dict[int, dict[str, Any]] = {}
    try:
        fleet.wide(max(sizes))
        for n in sizes:
            results[n] = _measure(fleet, fleet.many[:n], folder, tools, reps)
    finally:
        fleet.close()
    return _section(results, reps)


def _measure(fleet: Any, servers: list[Any], folder: Path, tools: Path, reps: int
             ) -> dict[str, Any]:
    pids = sshd_pids(servers)
    logs = folder / f"logs-{len(servers)}"
    logs.mkdir()
    variants = [
        Variant(f"runbookctl run (CLI), parallel: {PARALLEL}",
                with_servers(pids, cli_variant(fleet, servers, folder, PARALLEL, run_with_peak))),
        Variant("fabric ThreadingGroup", with_servers(pids, in_process(
            fabric_variant(fleet, servers)))),
    ]
    alternate(variants, reps)
    ansible = Variant(f"ansible -m command -f {PARALLEL}",
                      with_servers(pids, ansible_variant(fleet, servers, folder, tools, PARALLEL)))
    ansible.samples.append(ansible.run())
    latencies, in_flight = connect_profile(fleet, servers, logs)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return {"variants": [*variants, ansible], "latencies": latencies, "in_flight": in_flight,
            "load": load}


def _median(v: Variant, field: str) -> float:
    return statistics.median(getattr(s, field) for s in v.samples)


def _cores_left(v: Variant) -> float:
    """The cores the other sessions left to this variant's runs (median)."""
    return max(CORES - statistics.median(OTHERS.get(id(s), 0.0) for s in v.samples), 0.1)


def _floor_ratio(v: Variant, left: bool = False) -> float:
    """wall / floor, each run against the floor its own servers' CPU set (on the cores the
    others left to that run, with `left`), median over the runs. The machine's speed
    drifts (the same 200-host step cost the servers 4.4 to 6.0 s of CPU within an hour),
    and a slow moment slows the run and its servers alike: a run's floor is its own."""
    def cores(s: Any) -> float:
        return max(CORES - OTHERS.get(id(s), 0.0), 0.1) if left else CORES

    # A run whose servers' CPU read zero has no floor of its own (no run has: nan).
    ratios = [s.seconds / (s.server_cpu / cores(s)) for s in v.samples if s.server_cpu > 0]
    return statistics.median(ratios) if ratios else float("nan")


def _section(results: dict[int, dict[str, Any]], reps: int) -> Section:
    sizes = sorted(results)
    rows = []
    for n in sizes:
        for v in results[n]["variants"]:
            server, left = _median(v, "server_cpu"), _cores_left(v)
            rows.append([str(n), v.name, ms(v.median), ms(min(v.times)), ms(max(v.times)),
                         ms(_median(v, "cpu")), ms(server),
                         f"{_floor_ratio(v):.2f}×" if server else "—",
                         f"{left:.2f}", f"{_floor_ratio(v, left=True):.2f}×" if server else "—",
                         f"{v.peak_mb:.0f} MB" if v.peak_mb else "—"])
    body = table(["hosts", "variant", "median", "min", "max", "its CPU", "sshd CPU",
                  f"wall / floor ({CORES} cores)", "cores left", "wall / floor (cores left)",
                  "peak RSS"], rows)
    body += "\n\nPer-host connect latency (TCP, key exchange, authentication, session channel; " \
            f"one cold executor run, `parallel: {PARALLEL}`) and the most hosts in flight:\n\n"
    body += table(["hosts", "connect p50", "connect p99", "connect max", "most in flight",
                   "load average after"],
                  [[str(n), ms(_pct(r["latencies"], 50)), ms(_pct(r["latencies"], 99)),
                    ms(max(r["latencies"])), f"{r['in_flight']} (≤ {PARALLEL})", r["load"]]
                   for n, r in ((n, results[n]) for n in sizes)])
    body += ("\n\nfabric is measured in this process (imports done, no journal, no report); the "
             "CLI's figure includes its start-up, journal and report.")
    body += (f"\n\n{reps} runs each of runbookctl and fabric after one warm-up, interleaved; "
             "ansible once per size. Command: `uptime`. Hosts: 16 ports per sshd "
             "(tests/sshd.py, Fleet.wide), ed25519 keys. *its CPU*: user+sys of the process "
             "(runbookctl's CLI and ansible with the children they waited for; fabric: this "
             "process's threads). *sshd CPU*: what the servers spent on that run, their "
             "per-connection processes included. *wall / (sshd CPU / cores)*: the floor is "
             "the servers' CPU spread over every core with a zero-cost client; a ratio of "
             "1.0 is unreachable on one machine, as the client's CPU shares the same cores. "
             "Each run is set against its own floor (the servers' CPU on that very run) and "
             "the median of those ratios is shown: the machine's speed drifts, and a slow "
             "moment slows a run and its servers alike (median wall and median sshd CPU come "
             "from different runs). "
             "*cores left*: the machine is shared; what every other process used during the "
             "run (/proc/stat's busy time minus the run's and the servers' CPU) is taken off "
             f"the {CORES} cores, and *wall / floor (cores left)* spreads the servers' CPU over "
             "what was left.")
    return Section(f"`ssh` step on {', '.join(map(str, sizes))} loopback hosts (fan-out)", body,
                   _verdicts(results, sizes))


def _verdicts(results: dict[int, dict[str, Any]], sizes: list[int]) -> list[Verdict]:
    last = sizes[-1]
    cli, fabric, ansible = results[last]["variants"]
    server = _median(cli, "server_cpu")
    floor, left = server / CORES, server / _cores_left(cli)
    ratio, ratio_left = _floor_ratio(cli), _floor_ratio(cli, left=True)
    return [
        Verdict(f"ssh, {last} hosts (CLI) vs the sshd floor (each run against its own)",
                f"≤ {FLOOR_TARGET}×",
                f"{ratio:.2f}× (medians: {ms(cli.median)} vs {ms(floor)}, "
                f"{cli.median / floor:.2f}×; fabric {_floor_ratio(fabric):.2f}×)",
                ratio <= FLOOR_TARGET),
        Verdict(f"ssh, {last} hosts (CLI) vs the sshd floor on the cores left by the "
                "machine's other load", f"≤ {FLOOR_TARGET}×",
                f"{ratio_left:.2f}× (medians: {ms(cli.median)} vs {ms(left)})",
                ratio_left <= FLOOR_TARGET),
        Verdict(f"ssh, {last} hosts (CLI): peak RSS", f"≤ {RSS_TARGET_MB:.0f} MB",
                f"{cli.peak_mb:.0f} MB", cli.peak_mb <= RSS_TARGET_MB),
        Verdict(f"ssh, {last} hosts, parallel: {PARALLEL}: most hosts in flight",
                f"≤ {PARALLEL}", str(results[last]["in_flight"]),
                results[last]["in_flight"] <= PARALLEL),
        Verdict(f"ssh, {last} hosts (CLI) vs ansible -f {PARALLEL}", "faster",
                f"{ms(cli.median)} vs {ms(ansible.median)} ({ansible.median / cli.median:.1f}× "
                "faster)", cli.median < ansible.median),
    ]


if __name__ == "__main__":
    from benchlib import ensure_tools

    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sizes = tuple(int(x) for x in sys.argv[2].split(",")) if len(sys.argv) > 2 else SIZES
    os.environ.pop("SSH_AUTH_SOCK", None)
    section = run(reps, ensure_tools(print), sizes)
    print(section.body)
    print(table(["case", "target", "measured", ""],
                [[v.case, v.target, v.measured, "met" if v.met else "**missed**"]
                 for v in section.verdicts]))
