"""A secret spread over lines (`base64`'s 76 columns, `fold`), and URL and JSON
encodings other tools make, run for real: no file the run left and not the
terminal may hold the secret in any of these forms, nor in 4 characters of it
once line breaks are taken out, nor in what the wrapped base64 decodes to."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import run_cli
from tests.secret_search import texts_of

pytestmark = pytest.mark.integration

SECRET = "p@ss/w0rd!Correct-Horse-Battery-2024"

RUNBOOK = """\
id: lines
title: Secret over lines
secrets:
  DB_PASSWORD: {}
steps:
  - id: wrapped
    run: |
      printf '{"user":"app","password":"%s"}' "$DB_PASSWORD" | base64
      printf '%s' "$DB_PASSWORD" | base64 -w 20
      printf 'x%s' "$DB_PASSWORD" | openssl base64
      printf '%s' "$DB_PASSWORD" | fold -w 8
      printf '%s' "$DB_PASSWORD" | fold -w 3 | sed 's/^/    /'
  - id: encoded
    run: python3 ENCODE
"""

ENCODE = """\
import json, os, urllib.parse as u
s = os.environ["DB_PASSWORD"]
print(u.quote(s, safe="").lower(), u.quote(s, safe=""), u.quote(s, safe="!~*()'"))
print(json.dumps({"p": s}).replace("/", "\\\\/"), u.quote(s, safe="/@!&:").upper())
"""


def _decoded_base64(text: str) -> str:
    runs = re.findall(r"(?:[A-Za-z0-9+/=]+\\n?)+", text)
    out = []
    for run in runs:
        flat = run.replace("\\n", "")
        for skip in range(4):
            part = flat[skip:].rstrip("=")
            with contextlib.suppress(binascii.Error):
                out.append(base64.b64decode(part[: len(part) // 4 * 4]).decode("latin-1"))
    return "\\n".join(out)


def test_no_piece_of_a_wrapped_or_encoded_secret_shows(tmp_path: Path) -> None:
    (tmp_path / "encode.py").write_text(ENCODE)
    (tmp_path / "lines.yaml").write_text(RUNBOOK.replace("ENCODE", str(tmp_path / "encode.py")))
    result = run_cli(["run", str(tmp_path / "lines.yaml"), "--no-input", "--report-dir",
                      str(tmp_path / "reports")], cwd=tmp_path, state=tmp_path / "state",
                     DB_PASSWORD=SECRET)
    assert result.code == 0, result.output
    assert "***" in result.output
    texts = texts_of([tmp_path / "state", tmp_path / "reports"], result.output)
    pieces = {SECRET[i : i + 5] for i in range(len(SECRET) - 4)} - {"2024"}
    encoded = {quote(SECRET, safe="").lower(), quote(SECRET, safe="!~*()'"),
               json.dumps(SECRET).replace("/", "\\\\/")[1:-1]}
    for name, text in texts.items():
        flat = "".join(line.strip() for line in text.splitlines())
        shown = [p for p in pieces if p in flat or p in _decoded_base64(text)]
        assert shown == [], (name, shown)
        assert not [e for e in encoded if e in text], name
