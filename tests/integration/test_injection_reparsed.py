"""A value in a script another shell parses again, through the CLI: `sh -c -- "…"`,
a shell named by a variable, a heredoc or here-string fed to a shell, text piped
into one. `validate` refuses each at file:line:col; `run` refuses before anything
runs, and no PWNED file appears."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_refused_before_any_step, run_cli, validate_refusals

pytestmark = pytest.mark.integration

REPARSE = """\
id: reparse
title: reparse
inputs:
  v: {default: x}
steps:
  - {id: first, run: touch first-step-ran}
  - {id: dashdash, shell: bash, run: "bash -c -- \\"echo {{ v }}\\""}
  - {id: shellvar, shell: bash, run: "\\"$SHELL\\" -c \\"echo {{ v }}\\""}
  - id: heredoc
    run: |
      sh <<EOF
      echo {{ v }}
      EOF
  - id: quoted-heredoc
    run: |
      ssh db1 bash <<'EOF'
      echo {{ v }}
      EOF
  - {id: herestring, shell: bash, run: "bash <<< \\"echo {{ v }}\\""}
  - {id: pipe, run: "echo \\"echo {{ v }}\\" | sh"}
  - {id: pipe-sudo, shell: bash, run: "printf '%s\\\\n' \\"echo {{ v }}\\" |& sudo bash -s"}
"""

# (line, column) of each refused value above.
WANT = [(7, 57), (8, 60), (12, 12), (17, 12), (19, 57), (20, 34), (21, 62)]


def test_values_in_scripts_a_shell_reads_again_are_refused_by_validate_and_run(tmp_path: Path
                                                                             ) -> None:
    book = tmp_path / "reparse.yaml"
    book.write_text(REPARSE)
    found = validate_refusals(book, tmp_path)
    assert [(line, col) for line, col, _ in found] == WANT
    for _, _, message in found:
        assert "run: {{ v }} is part of a script another shell parses again" in message, message
        assert "a heredoc, here-string or pipe into a shell" in message, message
    assert_refused_before_any_step(book, tmp_path, "--var", "v=hi; touch PWNED_$$")


def test_a_value_passed_after_the_script_or_as_the_whole_script_still_runs(tmp_path: Path) -> None:
    book = tmp_path / "data.yaml"
    book.write_text("id: data\ntitle: data\ninputs:\n  v: {default: x}\n  cmd: {default: x}\nsteps:\n"
                    "  - id: arg\n    run: sh -c -- 'printf %s \"$1\" > arg.out' sh {{ v }}\n"
                    "  - id: whole\n    run: echo {{ cmd }} | sh\n")
    assert run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state").code == 0
    result = run_cli(["run", str(book), "--var", "v=hi; touch PWNED", "--var",
                      "cmd=echo ran > whole.out", "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert (tmp_path / "arg.out").read_text() == "hi; touch PWNED"
    assert (tmp_path / "whole.out").read_text() == "ran\n"
    assert not list(tmp_path.rglob("PWNED*"))
