"""Search everything a run left behind for any form of a secret.

`texts_of` gathers every file under the given folders (the state folder: journal,
step logs, crash logs; the report folder) plus the objects of a git repository
(`--commit`) and the captured terminal output; `leaks` lists every form of every
secret found in any of them.
"""

from __future__ import annotations

import base64
import json
import shlex
import subprocess
import urllib.parse
from pathlib import Path

from runbookctl.safety.quoting import quote_for

# Every form a secret takes that a reader could recognise it by.
SHELL_CONTEXTS = ("bare", "sq", "dq", "bq")


def forms(secret: str) -> dict[str, str]:
    """Name -> text of each form of `secret` (those long enough to search for)."""
    found = {
        "raw": secret,
        "shlex": shlex.quote(secret),
        "json": json.dumps(secret)[1:-1],
        "json-utf8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "upper": secret.upper(),
        "lower": secret.lower(),
        "reversed": secret[::-1],
        "base64": base64.b64encode(secret.encode()).decode(),
        "url": urllib.parse.quote(secret, safe=""),
        "url-plus": urllib.parse.quote_plus(secret),
        **{f"quoted-{c}": quote_for(secret, c) for c in SHELL_CONTEXTS},
    }
    return {name: text for name, text in found.items() if len(text) >= 4}


def git_repo(folder: Path) -> Path:
    """An empty post-mortem repository for `--commit` (with an identity to commit as)."""
    repo = folder / "postmortems"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "oc@example.com"],
                 ["config", "user.name", "On Call"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    return repo


def git_objects(repo: Path) -> str:
    """Every object of a repository, decompressed (commits, trees, blobs)."""
    out = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"],
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8", errors="replace")


def texts_of(folders: list[Path], terminal: str, repo: Path | None = None) -> dict[str, str]:
    texts = {"<terminal>": terminal}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and ".git" not in path.parts:
                texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    if repo is not None:
        texts["<git objects>"] = git_objects(repo)
    return texts


def leaks(secrets: dict[str, str], texts: dict[str, str],
          extra: dict[str, list[str]] | None = None) -> list[str]:
    """`NAME form in where` for every form found; `extra` adds more forms per secret."""
    found = []
    for name, secret in secrets.items():
        candidates = {**forms(secret), **{f"extra{i}": t for i, t in
                                           enumerate((extra or {}).get(name, [])) if len(t) >= 4}}
        for form_name, form in candidates.items():
            found += [f"{name} {form_name} {form!r} in {where}"
                      for where, text in texts.items() if form in text]
    return found
