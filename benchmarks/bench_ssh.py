"""An `ssh` step on 1, 5, 10 and 20 loopback sshd hosts: runbookctl's SSH
executor (directly, cold and warm) and the whole CLI, against fabric's
ThreadingGroup and `ansible all -m command -f 20`.

    sudo .venv/bin/python benchmarks/bench_ssh.py [REPS] [SIZES]

Starts a fleet of real sshd servers as the tests do (tests/sshd.py; root
creates the test user). Per size, every variant runs REPS times, interleaved:

- executor, cold: a new SSHExecutor per run - connect, authenticate, run,
  close (what the first ssh step of a run costs);
- executor, warm: the same executor's next step on its open connections;
- CLI: `runbookctl run` of a one-step runbook (`parallel: 20`), start-up,
  journal and report included;
- fabric: ThreadingGroup(...).run(hide=True), then close();
- OpenSSH: the `ssh` client, one process per host, all at once (a yardstick);
- ansible: `ansible all -m command -a CMD -f 20` with its default SSH
  settings (ControlMaster on) but a fresh control folder per run, so every
  run connects anew as the others do (ControlPersist cut to 2 s so masters
  do not pile up).
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
    timed,
    variant_rows,
)

COMMAND = "uptime"
SIZES = (1, 5, 10, 20)
_serial = itertools.count()


class Discard:
    live = True

    def output(self, host: str, stream: str, text: str) -> None:
        pass


def executor_variant(fleet: Any, servers: list[Any], logs: Path, warm: bool) -> Callable[[], Sample]:
    from runbookctl.executors.base import CommandSpec
    from runbookctl.executors.ssh.client import SSHExecutor
    from runbookctl.safety.masking import Redactor

    spec = CommandSpec("bench", COMMAND, COMMAND, logs / "0001-bench.log",
                       hosts=[s.spec for s in servers], parallel=len(servers), timeout=60)
    kept = SSHExecutor(fleet.config())

    def step() -> None:
        executor = kept if warm else SSHExecutor(fleet.config())
        results = executor.execute(spec, Discard(), Redactor())
        if not warm:
            executor.close()
        bad = [r for r in results if not r.ok]
        assert not bad, bad[0]

    if warm:
        step()  # open the connections
    return lambda: timed(step)


def fabric_variant(fleet: Any, servers: list[Any]) -> Callable[[], Sample]:
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

    return lambda: timed(step)


def openssh_variant(fleet: Any, servers: list[Any]) -> Callable[[], Sample]:
    """OpenSSH's own client (C), one process per host, all at once: what the
    machine allows, as a yardstick."""
    import subprocess

    def command(server: Any) -> list[str]:
        # The key exchange paramiko negotiates: OpenSSH's default (sntrup761) costs
        # ~90 ms of CPU more per connection here.
        return ["ssh", "-F", "/dev/null", "-i", str(fleet.client_key), "-o", "IdentitiesOnly=yes",
                "-o", "KexAlgorithms=curve25519-sha256",
                "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={fleet.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-p", str(server.port),
                f"{fleet.user}@127.0.0.1", COMMAND]

    def step() -> None:
        procs = [subprocess.Popen(command(s), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for s in servers]
        codes = [p.wait() for p in procs]
        assert not any(codes), codes

    return lambda: timed(step)


def cli_variant(fleet: Any, servers: list[Any], folder: Path, parallel: int = 20,
                measure: Callable[..., Sample] = run_measured) -> Callable[[], Sample]:
    """`runbookctl run` of a one-step runbook on these hosts, fresh state each run."""
    n = len(servers)
    hosts = ", ".join(f'"{s.spec}"' for s in servers)
    runbook = folder / f"fanout-{n}.yaml"
    runbook.write_text(f"id: fanout-{n}\ntitle: uptime on {n} hosts\nhosts:\n  fleet: [{hosts}]\n"
                       f"steps:\n  - id: probe\n    ssh: {COMMAND}\n    hosts: fleet\n"
                       f"    parallel: {parallel}\n")

    (folder / "runbookctl.yaml").write_text(
        f"ssh:\n  identity_file: {fleet.client_key}\n  known_hosts: {fleet.known_hosts}\n"
        f"  config_file: {folder / 'no-ssh-config'}\n")

    def once() -> Sample:
        # A fresh state dir each run, kept until the next bench clears `folder`: removing
        # the last run's just before the next made ext4 scan the freed inodes for each
        # new log (find_inode_bit -> recently_deleted: 7% of the CLI's CPU on 200 hosts),
        # which a state dir that only grows, as a team's does, never pays.
        state = folder / "states" / f"run-{next(_serial)}"
        env = bench_env(RUNBOOKCTL_STATE_DIR=str(state))
        env.pop("SSH_AUTH_SOCK", None)
        return measure([str(RUNBOOKCTL), "run", str(runbook), "--no-input",
                        "--report-dir", str(state / "reports")], env, folder)

    return once


def ansible_variant(fleet: Any, servers: list[Any], folder: Path, tools: Path, forks: int = 20
                    ) -> Callable[[], Sample]:
    n = len(servers)
    inventory = folder / f"inventory-{n}.ini"
    lines = ["[fleet]"] + [f"h{i} ansible_host=127.0.0.1 ansible_port={s.port}"
                           for i, s in enumerate(servers)]
    lines += ["[fleet:vars]", f"ansible_user={fleet.user}",
              f"ansible_ssh_private_key_file={fleet.client_key}",
              f"ansible_ssh_common_args='-o UserKnownHostsFile={fleet.known_hosts} "
              "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'",
              "ansible_python_interpreter=/usr/bin/python3"]
    inventory.write_text("\n".join(lines) + "\n")
    cmd = [str(tools / "ansible"), "all", "-i", str(inventory), "-m", "command", "-a", COMMAND,
           "-f", str(forks)]

    def once() -> Sample:
        control = Path(tempfile.mkdtemp(prefix="cp-", dir=folder))
        env = bench_env(ANSIBLE_HOME=str(folder / "ansible-home"), ANSIBLE_NOCOLOR="1",
                        ANSIBLE_LOCAL_TEMP=str(folder / "ansible-tmp"),
                        ANSIBLE_CONFIG=str(folder / "no-ansible.cfg"),
                        ANSIBLE_SSH_CONTROL_PATH_DIR=str(control),
                        ANSIBLE_SSH_ARGS="-C -o ControlMaster=auto -o ControlPersist=2s")
        env.pop("SSH_AUTH_SOCK", None)
        try:
            return run_measured(cmd, env, folder)
        finally:
            shutil.rmtree(control, ignore_errors=True)

    return once


def cpu_split(fleet: Any, servers: list[Any], logs: Path, runs: int = 3) -> tuple[float, float]:
    """CPU seconds of one cold executor run: ours (all threads) and the sshd servers'
    (their reaped per-connection children included); medians of `runs`."""
    import statistics
    import time

    step = executor_variant(fleet, servers, logs, warm=False)
    time.sleep(3)  # ansible's ControlPersist masters (2 s) end and are reaped first
    ours, theirs = [], []
    for _ in range(runs):
        before_sshd, before = _sshd_cpu(fleet.servers), time.process_time()
        step()
        ours.append(time.process_time() - before)
        time.sleep(0.5)  # sshd reaps its connection processes asynchronously
        theirs.append(_sshd_cpu(fleet.servers) - before_sshd)
    return statistics.median(ours), statistics.median(theirs)


def _sshd_cpu(servers: list[Any]) -> float:
    return sshd_cpu(sorted({server.proc.pid for server in servers}))


def sshd_cpu(pids: list[int]) -> float:
    """CPU seconds of the sshd processes and their reaped per-connection children."""
    ticks = 0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rfind(")") + 2 :].split()
        ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def run(reps: int, tools: Path, sizes: tuple[int, ...] = SIZES) -> Section:
    from tests.sshd import Fleet, require_sshd, test_user

    require_sshd()
    folder = WORK / "ssh"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="rb-bench-sshd-")), test_user())
    try:
        fleet.hosts(max(sizes))
        rows: dict[int, list[Variant]] = {}
        cpu = {}
        for n in sizes:
            rows[n] = _measure(fleet, fleet.servers[:n], folder, tools, reps)
            cpu[n] = cpu_split(fleet, fleet.servers[:n], folder / f"logs-{n}")
    finally:
        fleet.close()
    return _section(rows, reps, cpu)


def _measure(fleet: Any, servers: list[Any], folder: Path, tools: Path, reps: int) -> list[Variant]:
    logs = folder / f"logs-{len(servers)}"
    logs.mkdir()
    variants = [
        Variant("executor, cold", executor_variant(fleet, servers, logs, warm=False)),
        Variant("executor, warm", executor_variant(fleet, servers, logs, warm=True)),
        Variant("runbookctl run (CLI)", cli_variant(fleet, servers, folder)),
        Variant("fabric ThreadingGroup", fabric_variant(fleet, servers)),
        Variant("OpenSSH ssh, a process each", openssh_variant(fleet, servers)),
        Variant("ansible -m command -f 20", ansible_variant(fleet, servers, folder, tools)),
    ]
    alternate(variants, reps)
    return variants


def _section(rows: dict[int, list[Variant]], reps: int, cpu: dict[int, tuple[float, float]]
             ) -> Section:
    sizes = sorted(rows)
    first, last = sizes[0], sizes[-1]
    names = [v.name for v in rows[first]]
    header = ["hosts", *names]
    body_rows = []
    for n in sizes:
        cells = [str(n)]
        for i, v in enumerate(rows[n]):
            ratio = v.median / rows[first][i].median
            cells.append(f"{ms(v.median)} ({ratio:.1f}×)")
        body_rows.append(cells)
    body = "Median per run, and in brackets the ratio to the same variant on 1 host:\n\n"
    body += table(header, body_rows)
    body += "\n\nmin / max per variant:\n\n" + table(
        ["hosts", *VARIANT_HEADERS[1:], "variant"],
        [[str(n), *row[1:4], row[0]] for n in sizes
         for row in variant_rows(rows[n], None)])
    body += (f"\n\n{reps} runs each after one warm-up, interleaved within a size. Command: "
             f"`{COMMAND}`; hosts: real sshd on 127.0.0.1 (tests/sshd.py), ed25519 keys, "
             "the test user. ansible: `-f 20`, default SSH arguments except ControlPersist "
             "2 s and a fresh ControlPath folder per run (cold like the others).")
    cores = os.cpu_count() or 1
    body += ("\n\nThe executor connects over paramiko below 10 hosts and over libssh2 from 10 "
             "(README.md, \"SSH\"): the 1- and 5-host rows are paramiko's, the 10- and 20-host "
             "rows libssh2's.")
    body += ("\n\nCPU of one cold executor run (runbookctl's process, all threads; the sshd "
             "servers with their per-connection processes), and the wall-clock floor that "
             f"sets on {cores} cores, where client and servers share the machine:\n\n")
    body += table(["hosts", "runbookctl CPU", "sshd CPU", f"(sum) / {cores} cores",
                   "executor, cold (median)"],
                  [[str(n), ms(cpu[n][0]), ms(cpu[n][1]), ms(sum(cpu[n]) / cores),
                    ms(rows[n][0].median)] for n in sizes])
    one, ours_cpu, sshd_cpu = rows[first][0].median, cpu[last][0], cpu[last][1]
    target, floor = 3 * one, (ours_cpu + sshd_cpu) / cores
    budget = max(cores * target - sshd_cpu, 0.0)  # client CPU that would still fit
    body += (f"\n\nAgainst the {last}-host target (≤ 3× one host: {ms(target)}): the sshd "
             f"servers' {ms(sshd_cpu)} and runbookctl's {ms(ours_cpu)} of CPU on {cores} cores "
             f"need at least {ms(floor)}. ")
    if budget > 0:
        body += (f"To fit, runbookctl would have to handle {last} SSH handshakes, "
                 f"authentications and sessions in {ms(budget)} of CPU ({budget / last * 1000:.1f} "
                 f"ms a host, against ~{ours_cpu / last * 1000:.0f} now). ")
    else:
        body += (f"The servers alone need {ms(sshd_cpu / cores)}: no client, however cheap, "
                 "could fit. ")
    body += ("OpenSSH 9.2 forks and re-execs itself per connection and runs the login shell: "
             "under `perf`, sshd was 66% of all CPU during a 20-host run, runbookctl 19%, the "
             "command and its shell 8%. One host is bound by round trips, not CPU, so it gains "
             "nothing from the second core: the faster the single host, the worse the ratio.")
    verdicts = []
    for i, label in ((0, "executor, cold"), (2, "CLI")):
        ratio = rows[last][i].median / rows[first][i].median
        verdicts.append(Verdict(f"ssh, {last} hosts vs 1 ({label})", "≤ 3×",
                                f"{ratio:.2f}× ({ms(rows[last][i].median)} vs "
                                f"{ms(rows[first][i].median)})", ratio <= 3.0))
    ans = rows[last][5].median
    for i, label in ((0, "executor, cold"), (2, "CLI")):
        ours = rows[last][i].median
        verdicts.append(Verdict(f"ssh, {last} hosts ({label}) vs ansible -f 20", "faster",
                                f"{ms(ours)} vs {ms(ans)} ({ans / ours:.1f}× faster)", ours < ans))
    return Section(f"`ssh` step on {', '.join(map(str, sizes))} loopback hosts", body, verdicts)


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sizes = tuple(int(x) for x in sys.argv[2].split(",")) if len(sys.argv) > 2 else SIZES
    os.environ.pop("SSH_AUTH_SOCK", None)
    print(run(reps, ensure_tools(print), sizes).body)
