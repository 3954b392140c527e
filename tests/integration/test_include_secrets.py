"""Secrets declared by included runbooks (and theirs, transitively) are read, usable in
templates, masked everywhere, and checked by validate like the parent's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.integration.test_secret_forms import CORPUS
from tests.secret_search import leaks, texts_of
from tests.sshd import Fleet

pytestmark = pytest.mark.integration

PARENT = """\
id: parent
title: Parent
secrets:
  META: {env: RB_META}
steps:
  - id: before
    run: echo "parent {{ META }}"
  - id: child
    include: child
"""

CHILD = """\
id: child
title: Child
secrets:
  QUOTE: {env: RB_QUOTE}
  NEWLINE: {env: RB_NEWLINE}
steps:
  - id: use
    run: |
      echo "child '{{ QUOTE }}' {{ QUOTE | upper }} {{ NEWLINE }}"
      printf '%s\\n' "$RB_QUOTE" "$RB_NEWLINE"
    capture: seen
  - id: say
    message: "child saw {{ seen }} / {{ QUOTE | reverse }}"
  - id: deeper
    include: grandchild
"""

GRANDCHILD = """\
id: grandchild
title: Grandchild
secrets:
  UNICODE: {{env: RB_UNICODE}}
  LONG: {{env: RB_LONG}}
steps:
  - id: deep
    {action}: printf '%s\\n' "deep {{{{ UNICODE }}}} {{{{ LONG | lower }}}}"; echo "$RB_UNICODE" >&2
"""

USED = ("META", "QUOTE", "NEWLINE", "UNICODE", "LONG")


def _project(tmp_path: Path, action: str = "run") -> Path:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "parent.yaml").write_text(PARENT)
    (books / "child.yaml").write_text(CHILD)
    (books / "grandchild.yaml").write_text(GRANDCHILD.format(action=action))
    return books


def _env() -> dict[str, str]:
    return {f"RB_{name}": CORPUS[name] for name in USED}


def _check_run(tmp_path: Path, books: Path, *extra: str) -> None:
    reports = tmp_path / "reports"
    result = run_cli(["--runbooks", str(books), "run", "parent", "--no-input", "--report-dir",
                      str(reports), *extra], cwd=tmp_path, state=tmp_path / "state", **_env())
    assert result.code == 0, result.output
    assert "child saw child '***' *** ***" in result.output
    assert "deep ***" in result.output
    texts = texts_of([tmp_path / "state", reports], result.output)
    assert leaks({name: CORPUS[name] for name in USED}, texts) == []


def test_secrets_of_included_runbooks_are_read_and_masked(tmp_path: Path) -> None:
    _check_run(tmp_path, _project(tmp_path))


def test_secrets_of_an_included_runbook_over_ssh(tmp_path: Path, sshd_fleet: Fleet) -> None:
    (server,) = sshd_fleet.hosts(1)
    books = _project(tmp_path, "ssh")
    (books / "grandchild.yaml").write_text(
        (books / "grandchild.yaml").read_text() + f"    hosts: [{server.spec}]\n")
    (tmp_path / "runbookctl.yaml").write_text(
        f"ssh:\n  identity_file: {sshd_fleet.client_key}\n  known_hosts: {sshd_fleet.known_hosts}\n"
        f"  config_file: {sshd_fleet.root / 'no-ssh-config'}\n  connect_timeout: 5s\n")
    # over ssh the remote shell has no RB_UNICODE: print the rendered value instead
    text = (books / "grandchild.yaml").read_text().replace('"$RB_UNICODE"', "{{ UNICODE }}")
    (books / "grandchild.yaml").write_text(text)
    _check_run(tmp_path, books)


def test_a_missing_child_secret_stops_before_the_run_naming_it(tmp_path: Path) -> None:
    books = _project(tmp_path)
    env = {k: v for k, v in _env().items() if k != "RB_UNICODE"}
    result = run_cli(["--runbooks", str(books), "run", "parent", "--no-input"], cwd=tmp_path,
                     state=tmp_path / "state", **env)
    assert result.code == 2, result.output
    assert "secret 'UNICODE' is not set: export RB_UNICODE=..." in result.output
    assert not (tmp_path / "state" / "runs").exists() or not any(
        (tmp_path / "state" / "runs").iterdir())


@pytest.mark.parametrize(("child_secrets", "message"), [
    ("  META: {env: OTHER_VAR}\n",
     "secret 'META' is also declared by runbook parent with env RB_META, here with env OTHER_VAR"),
    ("  region: {env: RB_REGION}\n",
     "secret 'region' of runbook child is an input of runbook parent"),
])
def test_validate_checks_the_secrets_of_included_runbooks(tmp_path: Path, child_secrets: str,
                                                          message: str) -> None:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "parent.yaml").write_text(
        PARENT.replace("steps:\n", "inputs:\n  region: {default: eu}\nsteps:\n", 1))
    (books / "child.yaml").write_text(
        "id: child\ntitle: Child\nsecrets:\n" + child_secrets + "steps:\n  - id: x\n    run: 'true'\n")
    result = run_cli(["--runbooks", str(books), "validate", "parent"], cwd=tmp_path,
                     state=tmp_path / "state")
    assert result.code == 2, result.output
    assert f"{books / 'child.yaml'}:4:3: {message}" in result.output


def test_resume_reads_the_secrets_of_included_runbooks_again(tmp_path: Path) -> None:
    books = _project(tmp_path)
    child = books / "child.yaml"
    child.write_text(child.read_text().replace("steps:\n", "steps:\n  - id: gate\n    confirm: go on?\n", 1))
    args = ["--runbooks", str(books)]
    first = run_cli([*args, "run", "parent", "--no-input", "--report-dir", str(tmp_path / "reports")],
                    cwd=tmp_path, state=tmp_path / "state", **_env())
    assert first.code == 2, first.output  # the gate has no answer: the run stops there
    (tmp_path / "answers.yaml").write_text("child/gate: yes\n")
    result = run_cli([*args, "resume", "--no-input", "--answers", str(tmp_path / "answers.yaml")],
                     cwd=tmp_path, state=tmp_path / "state", **_env())
    assert result.code == 0, result.output
    assert "deep *** ***" in result.output
    texts = texts_of([tmp_path / "state", tmp_path / "reports"], first.output + result.output)
    assert leaks({name: CORPUS[name] for name in USED}, texts) == []
