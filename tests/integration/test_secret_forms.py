"""A corpus of secrets (shell metacharacters, quotes, backslashes, unicode, newlines,
short and long) used in every shell quoting context and through Jinja filters, run
for real; then every file the run produced, the git objects of `--commit` and the
terminal are searched for every form of each secret: none may appear."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.secret_search import git_repo, leaks, texts_of

pytestmark = pytest.mark.integration

CORPUS = {
    "META": 'admin:Hu$ky"do`g\\pass-42',
    "QUOTE": "it's-a-'quoted'-secret",
    "BACKSLASH": "C:\\new\\table\\x41\\\\end",
    "UNICODE": "pässwörd-✓-日本語-ключ",
    "NEWLINE": "first-line-abc\nsecond-line-def",
    "SHORT": "k$'9",
    "SPACES": "  two  words $(id) ; rm -rf ~  ",
    "LONG": "".join(chr(33 + (i * 7) % 94) for i in range(300)),
}

# Every place a value lands in a command, and the filters a template applies to it.
USES = """\
  - id: quoted-{n}
    run: |
      echo "{{{{ {name} }}}}" >/dev/null; echo '{{{{ {name} }}}}' >/dev/null
      echo {{{{ {name} }}}} >/dev/null; echo `printf %s {{{{ {name} }}}}` >/dev/null
      echo "$(printf %s {{{{ {name} }}}})" >/dev/null
  - id: filtered-{n}
    run: |
      printf '%s\\n' {{{{ {name} | upper }}}} {{{{ {name} | lower }}}} {{{{ {name} | reverse }}}}
      printf '%s\\n' {{{{ {name} | replace("e", "E") }}}} {{{{ {name}[1:] }}}} {{{{ {name} | title }}}}
      printf "%s\\n" {{{{ {name} | list | join("-") }}}} {{{{ {name} | urlencode }}}}
      printf "%s\\n" {{{{ {name} | tojson }}}}
  - id: encoded-{n}
    run: |
      printf '%s' "$RB_{name}" | base64 -w0; echo
      printf '%s' "$RB_{name}" | rev; echo
      python3 {script} RB_{name}
  - id: shown-{n}
    message: "value {{{{ {name} }}}} / {{{{ {name} | upper }}}} / {{{{ {name}[1:] }}}}"
"""

# Prints the value of an environment variable url-encoded, json-escaped and upper-cased.
ENCODE = """\
import json, os, sys, urllib.parse
value = os.environ[sys.argv[1]]
print(urllib.parse.quote(value, safe=""), json.dumps(value), value.upper(), sep="\\n")
"""


def _runbook(script: Path) -> str:
    secrets = "".join(f"  {name}: {{env: RB_{name}}}\n" for name in CORPUS)
    steps = "".join(USES.format(n=n.lower(), name=n, script=script) for n in CORPUS)
    return f"id: forms\ntitle: Secret forms\nsecrets:\n{secrets}steps:\n{steps}"


def _derived(secret: str) -> list[str]:
    """What the runbook's filters make of a secret (searched for too)."""
    return [secret.replace("e", "E"), secret[1:], secret.title(), "-".join(secret)]


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_no_form_of_any_secret_appears_anywhere(tmp_path: Path, dry_run: bool) -> None:
    (tmp_path / "encode.py").write_text(ENCODE)
    (tmp_path / "forms.yaml").write_text(_runbook(tmp_path / "encode.py"))
    repo = git_repo(tmp_path)
    env = {f"RB_{name}": value for name, value in CORPUS.items()}
    args = ["run", str(tmp_path / "forms.yaml"), "--no-input", "--report-dir",
            str(repo / "incidents"), "--commit"]
    result = run_cli([*args, "--dry-run"] if dry_run else args, cwd=tmp_path,
                     state=tmp_path / "state", **env)
    assert result.code == 0, result.output
    assert "value ***" in result.output
    texts = texts_of([tmp_path / "state", repo], result.output, repo)
    assert len(texts) >= 5
    assert leaks(CORPUS, texts, {n: _derived(v) for n, v in CORPUS.items()}) == []
