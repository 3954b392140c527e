"""Which commands run with `set -e` (and pipefail), decided on the command as written."""

from __future__ import annotations

import pytest

from runbookctl.engine.errexit import errexit_prefix
from tests.unit.engine.fakes import make_engine


@pytest.mark.parametrize(("template", "shell", "prefix"), [
    ("echo a\nfalse\necho b\n", "/bin/sh", "set -e; "),
    ("echo a\nfalse | true\n", "bash", "set -eo pipefail; "),
    ("echo a\nfalse\n", "/usr/bin/bash", "set -eo pipefail; "),
    ("echo a\nfalse\n", "zsh", "set -eo pipefail; "),
    ("echo a\nfalse\n", "dash", "set -e; "),  # dash 0.5.12 has no pipefail
    ("false; echo a\n", "/bin/sh", ""),  # one line: as written
    ("grep x f | head\n", "bash", ""),
    ("print(1)\nprint(2)\n", "python3", ""),  # not a POSIX shell: nothing it cannot read
])
def test_prefix(template: str, shell: str, prefix: str) -> None:
    assert errexit_prefix(template, shell) == prefix


def book(step: str) -> str:
    return f"id: t\ntitle: T\nsteps:\n{step}"


def test_a_multi_line_command_runs_with_set_e_but_is_shown_as_written() -> None:
    run = make_engine(book("  - id: a\n    run: |\n      echo a\n      false\n"))
    run.run()
    spec = run.executor.specs[0]
    assert spec.command == "set -e; echo a\nfalse\n"
    assert spec.display == "echo a\nfalse\n"
    assert run.events("command_started")[0].data["command"] == "echo a\nfalse\n"


def test_errexit_false_runs_the_lines_as_written() -> None:
    run = make_engine(book("  - id: a\n    errexit: false\n    shell: bash\n"
                           "    run: |\n      echo a\n      false\n"))
    run.run()
    assert run.executor.commands == ["echo a\nfalse\n"]


def test_a_value_holding_a_newline_does_not_make_a_one_line_command_a_script() -> None:
    run = make_engine(book("  - {id: a, run: 'echo {{ v }}'}"), values={"v": "x\ny"})
    run.run()
    assert not run.executor.commands[0].startswith("set -e")


def test_ssh_commands_get_it_per_host_too() -> None:
    run = make_engine(book("  - id: a\n    hosts: [web1, web2]\n    ssh: |\n"
                           "      echo {{ host }}\n      false\n"),
                      hosts=lambda step, rb: ["web1", "web2"])
    run.run()
    spec = run.executor.specs[0]
    assert spec.per_host == {"web1": "set -e; echo web1\nfalse\n", "web2": "set -e; echo web2\nfalse\n"}
    assert spec.command.startswith("set -e; ")
