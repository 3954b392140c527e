"""Real SSH keys and a real ssh-agent for the signed-record tests (record/signing.py)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def make_key(folder: Path, name: str, passphrase: str = "") -> Path:
    """A new ed25519 key pair `folder/name` (+ `.pub`), comment `name@example`."""
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C",
                    f"{name}@example", "-f", str(key)], check=True, stdin=subprocess.DEVNULL)
    return key


def allowed_signers(path: Path, *keys: Path) -> Path:
    """An allowed_signers file naming each key's owner `NAME@example`."""
    lines = []
    for key in keys:
        kind, blob = Path(f"{key}.pub").read_text().split()[:2]
        lines.append(f'{key.name}@example namespaces="runbookctl-journal" {kind} {blob}')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def ssh_agent(*keys: Path) -> Iterator[str]:
    """A real ssh-agent holding `keys`; yields its socket and kills the agent (by its pid)
    at the end. `ssh-agent -a` returns once the socket listens. The socket is in a short
    folder of its own: a pytest tmp_path can be longer than a socket path may be."""
    folder = Path(tempfile.mkdtemp(prefix="rbctl-agent-"))
    sock = str(folder / "sock")
    out = subprocess.run(["ssh-agent", "-s", "-a", sock], capture_output=True, text=True,
                         check=True).stdout
    match = re.search(r"SSH_AGENT_PID=(\d+)", out)
    assert match, out
    pid = int(match.group(1))
    try:
        env = dict(os.environ, SSH_AUTH_SOCK=sock)
        for key in keys:
            subprocess.run(["ssh-add", "-q", str(key)], env=env, check=True,
                           stdin=subprocess.DEVNULL, capture_output=True)
        yield sock
    finally:
        os.kill(pid, signal.SIGTERM)
        shutil.rmtree(folder, ignore_errors=True)
