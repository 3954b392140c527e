"""ssh steps through the real CLI against real sshd hosts: groups, fan-out, failures, dry run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import cli_env, journal_events, only_report, only_run_dir, run_cli
from tests.sshd import Fleet

pytestmark = pytest.mark.integration

RUNBOOK = """\
id: fleet-check
title: Fleet check
steps:
  - id: stamp
    ssh: echo "stamp $(id -un)" > {{ scratch }}/$(hostname)-$PPID-{{ tag }} && echo done-{{ tag }}
    hosts: web
    capture: stamps
  - id: uptime
    ssh: echo "up on {{ host }}"
    hosts: web
    on_failure: continue
  - id: local
    run: echo local-after
"""


def _project(tmp_path: Path, fleet: Fleet, hosts: list[str], extra_config: str = "") -> Path:
    project = tmp_path / "project"
    (project / "runbooks").mkdir(parents=True)
    (project / "runbooks" / "fleet-check.yaml").write_text(
        RUNBOOK.replace("{{ scratch }}", str(fleet.scratch())))
    inventory = "web:\n" + "".join(f"  - {h}\n" for h in hosts)
    (project / "runbooks" / "inventory.yaml").write_text(inventory)
    (project / "runbookctl.yaml").write_text(
        "ssh:\n"
        f"  identity_file: {fleet.client_key}\n"
        f"  known_hosts: {fleet.known_hosts}\n"
        f"  config_file: {fleet.root / 'no-ssh-config'}\n"
        "  connect_timeout: 5s\n" + extra_config)
    return project


def _run(project: Path, *args: str) -> tuple[int, str]:
    result = run_cli(["run", "fleet-check", "--no-input", "--report-dir",
                      str(project / "reports"), *args], cwd=project, state=project / "state")
    return result.code, result.output


def _stoppable(tmp_path: Path, fleet: Fleet, name: str, command: str) -> Path:
    """A project whose runbook `name` has one step, `ssh: command` on one host, with a
    30 s kill grace (the tests that stop it never wait that long)."""
    (server,) = fleet.hosts(1)
    project = _project(tmp_path, fleet, [server.spec], "  kill_grace: 30s\n")
    (project / "runbooks" / f"{name}.yaml").write_text(
        f"id: {name}\ntitle: {name}\nsteps:\n  - id: {name}\n    hosts: web\n"
        f"    ssh: {command}\n")
    return project


def test_ssh_step_on_an_inventory_group_records_each_host(tmp_path: Path,
                                                          sshd_fleet: Fleet) -> None:
    servers = sshd_fleet.hosts(3)
    project = _project(tmp_path, sshd_fleet, [s.spec for s in servers])
    code, out = _run(project)
    assert code == 2 and "tag" in out  # the template names an undefined variable: validate says so
    text = (project / "runbooks" / "fleet-check.yaml").read_text().replace("{{ tag }}", "t1")
    (project / "runbooks" / "fleet-check.yaml").write_text(text)
    code, out = _run(project)
    assert code == 0, out
    for server in servers:
        assert f"[{server.spec}] done-t1" in out  # live output, prefixed by host
        assert f"[{server.spec}] up on {server.spec}" in out  # {{ host }}: rendered per host
    report = only_report(project / "reports")
    for server in servers:
        assert f"| {server.spec} | 0 |" in report  # a per-host row with its exit code
    events = journal_events(only_run_dir(project / "state"))
    finished = [e for e in events if e["type"] == "command_finished" and e["step"] == "stamp"]
    assert len(finished) == 1
    assert sorted(h["host"] for h in finished[0]["data"]["hosts"]) == sorted(s.spec for s in servers)


def test_one_host_down_fails_the_step_and_names_it(tmp_path: Path, sshd_fleet: Fleet) -> None:
    good = sshd_fleet.hosts(1)[0]
    down = sshd_fleet.start_extra()
    down.stop()
    project = _project(tmp_path, sshd_fleet, [good.spec, down.spec])
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t2"))
    code, out = _run(project)
    assert code == 2, out  # stamp fails (on_failure ask, no terminal): no answer, exit 2
    assert 'Add "stamp: {on_failure: retry | retry-failed-hosts | skip | abort' in out
    assert f"{down.spec}: connection refused" in out
    report = only_report(project / "reports")
    assert f"| {good.spec} | 0 |" in report
    assert f"| {down.spec} | — |" in report and "connection refused" in report


def test_dry_run_prints_the_command_per_host_without_connecting(tmp_path: Path,
                                                                sshd_fleet: Fleet) -> None:
    down = sshd_fleet.start_extra()
    down.stop()  # nobody listens: a connection attempt would fail the step
    project = _project(tmp_path, sshd_fleet, [down.spec, "db.invalid"])
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t3"))
    code, out = _run(project, "--dry-run")
    assert code == 0, out
    assert "dry run: would run on" in out and "db.invalid" in out
    assert "connection refused" not in out


def test_a_host_alias_from_an_included_ssh_config_file(tmp_path: Path, sshd_fleet: Fleet) -> None:
    """`Include config.d/*` in the ssh config (relative: from ~/.ssh; here absolute): the
    alias it defines leads to the real host, as `ssh fleet-alias` would."""
    (server,) = sshd_fleet.hosts(1)
    included = tmp_path / "config.d"
    included.mkdir()
    (included / "fleet.conf").write_text(
        f"Host fleet-alias\n    HostName 127.0.0.1\n    Port {server.port}\n"
        f"    User {server.user}\n")
    project = _project(tmp_path, sshd_fleet, ["fleet-alias"])
    config = project / "runbookctl.yaml"
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(f"Include {included}/*.conf\n")
    config.write_text(config.read_text().replace(str(sshd_fleet.root / "no-ssh-config"),
                                                 str(ssh_config)))
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t11"))
    code, out = _run(project)
    assert code == 0, out
    assert "up on fleet-alias" in out and "done-t11" in only_report(project / "reports")


def test_unknown_host_key_strict_then_accept_new(tmp_path: Path, sshd_fleet: Fleet) -> None:
    new = sshd_fleet.start_extra()  # its key is in no known_hosts file
    project = _project(tmp_path, sshd_fleet, [new.spec])
    known = tmp_path / "known_hosts"
    known.write_text("")
    config = project / "runbookctl.yaml"
    config.write_text(config.read_text().replace(str(sshd_fleet.known_hosts), str(known)))
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t4"))
    code, out = _run(project)
    assert code == 2  # the step failed and its failure prompt has no answer
    assert f"unknown host key for {new.address}" in out and new.fingerprint in out
    assert known.read_text() == ""  # strict: nothing was trusted
    config.write_text(config.read_text() + "  host_key_policy: accept-new\n")
    for report in (project / "reports").glob("*.md"):
        report.unlink()
    code, out = _run(project)
    assert code == 0, out
    assert new.fingerprint in only_report(project / "reports")  # journaled and reported
    assert known.read_text().strip()  # remembered for next time


def test_retry_the_failed_hosts_only(tmp_path: Path, sshd_fleet: Fleet) -> None:
    a, b = sshd_fleet.hosts(2)
    scratch = sshd_fleet.scratch()
    project = _project(tmp_path, sshd_fleet, [a.spec, b.spec])
    (project / "runbooks" / "fleet-check.yaml").write_text(
        "id: fleet-check\ntitle: Retry\nsteps:\n  - id: flaky\n    hosts: web\n"
        f"    ssh: echo run >> {scratch}/count-{{{{ host }}}}; "
        f"test -f {scratch}/ok-{{{{ host }}}} || {{ touch {scratch}/ok-{{{{ host }}}}; exit 1; }}\n")
    (scratch / f"ok-{a.spec}").write_text("")
    (project / "answers.yaml").write_text("flaky: {on_failure: retry-failed-hosts}\n")
    code, out = _run(project, "--answers", str(project / "answers.yaml"))
    assert code == 0, out
    assert (scratch / f"count-{a.spec}").read_text() == "run\n"  # the good host ran once
    assert (scratch / f"count-{b.spec}").read_text() == "run\nrun\n"  # the failed one again
    report = only_report(project / "reports")
    assert "retry-failed-hosts" in report


def test_ssh_config_paths_are_relative_to_the_config_and_bad_values_rejected_up_front(
        tmp_path: Path, sshd_fleet: Fleet) -> None:
    import shutil

    server = sshd_fleet.hosts(1)[0]
    project = _project(tmp_path, sshd_fleet, [server.spec])
    shutil.copy(sshd_fleet.client_key, project / "deploy_key")
    (project / "deploy_key").chmod(0o600)
    config = project / "runbookctl.yaml"
    config.write_text(config.read_text().replace(str(sshd_fleet.client_key), "deploy_key"))
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t6"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli(["--config", str(config), "run", "fleet-check", "--no-input",
                      "--report-dir", str(project / "reports")], cwd=elsewhere,
                     state=project / "state")
    assert result.code == 0, result.output
    config.write_text(config.read_text() + "  host_key_policy: trust-everything\n")
    bad = run_cli(["--config", str(config), "run", "fleet-check", "--no-input"], cwd=elsewhere,
                  state=project / "state2")
    assert bad.code == 2
    assert f"{config}:" in bad.output and "ssh.host_key_policy: must be one of" in bad.output
    assert not (project / "state2").exists()  # refused before anything ran


def test_every_ssh_key_the_config_check_accepts_works_in_a_run(tmp_path: Path,
                                                              sshd_fleet: Fleet) -> None:
    """`connect_timeout: 1m30s` passed the check, then stopped the run at its first ssh
    step; kill_grace, use_agent and user_known_hosts were refused by the check."""
    server = sshd_fleet.hosts(1)[0]
    project = _project(tmp_path, sshd_fleet, [server.spec])
    config = project / "runbookctl.yaml"
    config.write_text(config.read_text().replace("connect_timeout: 5s", "connect_timeout: 1m30s")
                      + "  keepalive: 1m\n  kill_grace: 1500ms\n  use_agent: false\n"
                      f"  user_known_hosts: {sshd_fleet.root / 'no-user-known-hosts'}\n")
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t7"))
    checked = run_cli(["validate", "fleet-check"], cwd=project, state=project / "state")
    assert checked.code == 0, checked.output
    code, out = _run(project)
    assert code == 0, out
    assert f"[{server.spec}] done-t7" in out


@pytest.mark.parametrize(("line", "message"), [
    ("  keepalive: 1 minute", "6:14: ssh.keepalive: bad duration '1 minute'"),
    ("  kill_grace: soon", "6:15: ssh.kill_grace: bad duration 'soon'"),
    ("  use_agent: sometimes", "6:14: ssh.use_agent: expected true or false, got 'sometimes'"),
    ("  user_known_host: x", "6:3: unknown config key 'ssh.user_known_host' (did you mean "
     "'user_known_hosts'?)"),
    ("default_timeout: 0s", "6:18: default_timeout: expected a duration above zero"),
])
def test_a_bad_config_value_stops_every_command_with_its_position(
        tmp_path: Path, sshd_fleet: Fleet, line: str, message: str) -> None:
    project = _project(tmp_path, sshd_fleet, ["127.0.0.1:1"])
    config = project / "runbookctl.yaml"
    config.write_text(config.read_text() + line + "\n")
    for command in (["validate", "fleet-check"], ["run", "fleet-check", "--no-input"]):
        result = run_cli(command, cwd=project, state=project / "state")
        assert result.code == 2, result.output
        assert f"{config}:{message}" in result.output
        assert "Traceback" not in result.output and "internal error" not in result.output
    assert not (project / "state").exists()  # refused before any run began


def _run_in_process(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`runbookctl run fleet-check` through main() in this process; exit 0."""
    from runbookctl.cli.app import main
    from tests.helpers import cli_env

    for key, value in cli_env(project / "state").items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "argv", ["runbookctl", "run", "fleet-check", "--no-input",
                                      "--report-dir", str(project / "reports")])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0


def test_connections_hang_up_after_the_record_is_written(
        tmp_path: Path, sshd_fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report and the journal's ending come first: hanging up many hosts wakes their
    servers and our threads, which held the write-up back (cli/commands/run.py, drive)."""
    from runbookctl.executors.ssh.client import SSHExecutor

    servers = sshd_fleet.hosts(2)
    project = _project(tmp_path, sshd_fleet, [s.spec for s in servers])
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t8"))
    seen: list[tuple[list[str], str]] = []
    close = SSHExecutor.close

    def spied(self: SSHExecutor) -> None:
        run_dir = only_run_dir(project / "state")
        ending = journal_events(run_dir)[-1]["type"]
        seen.append(([p.name for p in (project / "reports").glob("*.md")], ending))
        assert all(c.get_transport().is_active()  # type: ignore[union-attr]
                   for c in self._conns._clients.values())  # still connected
        close(self)

    monkeypatch.setattr(SSHExecutor, "close", spied)
    _run_in_process(project, monkeypatch)
    assert len(seen) == 1
    reports, ending = seen[0]
    assert len(reports) == 1 and ending in ("run_finished", "record_signed")


def test_a_process_that_leaves_next_lets_its_exit_hang_up(
        tmp_path: Path, sshd_fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script ends with cli/leave.py's `leave`: the connections a run kept
    open are not hung up one by one (each woke a paramiko thread, 20-350 ms at 200
    hosts) but by the exit, all at once."""
    import paramiko

    from runbookctl.cli import leave
    from runbookctl.executors.ssh.client import SSHExecutor

    servers = sshd_fleet.hosts(2)
    project = _project(tmp_path, sshd_fleet, [s.spec for s in servers])
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t9"))
    closed: list[SSHExecutor] = []
    monkeypatch.setattr(SSHExecutor, "close", closed.append)
    monkeypatch.setattr(leave, "_AHEAD", [False])
    leave.expect()
    before = set(paramiko.transport._active_threads)
    _run_in_process(project, monkeypatch)
    left = [t for t in paramiko.transport._active_threads if t not in before]
    try:
        assert closed == []
        assert len(left) == 2 and all(t.is_active() for t in left)  # up to the exit
        assert "status: \"completed\"" in only_report(project / "reports")
    finally:
        for transport in left:
            transport.close()


def test_the_console_script_ends_its_ssh_sessions_when_it_exits(
        tmp_path: Path, sshd_fleet: Fleet) -> None:
    """Left to the exit, every connection still ends with the process: no session of
    the run outlives `runbookctl` on the server."""
    from tests.waiting import wait_for

    server = sshd_fleet.start_extra()  # a host of its own: only this run's sessions
    project = _project(tmp_path, sshd_fleet, [server.spec])
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line)
    config = project / "runbookctl.yaml"
    config.write_text(config.read_text().replace(str(sshd_fleet.known_hosts), str(known)))
    path = project / "runbooks" / "fleet-check.yaml"
    path.write_text(path.read_text().replace("{{ tag }}", "t10"))
    code, output = _run(project)
    assert code == 0, output
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    wait_for("the server's sessions to end", lambda: not children.read_text().split() or None,
             deadline=10)


def test_a_second_ctrl_c_shows_the_hosts_last_output_before_the_record(
        tmp_path: Path, sshd_fleet: Fleet) -> None:
    """The remote command shrugs off SIGTERM; the first Ctrl-C starts its kill (TERM, a
    grace, then KILL), a second one ends the run at once: the connection hangs up before
    the record is written, so what the host printed meanwhile comes before the summary."""
    import signal

    import pexpect

    from tests.helpers import spawn_cli

    termed = sshd_fleet.scratch() / "got-term"
    project = _stoppable(tmp_path, sshd_fleet, "ticks",
                         f"trap 'echo got-term; touch {termed}' TERM; i=0; "
                         "while [ $i -lt 600 ]; do echo tick-$i; i=$((i+1)); sleep 0.1; done")
    child = spawn_cli(["run", "ticks", "--no-input", "--report-dir", str(project / "reports")],
                      cwd=project, state=project / "state")
    child.expect_exact("tick-3")
    child.kill(signal.SIGINT)
    deadline = time.monotonic() + 20
    while not termed.exists():  # the first Ctrl-C reached the host: its kill has begun
        assert time.monotonic() < deadline, "the remote command never got its SIGTERM"
        time.sleep(0.02)
    child.kill(signal.SIGINT)  # well inside the 30 s grace
    child.expect_exact("Run interrupted")
    shown = child.before
    child.expect(pexpect.EOF)
    after = child.before
    child.close()
    assert child.exitstatus == 130
    assert "got-term" in shown  # printed during the grace, shown before the summary
    assert "resume with: runbookctl resume" in after
    assert "tick-" not in after and "got-term" not in after
    last = (project / "state").rglob("*.log").__next__().read_text().splitlines()[-1]
    assert last and last in shown and last not in after  # the host's last line: shown first


def test_what_a_stopped_command_prints_as_it_winds_down_is_shown_at_once(
        tmp_path: Path, sshd_fleet: Fleet) -> None:
    """Ctrl-C sends the remote command TERM and gives it kill_grace (30 s here) to end:
    its trap's output is on the screen while that grace runs, not after it; the
    command then ends by itself and the run is interrupted, resumable."""
    import signal

    import pexpect

    from tests.helpers import spawn_cli

    go_on = sshd_fleet.scratch() / "wind-down"
    # $((...)): the output's words are not in the command line the run shows
    project = _stoppable(tmp_path, sshd_fleet, "drain",
                         f"trap 'echo draining-$((2+2)); while [ ! -e {go_on} ]; do sleep 0.05; "
                         "done; echo drained-$((3+3)); exit 3' TERM; echo serving-$((1+1)); "
                         "while :; do sleep 0.1; done")
    child = spawn_cli(["run", "drain", "--no-input", "--report-dir", str(project / "reports")],
                      cwd=project, state=project / "state")
    child.expect_exact("serving-2")
    child.kill(signal.SIGINT)
    child.expect_exact("draining-4", timeout=20)  # shown while the 30 s grace runs
    go_on.touch()
    child.expect_exact("drained-6")
    child.expect_exact("Run interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    log = next((project / "state").rglob("*.log")).read_text()
    lines = log.splitlines()  # (the kill's TERM reaches the shell and its sleeps: twice,
    # each killed sleep adding the shell's "Terminated" on stderr, in any order)
    assert lines[0] == "serving-2" and lines.index("draining-4") < lines.index("drained-6")


# runbookctl with one change: the first time the SSH connections are closed, a real
# signal is sent to the process (a third Ctrl-C, SIGTERM, a closed terminal).
SIGNAL_AT_HANG_UP = """
import os, signal, sys
from runbookctl.executors.ssh import client
close, sent, name = client.SSHExecutor.close, [], sys.argv.pop(1)
def signalled(self):
    if not sent:
        sent.append(os.kill(os.getpid(), getattr(signal, name)))
    return close(self)
client.SSHExecutor.close = signalled
from runbookctl.cli.app import entry
sys.argv[0] = "runbookctl"
entry()
"""


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_while_hosts_hang_up_still_leaves_the_record(
        tmp_path: Path, sshd_fleet: Fleet, sig: str) -> None:
    """After a second Ctrl-C the connections hang up before the record is written; a
    signal in that moment is raised only once the ending is journaled and the report
    written."""
    import signal

    import pexpect

    from tests.helpers import cli_env

    project = _stoppable(tmp_path, sshd_fleet, "t", "trap 'echo got-$((2+2))' TERM; "
                         "while :; do echo tick-$((1+1)); sleep 0.2; done")
    child = pexpect.spawn(sys.executable, ["-c", SIGNAL_AT_HANG_UP, sig, "run", "t", "--no-input",
                                           "--report-dir", str(project / "reports")],
                          cwd=str(project), env=cli_env(project / "state"), timeout=30,
                          encoding="utf-8")
    child.expect_exact("tick-2")
    child.kill(signal.SIGINT)
    child.expect_exact("got-4")  # shown during the kill's grace
    child.kill(signal.SIGINT)  # the second Ctrl-C: the run ends at once
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None and child.exitstatus != 0, child.before
    events = journal_events(only_run_dir(project / "state"))
    assert events[-1]["type"] == "run_interrupted", [e["type"] for e in events[-4:]]
    assert only_report(project / "reports")  # one report, written


def test_a_fan_out_on_libssh2_never_imports_paramiko(tmp_path: Path, sshd_fleet: Fleet) -> None:
    """A step on 10 hosts or more connects over libssh2 without paramiko (its import was
    ~50 ms of the step's start, README "SSH"), through the whole CLI: the ssh config
    (Host, Match), known_hosts (hashed), key and host key checks, accept-new included."""
    servers = sshd_fleet.wide(12)
    project = _project(tmp_path, sshd_fleet, [s.spec for s in servers],
                       "  host_key_policy: accept-new\n")
    # One host unknown to known_hosts: accepted and filed (hashed), without paramiko.
    known = project / "known_hosts"
    kept = [line for line in sshd_fleet.known_hosts.read_text().splitlines()
            if not line.startswith(f"[127.0.0.1]:{servers[0].port} ")]
    known.write_text("\n".join(kept) + "\n")
    config = project / "ssh_config"
    config.write_text("Match host 127.0.0.1 user *\n  ServerAliveInterval 30\n"
                      "Host *\n  HashKnownHosts yes\n  IdentitiesOnly yes\n")
    text = (project / "runbookctl.yaml").read_text()
    (project / "runbookctl.yaml").write_text(
        text.replace(str(sshd_fleet.known_hosts), str(known))
        .replace(str(sshd_fleet.root / "no-ssh-config"), str(config)))
    book = project / "runbooks" / "fleet-check.yaml"
    book.write_text(book.read_text().replace("{{ tag }}", "t12"))
    modules = tmp_path / "modules"
    probe = ("import atexit, sys\n"
             f"atexit.register(lambda: open({str(modules)!r}, 'w').write("
             "' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('paramiko', 'ssh2')))))\n"
             "sys.argv[0] = 'runbookctl'\n"
             "from runbookctl.cli.app import entry\n"
             "entry()\n")
    proc = subprocess.run(
        [sys.executable, "-c", probe, "run", "fleet-check", "--no-input", "--report-dir",
         str(project / "reports")], cwd=project, env=cli_env(project / "state"),
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    loaded = modules.read_text().split()
    assert "ssh2.session" in loaded  # the fan-out did run on libssh2
    assert not [m for m in loaded if m.startswith("paramiko")], loaded
    report = only_report(project / "reports")
    assert all(s.spec in report for s in servers) and servers[0].fingerprint in report
    filed = known.read_text().splitlines()[-1]
    assert filed.startswith("|1|") and filed.split()[1:] == servers[0].known_hosts_line.split()[1:]


@pytest.mark.parametrize("count", [1, 12], ids=["paramiko", "libssh2"])
def test_a_known_hosts_file_with_bytes_that_are_not_utf8_still_works(
        tmp_path: Path, sshd_fleet: Fleet, count: int) -> None:
    """A Latin-1 comment and a Latin-1 host name in known_hosts (as another tool may
    write them) cost only their own lines, on both engines: before, every host failed
    with "cannot read known_hosts"."""
    servers = sshd_fleet.wide(count) if count > 1 else sshd_fleet.hosts(1)
    project = _project(tmp_path, sshd_fleet, [s.spec for s in servers])
    known = project / "known_hosts"
    known.write_bytes(b"# cl\xe9s de l'\xe9quipe\ncaf\xe9 ssh-ed25519 AAAA\n"
                      + sshd_fleet.known_hosts.read_bytes())
    text = (project / "runbookctl.yaml").read_text()
    (project / "runbookctl.yaml").write_text(text.replace(str(sshd_fleet.known_hosts), str(known)))
    book = project / "runbooks" / "fleet-check.yaml"
    book.write_text(book.read_text().replace("{{ tag }}", "utf8"))
    code, output = _run(project)
    assert code == 0, output
    assert "cannot read known_hosts" not in output
    report = only_report(project / "reports")
    assert all(s.spec in report for s in servers)
