"""`verify`'s check of a record's signatures (docs/record.md, section 11): each
signature beside the journal must match the journal's events it covers and be made
by a key of the allowed-signers file; what it finds says who signed, with which key.

The message each signature covers is rebuilt from the journal as it is now (run id,
event count, the hash of that event): a journal edited and re-hashed after it was
signed no longer gives the signed message, and its signature fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.record import events as ev
from runbookctl.record.signing import (
    NAMESPACE,
    SigningUnavailable,
    good_signature,
    keygen,
    message,
    signature_files,
)

if TYPE_CHECKING:
    from runbookctl.record.journal import Event

REPO_SIGNERS = Path(".runbookctl") / "allowed_signers"


@dataclass
class SignatureCheck:
    """What verify says about a record's signatures."""

    lines: list[str] = field(default_factory=list)  # what was found, one line each
    problems: list[str] = field(default_factory=list)  # each makes verify fail
    signers: list[str] = field(default_factory=list)  # principals of good signatures
    unsigned: str | None = None  # why the record (or its end) is not vouched for by a signer

    @property
    def summary(self) -> str:
        if self.signers and self.unsigned is None:
            return "signed by " + ", ".join(dict.fromkeys(self.signers))
        return self.unsigned or "unsigned"


def find_allowed_signers(configured: str | None, near: Path) -> Path | None:
    """The allowed-signers file: config `allowed_signers`, else `.runbookctl/allowed_signers`
    at the top of the git repository holding `near` (the post-mortem repo)."""
    if configured:
        return Path(configured)
    for folder in (near, *near.parents):
        if (folder / REPO_SIGNERS).is_file():
            return folder / REPO_SIGNERS
        if (folder / ".git").exists():
            return None
    return None


def check_signatures(journal: Path, events: list[Event], allowed: Path | None) -> SignatureCheck:
    """Each signature beside `journal` checked against `events` and the allowed signers."""
    result = SignatureCheck()
    files = signature_files(journal)
    claimed = {e.data["events"]: e for e in events
               if e.type == ev.RECORD_SIGNED and isinstance(e.data.get("events"), int)}
    for count, event in sorted(claimed.items()):
        if count not in dict(files):
            result.problems.append(
                f"event seq {event.seq} says events 1–{count} were signed "
                f"({event.data.get('signature')}), but that signature file is missing (removed?)")
    if not files:
        result.unsigned = "unsigned"
        result.lines.append(f"unsigned: no signature beside {journal.name}")
        return result
    if allowed is not None and not allowed.is_file():
        result.problems.append(f"the allowed signers file {allowed} does not exist")
        allowed = None
    run_id = str(events[0].data.get("run_id", "")) if events else ""
    covered = 0
    for count, path in files:
        if _check_one(result, path, count, run_id, events, allowed, claimed.get(count)):
            covered = max(covered, count)
    _tail(result, events, covered)
    return result


def _check_one(result: SignatureCheck, path: Path, count: int, run_id: str,
               events: list[Event], allowed: Path | None, claim: Event | None) -> bool:
    """Check one signature; True when it matches the journal (whoever made it)."""
    if not 1 <= count <= len(events):
        result.problems.append(f"{path.name} covers {count} events, but the journal has "
                               f"{len(events)} (events removed from the end?)")
        return False
    head = events[count - 1].hash
    signed = message(run_id, count, head)
    try:
        check = keygen(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(path)], stdin=signed)
    except SigningUnavailable as exc:
        result.problems.append(f"{path.name}: cannot check it: {exc}")
        return False
    good = good_signature(check.stdout + check.stderr)
    if check.returncode != 0 or good is None:
        result.problems.append(
            f"{path.name}: the signature does not match events 1–{count} of the journal (head "
            f"{head[:12]}…): the journal was changed after it was signed, or the signature file "
            f"was altered ({_reason(check.stderr)})")
        return False
    _, key_type, fingerprint = good
    key = f"{key_type} key {fingerprint}"
    if claim is not None and claim.data.get("fingerprint") not in (None, fingerprint):
        result.problems.append(f"{path.name} was made with {key}, but event seq {claim.seq} "
                               f"says {claim.data.get('fingerprint')} (the signature was replaced)")
    if allowed is None:
        result.unsigned = "signer not checked (no allowed signers file)"
        result.lines.append(f"signed: events 1–{count} with {key} ({path.name}); who signed is "
                            "not checked: no allowed signers file (config allowed_signers, or "
                            f"{REPO_SIGNERS} in the post-mortem repository)")
        return True
    principal = _principal(path, signed, allowed)
    if principal is None:
        result.problems.append(f"{path.name}: signed with {key}, which is not an allowed "
                               f"signer in {allowed}")
        return True
    result.signers.append(principal)
    result.lines.append(f"signed: events 1–{count} by {principal} ({key}), {path.name}")
    return True


def _principal(path: Path, signed: bytes, allowed: Path) -> str | None:
    """The allowed signer whose key made the signature, checked with its namespace and
    validity (`ssh-keygen -Y verify`); None when no allowed signer did."""
    try:
        found = keygen(["-Y", "find-principals", "-s", str(path), "-f", str(allowed)])
        for principal in found.stdout.split() if found.returncode == 0 else []:
            done = keygen(["-Y", "verify", "-f", str(allowed), "-I", principal, "-n", NAMESPACE,
                           "-s", str(path)], stdin=signed)
            if done.returncode == 0:
                return principal
    except SigningUnavailable:
        return None
    return None


def _tail(result: SignatureCheck, events: list[Event], covered: int) -> None:
    """Events written after the last good signature (other than its own record) are not
    vouched for: said, and the record counts as not fully signed."""
    after = [e for e in events[covered:] if e.type != ev.RECORD_SIGNED]
    if covered and after:
        kinds = ", ".join(dict.fromkeys(e.type for e in after))
        result.unsigned = f"events {covered + 1}–{len(events)} unsigned"
        result.lines.append(f"not signed: events {covered + 1}–{len(events)} ({kinds}) were "
                            "written after the last signature")


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "ssh-keygen gave no reason"
