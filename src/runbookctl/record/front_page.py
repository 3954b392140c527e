"""The report's front page (#14.1): what a post-mortem review reads first.

A truthful status, the responders, the key times (from the milestones the
run reached) and the review's fields and action items (from the answers of
the post-incident asks), all from the replayed RunState. Missing facts are
None here; the template shows them as "—".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runbookctl.outcomes import RunStatus
from runbookctl.record.run_state import seconds_between, status_text
from runbookctl.record.timeline import short_actor
from runbookctl.runbook.schema import MILESTONES
from runbookctl.runbook.values import parse_action_items

if TYPE_CHECKING:
    from runbookctl.record.run_state import RunState


# Front-page field -> label. An ask fills one by its id (`impact`, or
# `post-incident/impact` when included) or, in runbooks that say so, by `report:`.
FIELDS = {"impact": "Impact", "trigger": "Trigger", "root-cause": "Root cause",
          "resolution": "Resolution", "detection": "Detection",
          "went-well": "What went well", "went-badly": "What went badly"}
ACTION_ITEMS = "action-items"


@dataclass(frozen=True)
class KeyTime:
    label: str
    ts: str | None
    since_start: float | None  # seconds from the run's start


@dataclass(frozen=True)
class ActionItem:
    action: str
    owner: str | None = None
    due: str | None = None
    ticket: str | None = None


def headline(state: RunState) -> str:
    """The status in the words a reviewer needs: resolved, or how it ended."""
    status = state.status
    if status == RunStatus.COMPLETED:
        if state.failed_keys:
            return status_text(status, len(state.failed_keys))
        return "resolved" if "resolved" in state.milestones else "completed"
    if status == RunStatus.ABORTED:
        return f"aborted by {_stopped_by(state)} at {_last_title(state)}"
    if status == RunStatus.FAILED:
        return f"failed at {_last_title(state)}"
    if status == RunStatus.INTERRUPTED:
        return "interrupted, resumable"
    if status == RunStatus.ABANDONED:
        return "abandoned"
    return "running (no end recorded)"


def _last_title(state: RunState) -> str:
    if not state.path:
        return "the start"
    rec = state.steps.get(state.path[-1][0])
    return rec.title if rec else state.path[-1][0]


def _stopped_by(state: RunState) -> str:
    """Who answered last in the step the run stopped at, else the operator."""
    last = state.path[-1][0] if state.path else None
    for answer in reversed(state.answers):
        if answer.get("step") == last:
            return short_actor(str(answer.get("actor", "")))
    return state.operator or "the operator"


def responders(state: RunState) -> dict[str, list[str]]:
    """operator, approvers (who approved a step, or confirmed one) and everyone else who
    answered."""
    approvers = list(dict.fromkeys(str(a["by"]) for a in state.approvals
                                   if a.get("decision") == "approved" and a.get("by")))
    answered: list[str] = []
    for answer in state.answers:
        who = short_actor(str(answer.get("actor", "")))
        if who and answer.get("kind") == "confirm" and who not in approvers:
            approvers.append(who)
        if who and who not in answered:
            answered.append(who)
    return {"operator": [state.operator] if state.operator else [],
            "approvers": approvers, "answered": answered}


# How a decision reached the run (approval_decided's `via`), as the front page says it.
VIA = {"cli": "command line", "web": "web page", "api": "API", "store": "another machine"}


def approvals(state: RunState) -> list[dict[str, Any]]:
    """The Approvals table: each request's step, decision, who, when, how, why and how long
    the run waited (a request still open: waiting, up to the latest event)."""
    rows = []
    for row in state.approvals:
        waited = row.get("waited")
        if waited is None:
            waited = seconds_between(str(row.get("requested", "")), state.last_ts)
        rows.append({**row, "how": VIA.get(str(row.get("via")), row.get("via") or None),
                     "waited": waited})
    return rows


# ssh-keygen names key types (ED25519, RSA…); the report shows them as in a public key.
_KEY_TYPES = {"ED25519": "ssh-ed25519", "RSA": "ssh-rsa", "ED25519-SK": "sk-ssh-ed25519@openssh.com"}


def signer(state: RunState) -> str:
    """Who signed the record, from its record_signed events (docs/record.md, section 11):
    "Signed by WHO (ssh-ed25519 SHA256:…)", "Unsigned", and what no signature covers.

    WHO is the operator the journal names; the key is what `verify` checks against the
    allowed signers (it says the principal): the report is rendered from the journal
    alone, and must render the same wherever it is verified."""
    if not state.signatures:
        return "Unsigned"
    signers: list[str] = []
    for sig in state.signatures:
        kind = str(sig.get("key_type") or "")
        who = (f"{short_actor(str(sig.get('actor') or '')) or 'unknown'} "
               f"({_KEY_TYPES.get(kind, kind.lower() or 'key')} {sig.get('fingerprint')})")
        if who not in signers:
            signers.append(who)
    covered = int(state.signatures[-1].get("events") or 0)
    # record_signed events say a signature was made: outside what it covers, not unsigned facts
    said = {s.get("seq") for s in state.signatures}
    later = [seq for seq in range(covered + 1, state.events + 1) if seq not in said]
    text = f"Signed by {', '.join(signers)}"
    return text + (f"; events {later[0]}–{later[-1]} are not signed" if later else "")


def key_times(state: RunState) -> list[KeyTime]:
    times = [KeyTime("Started", state.started or None, 0.0 if state.started else None)]
    for name in MILESTONES:
        ts = state.milestones.get(name)
        times.append(KeyTime(name.capitalize(), ts, seconds_between(state.started, ts) if ts else None))
    return times


def review_fields(state: RunState) -> list[tuple[str, str | None]]:
    """(label, answer) for every front-page field, None when nobody answered it."""
    found = {field: _text(answer) for field, answer in _review_answers(state).items()}
    return [(label, found.get(field)) for field, label in FIELDS.items()]


def _review_answers(state: RunState) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for answer in state.answers:
        step = str(answer.get("step") or "")
        field = answer.get("report") or step.rsplit("/", 1)[-1]
        if answer.get("kind") == "ask" and (field in FIELDS or field == ACTION_ITEMS):
            out[str(field)] = answer  # the latest answer wins (a step visited again)
    return out


def _text(answer: dict[str, Any]) -> str | None:
    value = answer.get("value")
    text = "" if value is None else str(value).strip()
    return text or None


def action_items(state: RunState) -> list[ActionItem]:
    answer = _review_answers(state).get(ACTION_ITEMS)
    if answer is None:
        return []
    value = answer.get("value")
    if isinstance(value, list):  # an ask of type action_items, or a list in the answers file
        items = [v for v in value if isinstance(v, dict) and v.get("action")]
    else:
        items = parse_action_items(str(value or ""))
    return [_item(v) for v in items]


def _item(value: dict[str, Any]) -> ActionItem:
    def get(name: str) -> str | None:
        got = value.get(name)
        return str(got) if got not in (None, "") else None

    return ActionItem(str(value["action"]), get("owner"), get("due"), get("ticket"))
