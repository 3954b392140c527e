"""Pieces a template loop makes of a secret (`batch`, `slice`) and arithmetic
on a secret number, run for real: none shows in the terminal, the journal,
the step logs or the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.secret_search import texts_of

pytestmark = pytest.mark.integration

TOKEN = "tok-9f8e7d6c5b4a3210"
PIN = 73915286

RUNBOOK = """\
id: parts
title: Derived parts
inputs:
  pin: {type: int, secret: true}
secrets:
  API_TOKEN: {}
steps:
  - id: chunks
    run: echo {% for part in API_TOKEN | batch(6) %}{{ part | join }} {% endfor %}
  - id: slices
    run: echo {% for part in API_TOKEN | slice(3) %}{{ part | join }}/{% endfor %}
  - id: pin
    run: echo next={{ pin + 1 }} thousands={{ pin // 1000 }} twice={{ pin * 2 }} neg={{ -pin }}
"""


def test_loop_pieces_and_arithmetic_on_secrets_never_show(tmp_path: Path) -> None:
    (tmp_path / "parts.yaml").write_text(RUNBOOK)
    result = run_cli(["run", str(tmp_path / "parts.yaml"), "--no-input", "--var", f"pin={PIN}",
                      "--report-dir", str(tmp_path / "reports")], cwd=tmp_path,
                     state=tmp_path / "state", API_TOKEN=TOKEN)
    assert result.code == 0, result.output
    assert "next=*** thousands=*** twice=*** neg=***" in result.output
    pieces = ["tok-9f", "8e7d6c", "5b4a32", "tok-9f8", "e7d6c5", "b4a3210",
              str(PIN + 1), str(PIN // 1000), str(PIN * 2), str(-PIN)]
    texts = texts_of([tmp_path / "state", tmp_path / "reports"], result.output)
    found = {name: [p for p in pieces if p in text] for name, text in texts.items()}
    assert {name: shown for name, shown in found.items() if shown} == {}
