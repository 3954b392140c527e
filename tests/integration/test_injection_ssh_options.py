"""A value where ssh (scp, sftp) reads options, through the CLI: joined to an option
(`-oProxyCommand={{ v }}`), among its letters, or a `| words` list item starting with
`-` as the destination. ProxyCommand runs a local command before any connection, so
each payload would create its file if it got through; none does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_refused_before_any_step, run_cli, validate_refusals

pytestmark = pytest.mark.integration

JOINED = """\
id: sshopt
title: ssh options
inputs:
  proxy: {prompt: A proxy}
steps:
  - id: first
    run: touch first-step-ran
  - id: joined
    run: timeout 5 ssh -oBatchMode=yes -oProxyCommand={{ proxy }} db1 true
  - id: joined-quoted
    run: timeout 5 ssh -o"ProxyCommand={{ proxy }}" db1 true
  - id: letters
    run: timeout 5 ssh -vo {{ proxy }} db1 true
  - id: option-letters
    run: timeout 5 ssh -{{ proxy }} db1 true
  - id: scp
    run: timeout 5 scp -oProxyCommand={{ proxy }} a db1:b
"""

# (line, column) of each refused value above.
WANT = [(9, 55), (11, 40), (13, 28), (15, 25), (17, 39)]


def test_a_value_joined_to_an_ssh_option_is_refused_by_validate_and_run(tmp_path: Path) -> None:
    book = tmp_path / "sshopt.yaml"
    book.write_text(JOINED)
    found = validate_refusals(book, tmp_path)
    assert [(line, col) for line, col, _ in found] == WANT
    for _, _, message in found:
        assert "run: {{ proxy }} is in an ssh option" in message, message
        assert "ProxyCommand=… or LocalCommand=… runs a command" in message
    assert_refused_before_any_step(book, tmp_path, "--var", f"proxy=touch {tmp_path}/PWNED")


LISTED = """\
id: hosts
title: hosts as words
inputs:
  hosts: {prompt: Hosts}
steps:
  - id: uptime
    run: timeout 5 ssh -oBatchMode=yes {{ hosts | words }} uptime
"""


@pytest.mark.parametrize(("hosts", "why"), [
    ("-oProxyCommand=touch${IFS}PWNED db1", "starts with '-', so ssh would read it as an option"),
    ("db1 -oProxyCommand=touch${IFS}PWNED", "starts with '-', so ssh would read it as an option"),
    ("db1 touch${IFS}PWNED", "is a list of several words where ssh takes one"),
])
def test_a_list_as_the_ssh_destination_is_one_host_never_an_option(tmp_path: Path, hosts: str,
                                                                   why: str) -> None:
    book = tmp_path / "hosts.yaml"
    book.write_text(LISTED)
    assert run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state").code == 0
    result = run_cli(["run", str(book), "--var", f"hosts={hosts}", "--no-input",
                      "--report-dir", str(tmp_path / "r")], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output  # refused: the step fails, ask, nobody: resumable
    assert "refusing to run" in result.output
    assert f"the value of {{{{ hosts | words }}}} {why}" in result.output, result.output
    assert not list(tmp_path.rglob("PWNED*"))
