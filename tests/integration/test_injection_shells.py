"""A value that reaches a shell by the less direct ways a review found, through the CLI:
a shell named inside the remote command of ssh, a compound command piped into a shell,
a process substitution or /dev/stdin run as a script, a root or login shell reading the
pipe, an ssh option after the destination, an array declared integer. `validate`
refuses each at file:line:col; `run` refuses before anything runs; the forms real
runbooks use are still accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_refused_before_any_step, run_cli, validate_refusals

pytestmark = pytest.mark.integration


def _book(tmp_path: Path, name: str, text: str) -> Path:
    book = tmp_path / f"{name}.yaml"
    book.write_text(text)
    return book

SHELLS = """\
id: shells
title: shells
inputs:
  v: {default: x}
steps:
  - {id: first, run: touch first-step-ran}
  - id: remote-shell
    run: |
      ssh db1 'bash -s' <<EOF
      echo {{ v }}
      EOF
  - {id: remote-sudo, run: "echo \\"x {{ v }}\\" | ssh db1 'sudo bash'"}
  - {id: brace, run: "{ echo {{ v }}; } | sh"}
  - {id: loop, run: "while read l; do echo {{ v }}; done < f | bash"}
  - {id: subshell, run: "( echo {{ v }} ) | sh"}
  - {id: procsub, shell: bash, run: "bash <(echo {{ v }})"}
  - {id: stdin, shell: bash, run: "sh /dev/stdin <<< \\"echo {{ v }}\\""}
  - {id: su, run: "echo \\"x {{ v }}\\" | su -"}
  - {id: sudo, run: "echo \\"x {{ v }}\\" | sudo -i"}
"""

# (line, column) of each refused value above.
WANT = [(10, 12), (12, 38), (13, 30), (14, 44), (15, 33), (16, 50), (17, 61), (18, 29),
        (19, 31)]


def test_values_in_scripts_a_shell_reads_by_less_direct_ways_are_refused(tmp_path: Path) -> None:
    book = _book(tmp_path, "shells", SHELLS)
    found = validate_refusals(book, tmp_path)
    assert [(line, col) for line, col, _ in found] == WANT
    why = "run: {{ v }} is part of a script another shell parses again"
    assert all(why in message for _, _, message in found), found
    assert_refused_before_any_step(book, tmp_path, "--var", "v=hi; touch PWNED_$$")


OTHERS = """\
id: others
title: others
inputs:
  v: {default: x}
steps:
  - {id: first, run: touch first-step-ran}
  - {id: ssh-option, run: "timeout 5 ssh db1 -oProxyCommand={{ v }} true"}
  - {id: int-array, shell: bash, run: "declare -ai a; a=({{ v }})"}
  - {id: indirect, shell: bash, run: "echo ${!{{ v }}}"}
  - {id: subscript, shell: bash, run: "a=([{{ v }}]=1); echo ${a[@]}"}
"""


def test_an_ssh_option_after_the_destination_an_integer_array_and_an_indirect_name(
        tmp_path: Path) -> None:
    book = _book(tmp_path, "others", OTHERS)
    found = validate_refusals(book, tmp_path)
    assert [(line, col) for line, col, _ in found][:3] == [(7, 61), (8, 58), (9, 47)]
    assert found[3][0] == 10
    assert "is in an ssh option" in found[0][2]
    assert "is in shell arithmetic, where only an integer is safe" in found[1][2]
    assert "names a parameter in ${…}" in found[2][2]
    assert "is in shell arithmetic, where only an integer is safe" in found[3][2]
    assert_refused_before_any_step(book, tmp_path, "--var", f"v=touch {tmp_path}/PWNED")
    assert_refused_before_any_step(book, tmp_path, "--var", f"v=a[$(touch {tmp_path}/PWNED)]")


ACCEPTED = """\
id: accepted
title: accepted
inputs:
  v: {default: x}
  n: {default: 3, type: int}
steps:
  - {id: script, run: "ssh db1 'bash -s' < script.sh"}
  - {id: grep, run: "getent passwd {{ v }} | grep -q bash; ps aux | grep -q sshd"}
  - {id: tee, run: "echo {{ v }} | tee f"}
  - {id: su, run: "su - app -c 'systemctl restart x'; su - {{ v }} -c 'systemctl restart x'"}
  - {id: loop, run: "while read l; do echo \\"$l {{ v }}\\"; done < f"}
  - {id: options, run: "ssh db1 -i {{ v }} -p {{ n }} uptime"}
  - {id: ints, shell: bash, run: "declare -ai a; a=({{ n }} {{ v | int }})"}
  - {id: elements, shell: bash, run: "a=([{{ n }}]={{ v }} {{ v }})"}
  - {id: procsub, shell: bash, run: "diff <(sort {{ v }}) <(sort b)"}
"""


def test_the_forms_real_runbooks_use_are_still_accepted(tmp_path: Path) -> None:
    book = _book(tmp_path, "accepted", ACCEPTED)
    result = run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output


PREFIXED = """\
id: prefixed
title: prefixed
inputs:
  target: {prompt: Target}
steps:
  - id: uptime
    run: timeout 5 ssh -oBatchMode=yes ${U:+$U@}{{ target }} uptime
"""


def test_an_ssh_destination_after_an_expansion_is_never_an_option(tmp_path: Path) -> None:
    book = _book(tmp_path, "prefixed", PREFIXED)
    assert run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state").code == 0
    result = run_cli(["run", str(book), "--var", "target=-oProxyCommand=touch${IFS}PWNED",
                      "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert "the value of {{ target }} starts with '-', so ssh would read it as an option" \
        in result.output, result.output
    assert not list(tmp_path.rglob("PWNED*"))
