"""A step on 200 hosts through the whole CLI against a real sshd fleet (issue 19.1):
every host's outcome in the report, the terminal's output grouped (identical
outputs once, failed hosts first), the exit code, and `parallel: 50` holding.

The 200 hosts are ports of 13 sshd processes (tests/sshd.py, Fleet.wide).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runbookctl.hostsets import expand
from tests.helpers import journal_events, only_report, only_run_dir, run_cli
from tests.sshd import Fleet

pytestmark = pytest.mark.integration

HOSTS = 200
PARALLEL = 50

# Each command marks itself running in a folder and counts the marks it sees: a
# count is never more than the commands running at that moment, so a count over
# PARALLEL proves the limit broken. The sleep keeps commands overlapping.
RUNBOOK = """\
id: fleet-wide
title: Fleet-wide check
steps:
  - id: probe
    ssh: |
      : > {run}/on.$$
      ls {run} | wc -l > {peaks}/$$
      sleep 0.3
      rm -f {run}/on.$$
      case "{{{{ host }}}}" in
        {bad}) echo "disk full on /var"; exit 3 ;;
      esac
      echo "fleet ok"
    hosts: web
    parallel: {parallel}
    on_failure: abort
"""


def test_a_step_on_200_hosts_is_grouped_recorded_whole_and_keeps_its_parallel_limit(
        tmp_path: Path, sshd_fleet: Fleet) -> None:
    servers = sshd_fleet.wide(HOSTS)
    specs = [s.spec for s in servers]
    bad = specs[41], specs[150]
    running, peaks = sshd_fleet.scratch(), sshd_fleet.scratch()
    project = tmp_path / "project"
    (project / "runbooks").mkdir(parents=True)
    (project / "runbooks" / "fleet-wide.yaml").write_text(RUNBOOK.format(
        run=running, peaks=peaks, bad="|".join(bad), parallel=PARALLEL))
    (project / "runbooks" / "inventory.yaml").write_text(
        "web:\n" + "".join(f"  - {h}\n" for h in specs))
    (project / "runbookctl.yaml").write_text(
        f"ssh:\n  identity_file: {sshd_fleet.client_key}\n  known_hosts: {sshd_fleet.known_hosts}\n"
        f"  config_file: {sshd_fleet.root / 'no-ssh-config'}\n  connect_timeout: 20s\n")

    result = run_cli(["run", "fleet-wide", "--no-input", "--report-dir", str(project / "reports")],
                     cwd=project, state=project / "state", timeout=90)

    assert result.code == 1, result.output + result.stderr  # two hosts failed the step
    out = result.output
    # The terminal: each distinct output once, under its folded hosts; no host-prefixed lines.
    lines = out.splitlines()
    assert lines.count("    fleet ok") == 1 and lines.count("    disk full on /var") == 1
    assert "[" + specs[0] + "]" not in out
    headers = re.findall(r"── (.+) \((\d+) hosts?\)", out)
    assert [int(n) for _, n in headers] == [198, 2]
    assert sorted(expand(headers[0][0]) + expand(headers[1][0])) == sorted(specs)
    # The summary: failed hosts first, one line each, then the rest folded.
    summary = out[out.index(f"{HOSTS} hosts: 198 ok, 2 failed"):]
    assert summary.index(f"{bad[0]}: exit 3") < summary.index(f"{bad[1]}: exit 3") \
        < summary.index("exit 0: ")

    report = only_report(project / "reports")
    steps = report.split("## Steps")[1]
    for spec in specs:  # every host's outcome
        code = 3 if spec in bad else 0
        assert f"| {spec} | {code} |" in steps
    assert steps.index(f"| {bad[0]} | 3 |") < steps.index(f"| {specs[0]} | 0 |")
    report_lines = [line.removesuffix("</pre></details>") for line in steps.splitlines()]
    assert report_lines.count("fleet ok") == 1 and report_lines.count("disk full on /var") == 1
    assert "(198 hosts): exit 0" in steps and "(2 hosts): exit 3" in steps

    finished = [e for e in journal_events(only_run_dir(project / "state"))
                if e["type"] == "command_finished"]
    assert len(finished[0]["data"]["hosts"]) == HOSTS
    counts = [int(p.read_text()) for p in peaks.iterdir()]
    assert len(counts) == HOSTS
    assert max(counts) <= PARALLEL, max(counts)
