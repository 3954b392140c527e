"""An injection corpus as inputs, answers and captured outputs: every value reaches the command
as one literal argument, no canary file is created, and each value is shown literally."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import only_report, run_cli

pytestmark = pytest.mark.integration

CORPUS = [
    "'; touch CANARY #",
    "$(touch CANARY)",
    "`touch CANARY`",
    '"; touch CANARY; echo "',
    "a\ntouch CANARY",
    "{{ 7*7 }}",
    "{{ ''.__class__.__mro__ }}",
    "-n --help",
    "\\'$HOME\\",
]

RUNBOOK = """\
id: inject
title: Injection corpus
inputs:
  given: {prompt: A value}
steps:
  - id: payload
    run: cat {{ given_file }}
    capture: captured
  - id: said
    ask: Say something
  - id: bare
    run: printf '%s\\n' {{ given }} {{ captured }} {{ said }} > bare.out
  - id: single
    run: printf '%s\\n' '{{ given }}' > single.out
  - id: double
    run: printf '%s\\n' "{{ captured }}" > double.out
  - id: subst
    run: printf '%s\\n' "$(printf '%s' {{ said }})" > subst.out
  - id: shown
    message: "given={{ given }}"
"""


@pytest.mark.parametrize("value", CORPUS, ids=range(len(CORPUS)))
def test_value_reaches_the_command_as_one_literal_argument(tmp_path: Path, value: str) -> None:
    payload = tmp_path / "payload.txt"
    payload.write_text(value)
    runbook = tmp_path / "inject.yaml"
    runbook.write_text(RUNBOOK.replace("{{ given_file }}", str(payload)))
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"said": value}))
    result = run_cli(["run", str(runbook), "--var", f"given={value}", "--answers", str(answers),
                      "--no-input", "--report-dir", str(tmp_path / "reports")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert not list(tmp_path.rglob("CANARY"))
    expected = value.strip()  # capture strips; the others are exact
    assert (tmp_path / "bare.out").read_text() == f"{value}\n{expected}\n{value}\n"
    assert (tmp_path / "single.out").read_text() == f"{value}\n"
    assert (tmp_path / "double.out").read_text() == f"{expected}\n"
    assert (tmp_path / "subst.out").read_text() == f"{value}\n"
    report = only_report(tmp_path / "reports")
    assert f"given={value}" in report  # shown literally, never rendered again


def test_nul_byte_is_refused_not_run(tmp_path: Path) -> None:
    runbook = tmp_path / "nul.yaml"
    runbook.write_text("id: nul\ntitle: NUL\nsteps:\n  - id: payload\n    run: printf 'a\\000b'\n"
                       "    capture: v\n  - id: use\n    run: touch CANARY {{ v }}\n"
                       "    on_failure: abort\n")
    result = run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 1
    assert "NUL byte" in result.output
    assert not (tmp_path / "CANARY").exists()


def test_terminal_escapes_in_output_never_reach_terminal_or_report_raw(tmp_path: Path) -> None:
    runbook = tmp_path / "esc.yaml"
    runbook.write_text("id: esc\ntitle: Escapes\nsteps:\n  - id: paint\n"
                       "    run: printf '\\033]0;pwned\\007\\033[31mred\\033[0m\\n'\n"
                       "    capture: painted\n  - id: show\n    message: 'got {{ painted }}'\n")
    result = run_cli(["run", str(runbook), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "red" in result.output
    report = only_report(tmp_path / "r")
    assert "\x1b" not in report and "\x07" not in report
    assert "␛[31mred" in report
