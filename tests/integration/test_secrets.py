"""A secret canary pushed through every path; then every file the run produced and everything
it printed is searched for it, raw and encoded."""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.integration

CANARY = "cnry-7f3a9b2c1d5e8f40"
PEM = "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUFFS\nU1RVVldYWVphYmNkZWZnaGlq\n-----END KEY-----"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"

RUNBOOK = """\
id: leaky
title: Leaky commands
secrets:
  TOKEN: {env: RB_TOKEN}
  KEYBLOCK: {env: RB_KEYBLOCK}
steps:
  - id: raw
    run: echo "token is $RB_TOKEN"
  - id: split
    run: |
      printf '%s' "$RB_TOKEN" | head -c 7; sleep 0.3
      printf '%s\\n' "$RB_TOKEN" | tail -c +8
  - id: encoded
    run: |
      printf '%s' "$RB_TOKEN" | base64
      python3 -c "import os, urllib.parse as u; print(u.quote('a/' + os.environ['RB_TOKEN'] + '?&'))"
  - id: multiline
    run: printf '%s\\n' "$RB_KEYBLOCK"
  - id: interpolated
    run: echo {{ TOKEN }} > /dev/null
  - id: captured
    run: echo "$RB_TOKEN"
    capture: copy
  - id: question
    confirm: Is {{ TOKEN }} the right token?
  - id: shown
    message: "token {{ TOKEN }} / copy {{ copy }}"
  - id: stripe
    run: echo "found {{ stripe_key }} in the logs"
  - id: failing
    run: echo "{{ TOKEN }}" >&2; exit 3
    on_failure: abort
"""


def _forms(secret: str) -> list[str]:
    out = [secret, base64.b64encode(secret.encode()).decode().rstrip("="),
           urllib.parse.quote(secret), urllib.parse.quote_plus(secret)]
    return [*out, *(line for line in secret.splitlines() if len(line) > 8)]


def test_secret_never_leaks_anywhere(tmp_path: Path) -> None:
    (tmp_path / "leaky.yaml").write_text(RUNBOOK.replace("{{ stripe_key }}", STRIPE))
    (tmp_path / "answers.yaml").write_text("question: yes\n")
    result = run_cli(["run", str(tmp_path / "leaky.yaml"), "--no-input", "--answers",
                      str(tmp_path / "answers.yaml"), "--report-dir", str(tmp_path / "reports")],
                     cwd=tmp_path, state=tmp_path / "state", RB_TOKEN=CANARY, RB_KEYBLOCK=PEM)
    assert result.code == 1, result.output  # the last step fails on purpose
    assert "token is ***" in result.output
    produced = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    produced += list((tmp_path / "reports").rglob("*.md"))
    assert len(produced) >= 5
    texts = {str(p): p.read_text(errors="replace") for p in produced}
    texts["<terminal>"] = result.output
    for form in _forms(CANARY) + _forms(PEM):
        for where, text in texts.items():
            assert form not in text, (form, where)
    report = next((tmp_path / "reports").rglob("*.md")).read_text()
    assert STRIPE not in report
    assert "Stripe key in step stripe" in result.output  # the token scan warned, naming the step
