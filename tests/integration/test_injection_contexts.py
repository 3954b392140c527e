"""Values in every shell context, through the CLI, locally and over ssh (the remote login
shell is /bin/sh): no canary file ever appears, each supported context receives the value
byte-exact, and a value that would end a heredoc is refused before anything runs.
`validate` (and `run`, before the first step) refuses contexts no quoting makes safe, with
file:line:col and exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import run_cli
from tests.injection_corpus import CANARY, OUT, PAYLOADS, expected_files, runbook_steps
from tests.sshd import Fleet

pytestmark = pytest.mark.integration


def _write_runbook(path: Path, steps: list[dict[str, object]], out: Path, **top: object) -> None:
    book = {"id": "contexts", "title": "Contexts", **top,
            "inputs": {"v": {"prompt": "A value", "required": False}}, "steps": steps}
    path.write_text(yaml.safe_dump(book, sort_keys=False).replace(OUT, str(out)))


def _check_outputs(out: Path, value: str, shells: tuple[str, ...], output: str) -> None:
    for name, want in expected_files(value, shells).items():
        path = out / name
        if want is None:
            assert not path.exists(), name
            assert f"▶ {name[:-4]} " in output and "refusing to run" in output
        else:
            assert path.exists(), (name, output)
            assert path.read_bytes().decode() == want, name


# Every payload runs in every context in tests/unit/safety/test_shell_contexts.py (one shell
# process per batch); through the CLI, each step costs a process and journal writes, so
# these take the payloads that attack the most contexts at once.
CLI_PAYLOADS = [PAYLOADS[i] for i in (0, 1, 2, 5, 8, 9, 13, 16)]
SSH_PAYLOADS = [PAYLOADS[i] for i in (0, 2, 5, 8, 13)]


@pytest.mark.parametrize("payload", CLI_PAYLOADS, ids=range(len(CLI_PAYLOADS)))
def test_every_context_locally(tmp_path: Path, payload: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    value = payload.replace(CANARY, str(tmp_path / "CANARY"))
    _write_runbook(tmp_path / "contexts.yaml", runbook_steps("run"), out)
    result = run_cli(["run", str(tmp_path / "contexts.yaml"), "--var", f"v={value}", "--no-input",
                      "--report-dir", str(tmp_path / "reports")], cwd=tmp_path,
                     state=tmp_path / "state")
    assert result.code == 0, result.output
    assert not list(tmp_path.rglob("CANARY"))
    _check_outputs(out, value, ("sh", "bash"), result.output)


@pytest.fixture(scope="module")
def ssh_project(tmp_path_factory: pytest.TempPathFactory, sshd_fleet: Fleet) -> Path:
    (server,) = sshd_fleet.hosts(1)
    project = tmp_path_factory.mktemp("ssh-contexts")
    (project / "runbookctl.yaml").write_text(
        "ssh:\n"
        f"  identity_file: {sshd_fleet.client_key}\n"
        f"  known_hosts: {sshd_fleet.known_hosts}\n"
        f"  config_file: {sshd_fleet.root / 'no-ssh-config'}\n"
        "  connect_timeout: 5s\n")
    (project / "host").write_text(server.spec)
    return project


@pytest.mark.parametrize("payload", SSH_PAYLOADS, ids=range(len(SSH_PAYLOADS)))
def test_every_context_over_ssh(ssh_project: Path, sshd_fleet: Fleet, payload: str) -> None:
    scratch = sshd_fleet.scratch()  # writable by the remote user
    out = scratch / "out"
    out.mkdir()
    out.chmod(0o777)
    value = payload.replace(CANARY, str(scratch / "CANARY"))
    steps = [{**s, "hosts": "box"} for s in runbook_steps("ssh", ("sh",))]
    book = scratch / "contexts.yaml"
    _write_runbook(book, steps, out, hosts={"box": [(ssh_project / "host").read_text()]})
    result = run_cli(["run", str(book), "--var", f"v={value}", "--no-input", "--report-dir",
                      str(scratch / "reports")], cwd=ssh_project, state=scratch / "state")
    assert result.code == 0, result.output
    assert not list(scratch.rglob("CANARY"))
    _check_outputs(out, value, ("sh",), result.output)


REFUSED = """\
id: refused
title: Refused contexts
inputs:
  v: {prompt: A value}
  n: {type: int, default: 1}
steps:
  - id: first
    run: touch @OUT@/first-step-ran
  - id: comment
    run: |
      # restart {{ v }}
      echo $(( {{ n }} + {{ v | int }} ))
  - id: backslash
    run: echo "\\{{ v }}" \\{{ v }} '\\{{ v }}'
  - id: dollar
    run: echo "${{ v }}"
  - id: delimiter
    run: |
      cat <<{{ v }}
      x
  - id: arithmetic
    run: echo $(( {{ v }} + 1 )); [[ {{ v }} -gt 2 ]]
  - id: name
    run: "echo ${ {{ v }} }"
  - id: ansi
    run: echo $'\\n' {{ v }}
  - id: ansi-bash
    shell: bash
    run: echo $'\\n' {{ v }}
  - id: heredoc-brace
    run: |
      cat <<EOF
      ${HOME:-{{ v }}}
      EOF
  - id: varname
    ssh: read {{ v }}
    hosts: [localhost]
  - id: reparsed
    run: sh -c 'echo {{ v }}' && sh -c {{ v }}
"""

# (line, column, words of the message) of every refused value above.
WANT = [
    (11, 17, "inside a shell comment"),
    (14, 17, "follows a backslash"),
    (14, 27, "follows a backslash"),
    (16, 17, "follows a `$`"),
    (19, 13, "heredoc delimiter"),
    (22, 19, "shell arithmetic"),
    (22, 38, "shell arithmetic"),
    (24, 19, "names a parameter"),
    (26, 21, "$'…'"),
    (33, 15, "inside ${…} in a heredoc body"),
    (36, 15, "variable name"),
    (39, 22, "another shell parses again"),
]


def test_validate_refuses_each_unsafe_context_at_its_position(tmp_path: Path) -> None:
    book = tmp_path / "refused.yaml"
    book.write_text(REFUSED.replace("@OUT@", str(tmp_path)))
    result = run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    found = re.findall(rf"^{re.escape(str(book))}:(\d+):(\d+): (.*)$", result.output, re.M)
    assert [(int(line), int(col)) for line, col, _ in found] == [(w[0], w[1]) for w in WANT]
    for (_, _, message), (_, _, words) in zip(found, WANT, strict=True):
        assert words in message, message
    assert "{{ v | int }}" in result.output  # says what to write instead
    assert "ansi-bash" not in result.output  # bash reads $'\n' itself: nothing ambiguous

    run = run_cli(["run", str(book), "--var", "v=x", "--no-input"], cwd=tmp_path,
                  state=tmp_path / "state")
    assert run.code == 2, run.output
    assert not (tmp_path / "first-step-ran").exists()  # refused before anything runs


def test_integer_inputs_and_int_filter_are_accepted_in_arithmetic(tmp_path: Path) -> None:
    book = tmp_path / "arith.yaml"
    book.write_text("id: arith\ntitle: Arithmetic\ninputs:\n  n: {type: int}\n  s: {prompt: S}\n"
                    "steps:\n  - id: add\n    run: echo $(( {{ n }} + {{ s | int }} + {{ s | length }}"
                    " )) > sum.out\n")
    result = run_cli(["run", str(book), "--var", "n=40", "--var", "s=1", "--no-input",
                      "--report-dir", str(tmp_path / "r")], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert (tmp_path / "sum.out").read_text() == "42\n"


def test_heredoc_values_from_captures_answers_and_secrets(tmp_path: Path) -> None:
    payload = tmp_path / "payload.txt"
    payload.write_text(f"x'$(touch {tmp_path}/CANARY)`touch {tmp_path}/CANARY`\\")
    book = tmp_path / "sources.yaml"
    book.write_text(f"""\
id: sources
title: Sources
secrets:
  PASS: {{env: RB_INJECT_PASS}}
steps:
  - id: read
    run: cat {payload}
    capture: captured
  - id: said
    ask: Say something
  - id: sql
    run: |
      cat > sql.out <<EOF
      WHERE name = '{{{{ captured }}}}' AND said = '{{{{ said }}}}' AND pw = '{{{{ PASS }}}}'
      AND out = '{{{{ steps.read.stdout }}}}'
      EOF
""")
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"said": "$(touch CANARY)\nEOF\n"}))
    result = run_cli(["run", str(book), "--answers", str(answers), "--no-input", "--report-dir",
                      str(tmp_path / "r")], cwd=tmp_path, state=tmp_path / "state",
                     RB_INJECT_PASS="p'w$(touch CANARY)")
    assert not list(tmp_path.rglob("CANARY"))
    # the answer would end the heredoc: refused; the step fails under its on_failure (ask,
    # nobody to ask: the run stops resumable, exit 2)
    assert result.code == 2, result.output
    assert "{{ said }} makes a line 'EOF' in a heredoc body" in result.output
    assert not (tmp_path / "sql.out").exists()

    answers.write_text(yaml.safe_dump({"said": "`id`\\"}))
    result = run_cli(["run", str(book), "--answers", str(answers), "--no-input", "--report-dir",
                      str(tmp_path / "r")], cwd=tmp_path, state=tmp_path / "state2",
                     RB_INJECT_PASS="p'w$(touch CANARY)")
    assert result.code == 0, result.output
    assert not list(tmp_path.rglob("CANARY"))
    assert (tmp_path / "sql.out").read_text() == (
        f"WHERE name = '{payload.read_text()}' AND said = '`id`\\' "
        f"AND pw = 'p'w$(touch CANARY)'\nAND out = '{payload.read_text()}'\n")
