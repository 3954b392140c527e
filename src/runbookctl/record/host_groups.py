"""A command on many hosts in the report (docs/terminal-view.md, "Many hosts"): every host's
outcome in one table, failed hosts first, then each distinct output once under
the hosts that printed it, as `clush -b` gathers them. The template
(templates/report.md.j2) switches to this above hostsets.GROUP_ABOVE hosts.

Works on the journaled host records (engine/command_step.host_record): their
tails are masked already, so nothing here can show a secret.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from runbookctl.hostsets import failures_first, group_by, grouped

Record = Mapping[str, Any]


def many_hosts(results: Sequence[Record]) -> bool:
    """Whether a command's results are shown grouped (the template's switch)."""
    return grouped(len(results))


def failed(record: Record) -> bool:
    return bool(record.get("exit_code") != 0 or record.get("timed_out")
                or record.get("interrupted") or record.get("error"))


def by_outcome(results: Sequence[Record]) -> list[Record]:
    """The table's rows: failed hosts first, each part in the order they were run."""
    return failures_first(list(results), failed)


def output_groups(results: Sequence[Record]) -> list[dict[str, Any]]:
    """One entry per distinct output (the same sha256 of the whole output, so the
    same tail), the largest first: its hosts folded, how many, how they ended, and
    the log of its first host that has one (a quiet host leaves none)."""
    records = {str(r.get("host")): r for r in results}
    keyed = [(host, (r.get("sha256") or "", r.get("tail") or "", r.get("bytes") or 0))
             for host, r in records.items()]
    shown = []
    for group in group_by(keyed):
        sha, tail, size = group.key
        shown.append({"hosts": group.folded, "count": len(group.hosts), "sha256": sha,
                      "tail": tail, "bytes": size,
                      "outcome": _outcomes(records[h] for h in group.hosts),
                      "log": next((str(records[h]["log"]) for h in group.hosts
                                   if records[h].get("log")), "")})
    return shown


def _outcomes(records: Any) -> str:
    """`exit 0`, or `exit 0 ×118, exit 1 ×2` when the same output ended differently."""
    counts = Counter(_outcome(r) for r in records)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{what} ×{n}" for what, n in counts.most_common())


def _outcome(record: Record) -> str:
    if record.get("timed_out"):
        return "timed out"
    if record.get("interrupted"):
        return "interrupted"
    if record.get("error"):
        return str(record["error"])
    code = record.get("exit_code")
    return "no exit code" if code is None else f"exit {code}"
