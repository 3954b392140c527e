"""Conditions in an imported playbook (issue 16.4): "If X, do Y" / "If X:" + a block.

A condition that opens a sentence and introduces an instruction becomes a
`confirm` step asking "X?" whose `no` skips the instruction (`on_no` names the
step after it): the operator decides, at run time, with the question in front
of them — not a TODO comment in a file nobody reads during an incident.
A sentence that only explains ("If the DB is full, no writes succeed") is
not an instruction: it stays text the operator reads. A condition inside a
sentence ("restart it if it hangs") stays in the step's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "If X:", "(only if ...)", "..., if it blocks", "unless ..."; not "check if X" (a question).
_CONDITION = re.compile(
    r"(?<!check )(?<!see )(?<!verify )(?<!confirm )(?<!ask )(?<!test )(?<!determine )"
    r"(?<!whether )(?<!as )\b(?:if|unless)\b|^\W*when\b", re.IGNORECASE)
_OPENS = r"^\W*(?:if|in case|in the case that)\s+"
# "If X:" or "If X, run the following:" — introduces the block after it
_INTRODUCES = re.compile(_OPENS + r"(?P<cond>[^:]+?)(?:,\s*(?:then\s+)?(?P<rest>[^:]*))?:\s*$",
                         re.IGNORECASE | re.DOTALL)
# "If X, do Y." / "If X then do Y."
_SENTENCE = re.compile(_OPENS + r"(?P<cond>.+?)(?:,\s*(?:then\s+)?|\s+then\s+)(?P<rest>.+)$",
                       re.IGNORECASE | re.DOTALL)
# How an instruction starts: an imperative verb, or "you should/can/must …".
_IMPERATIVE = re.compile(
    r"^(?:please\s+)?(?:you\s+(?:should|can|must|may|need to|have to|will need to|might)\b|"
    r"(?:check|run|restart|reboot|escalate|contact|page|open|delete|remove|scale|increase|"
    r"decrease|use|follow|see|consider|try|verify|ensure|make|add|set|reach|notify|create|"
    r"update|wait|investigate|look|inspect|review|refer|go|proceed|do|perform|apply|edit|"
    r"roll|rollback|revert|stop|start|kill|drain|cordon|uncordon|file|raise|ask|call|"
    r"execute|disable|enable|fail|failover|switch|move|migrate|resize|expand|clean|clear|"
    r"free|rotate|renew|replace|recreate|redeploy|deploy|patch|upgrade|downgrade|skip|"
    r"continue|repeat|re-run|rerun|confirm|validate|monitor|watch|collect|gather|capture|"
    r"note|record|inform|tell|alert|open|attach|connect|log|ssh|login|silence|mute|ack|"
    r"acknowledge|promote|demote|reinitialize|reinit|rebuild|restore|recover|retry|"
    r"identify|find|determine|compare|examine|analy[sz]e|debug|fix|resolve|mitigate)\b)",
    re.IGNORECASE)


@dataclass(frozen=True)
class Condition:
    question: str  # "X?"
    rest: str  # the instruction in the same sentence ("" when a block follows)
    introduces: bool  # "If X:": the next block is the instruction


def conditional(text: str) -> bool:
    """Whether text holds a condition anywhere (a note for the reviewer)."""
    return bool(_CONDITION.search(text))


def parse_condition(text: str) -> Condition | None:
    """The gate a sentence opening with a condition asks for, or None (not an instruction)."""
    flat = " ".join(text.split())
    found = _INTRODUCES.match(flat)
    if found and len(found.group("cond")) <= 200:
        return Condition(_question(found.group("cond")), found.group("rest") or "", True)
    found = _SENTENCE.match(flat)
    if found and len(found.group("cond")) <= 200 and _IMPERATIVE.match(found.group("rest")):
        rest = found.group("rest")
        return Condition(_question(found.group("cond")), rest[:1].upper() + rest[1:], False)
    return None


def _question(cond: str) -> str:
    cond = cond.strip().rstrip(",.;")
    return f"{cond[:1].upper()}{cond[1:]}?"
