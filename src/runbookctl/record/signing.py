"""Signed records (docs/record.md, section 11): the journal's head signed with the
operator's SSH key, in the `ssh-keygen -Y sign` format git uses for SSH-signed commits.

The hash chain alone proves nothing against someone who edits a journal and
recomputes every hash with `journal.event_hash`; a signature over the head does,
because only the key's owner can make it. What is signed is a short text naming
the run, how many events it covers and the hash of the last of them, so a
signature can neither be moved to another run nor stretched over events added
later. The signature cannot be inside what it signs: it is a file beside the
journal (`journal.<N>.sig`), and the event that says it was made follows the
events it covers.

The real `ssh-keygen` does the cryptography (no Python crypto dependency): through
ssh-agent, or a key file named by `ssh.signing_key`. It never asks anything: it
runs in its own session (no terminal to prompt on, and a Ctrl-C at the terminal
does not reach it) with askpass disabled, so a key that needs a passphrase is
refused with a hint (add it to the agent), never asked for mid-incident.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAMESPACE = "runbookctl-journal"
MESSAGE_VERSION = "runbookctl-journal-signature v1"
# Signing goes through an agent, maybe a hardware key waiting for a touch: a bound, so
# that the end of a run (signals held off) cannot hang on it.
KEYGEN_TIMEOUT = 30.0
_GOOD = re.compile(r'Good "[^"]*" signature (?:for (?P<who>.+) )?with (?P<type>\S+) key '
                   r"(?P<fp>\S+)")


class SigningUnavailable(Exception):
    """No signature could be made (no key, a key needing a passphrase, ssh-keygen failed)."""


def message(run_id: str, events: int, head: str) -> bytes:
    """The text a signature covers: the run, how many events, the hash of the last one."""
    return f"{MESSAGE_VERSION}\nrun_id: {run_id}\nevents: {events}\nhead: {head}\n".encode()


def signature_path(journal: Path, events: int) -> Path:
    """Where the signature covering the first `events` events lives: beside the journal,
    `journal.jsonl` -> `journal.<N>.sig` (`X.journal.jsonl` -> `X.journal.<N>.sig`)."""
    return journal.with_name(f"{_stem(journal)}.{events}.sig")


def signature_files(journal: Path) -> list[tuple[int, Path]]:
    """The signatures beside `journal`, as (events covered, path), fewest events first."""
    stem = _stem(journal)
    found = []
    for name in glob.glob(glob.escape(str(journal.with_name(stem))) + ".*.sig"):
        middle = Path(name).name[len(stem) + 1:-len(".sig")]
        if middle.isdigit():
            found.append((int(middle), Path(name)))
    return sorted(found)


def _stem(journal: Path) -> str:
    return journal.name.removesuffix(".jsonl")


@dataclass(frozen=True)
class SigningSetup:
    """Which key signs: `ssh.signing_key` (a public key whose private half is in the
    agent, or a private key file without passphrase), else the agent's first key."""

    key: str | None = None
    use_agent: bool = True

    @classmethod
    def from_ssh(cls, ssh: Mapping[str, Any]) -> SigningSetup:
        return cls(key=ssh.get("signing_key"), use_agent=bool(ssh.get("use_agent", True)))


@dataclass(frozen=True)
class Signature:
    """A signature made: which file, what it covers, with which key."""

    path: Path
    events: int
    head: str
    key_type: str
    fingerprint: str

    def record(self) -> dict[str, Any]:
        """The `record_signed` event's data."""
        return {"events": self.events, "head": self.head, "signature": self.path.name,
                "key_type": self.key_type, "fingerprint": self.fingerprint,
                "namespace": NAMESPACE}


def keygen(args: list[str], setup: SigningSetup | None = None, stdin: bytes | None = None,
           ) -> subprocess.CompletedProcess[str]:
    """Run `ssh-keygen ARGS` never asking anything; SigningUnavailable if it cannot run."""
    env = dict(os.environ, SSH_ASKPASS_REQUIRE="never")
    if setup is not None and not setup.use_agent:
        env.pop("SSH_AUTH_SOCK", None)
    try:
        done = subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True,
                              env=env, timeout=KEYGEN_TIMEOUT, check=False,
                              start_new_session=True,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SigningUnavailable(f"ssh-keygen did not finish within {KEYGEN_TIMEOUT:g}s (a key "
                                 "waiting for a touch or a confirmation?)") from None
    except OSError as exc:
        raise SigningUnavailable(f"cannot run ssh-keygen: {exc.strerror or exc}") from None
    return subprocess.CompletedProcess(done.args, done.returncode,
                                       done.stdout.decode(errors="replace"),
                                       done.stderr.decode(errors="replace"))


def good_signature(output: str) -> tuple[str | None, str, str] | None:
    """(principal or None, key type, fingerprint) from ssh-keygen's `Good "…" signature` line."""
    match = _GOOD.search(output)
    return (match["who"], match["type"], match["fp"]) if match else None


def sign_head(journal: Path, run_id: str, events: int, head: str,
              setup: SigningSetup) -> Signature:
    """Sign the journal's first `events` events (ending at `head`) and write the signature
    beside it; SigningUnavailable says why not (the caller warns, the run goes on)."""
    with tempfile.TemporaryDirectory(prefix="runbookctl-sign-") as tmp:
        key = _key_file(setup, Path(tmp))
        text = Path(tmp) / "message"
        text.write_bytes(message(run_id, events, head))
        done = keygen(["-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(text)], setup)
        made = text.with_name("message.sig")
        if done.returncode != 0 or not made.is_file():
            raise SigningUnavailable(_why_not(done.stderr, key))
        armored = made.read_bytes()
        check = keygen(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(made)], setup,
                       stdin=message(run_id, events, head))
    good = good_signature(check.stdout + check.stderr)
    if check.returncode != 0 or good is None:
        raise SigningUnavailable(f"ssh-keygen made a signature that does not check: "
                                 f"{_first_line(check.stderr)}")
    path = signature_path(journal, events)
    try:
        write_atomically(path, armored)
    except OSError as exc:
        raise SigningUnavailable(f"cannot write {path}: {exc.strerror or exc}") from None
    return Signature(path, events, head, good[1], good[2])


def _key_file(setup: SigningSetup, tmp: Path) -> Path:
    """The file to give `ssh-keygen -f`: the configured key, else the agent's first
    public key written to `tmp` (ssh-keygen then signs through the agent)."""
    if setup.key:
        key = Path(setup.key)
        if not key.is_file():
            raise SigningUnavailable(f"ssh.signing_key {key} is not a file")
        return key
    if not setup.use_agent:
        raise SigningUnavailable("no key to sign with: ssh.use_agent is false and no "
                                 "ssh.signing_key is set")
    if not os.environ.get("SSH_AUTH_SOCK"):
        raise SigningUnavailable("no key to sign with: no ssh-agent ($SSH_AUTH_SOCK is not set) "
                                 "and no ssh.signing_key in the config")
    first = _agent_keys()[0]
    pub = tmp / "agent-key.pub"
    pub.write_text(first + "\n", encoding="utf-8")
    return pub


def _agent_keys() -> list[str]:
    try:
        done = subprocess.run(["ssh-add", "-L"], capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, timeout=KEYGEN_TIMEOUT,
                              start_new_session=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SigningUnavailable(f"cannot ask the ssh-agent for its keys: {exc}") from None
    keys = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode == 1 or (done.returncode == 0 and not keys):
        raise SigningUnavailable("the ssh-agent holds no key (ssh-add one, or set "
                                 "ssh.signing_key)")
    if done.returncode != 0:
        raise SigningUnavailable(f"cannot reach the ssh-agent at $SSH_AUTH_SOCK: "
                                 f"{_first_line(done.stderr)}")
    return keys


def _why_not(stderr: str, key: Path) -> str:
    if "passphrase" in stderr:
        return (f"the key {key} needs its passphrase, which runbookctl never asks during a "
                f"run: add it to your ssh-agent (ssh-add {key})")
    if "No private key found" in stderr:
        return f"the private half of {key} is not in the ssh-agent (ssh-add it)"
    return f"ssh-keygen -Y sign failed: {_first_line(stderr)}"


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()
             and not line.startswith(("Signing ", "Write signature", "Enter passphrase"))]
    return lines[-1].strip() if lines else "no reason given"


def write_atomically(path: Path, data: bytes) -> None:
    """`data` in `path`, whole or not at all (a temporary file, fsynced, renamed)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
