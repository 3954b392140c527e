"""Where bash takes a variable name or arithmetic, through the CLI (`shell: bash`): a
value like `x[$(touch PWNED)]` there runs its subscript, quoted or not. `validate`
refuses the names and wants an integer in the arithmetic, at file:line:col; `run`
refuses before anything runs, and no PWNED file appears."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_refused_before_any_step, run_cli, validate_refusals

pytestmark = pytest.mark.integration

NAMES = """\
id: names
title: names
inputs:
  a: {prompt: A}
  n: {type: int, default: 2}
steps:
  - id: first
    run: touch first-step-ran
  - id: printf-v
    shell: bash
    run: printf -v{{ a }} %s x
  - id: nameref
    shell: bash
    run: declare -n ref={{ a }}; echo "$ref"
  - id: nameref-later
    shell: bash
    run: local -n ref; ref={{ a }}; echo "$ref"
  - id: int-later
    shell: bash
    run: declare -i i; i={{ a }}; echo $i
  - id: int-now
    shell: bash
    run: typeset -i i={{ a }}; echo $i
"""

# (line, column, words of the message) of every refused value above.
WANT = [
    (11, 19, "is where bash takes a variable name"),
    (14, 25, "is where bash takes a variable name"),
    (17, 28, "is where bash takes a variable name"),
    (20, 26, "is in shell arithmetic, where only an integer is safe"),
    (23, 23, "is in shell arithmetic, where only an integer is safe"),
]


def test_variable_names_and_integer_variables_are_refused_by_validate_and_run(tmp_path: Path) -> None:
    book = tmp_path / "names.yaml"
    book.write_text(NAMES)
    found = validate_refusals(book, tmp_path)
    assert [(line, col) for line, col, _ in found] == [(w[0], w[1]) for w in WANT]
    for (_, _, message), (_, _, words) in zip(found, WANT, strict=True):
        assert f"run: {{{{ a }}}} {words}" in message, message
    assert_refused_before_any_step(book, tmp_path, "--var", "a=x[$(touch PWNED)]")


def test_an_integer_variable_takes_an_integer(tmp_path: Path) -> None:
    book = tmp_path / "ints.yaml"
    book.write_text("id: ints\ntitle: ints\ninputs:\n  n: {type: int}\n  s: {prompt: S}\nsteps:\n"
                    "  - id: add\n    shell: bash\n    run: declare -i i; i={{ n }}; i+={{ s | int }};"
                    " echo $i > sum.out\n")
    assert run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state").code == 0
    result = run_cli(["run", str(book), "--var", "n=40", "--var", "s=2", "--no-input",
                      "--report-dir", str(tmp_path / "r")], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert (tmp_path / "sum.out").read_text() == "42\n"
    result = run_cli(["run", str(book), "--var", "n=40", "--var", "s=x[$(touch PWNED)]",
                      "--no-input", "--report-dir", str(tmp_path / "r")], cwd=tmp_path,
                     state=tmp_path / "state")
    assert result.code != 0, result.output
    assert not list(tmp_path.rglob("PWNED*"))
