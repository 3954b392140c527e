"""A step on many hosts, on the terminal (docs/terminal-view.md, "Many hosts"): instead of
200 hosts' lines interleaved as they come, each host's output is kept and shown
once the step's command has ended, identical outputs grouped under the hosts
that printed them (`clush -b`), then one summary: failed hosts one line each,
first, and the hosts that succeeded folded into one line.

What is kept is what the live view would have shown: already masked and with
escape sequences made visible (executors/output.py), so nothing here unmasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from runbookctl.durations import format_elapsed
from runbookctl.executors.base import HostResult
from runbookctl.hostsets import fold, group_by

# What is kept of one host's output for the grouped view; its log has it all.
KEEP_BYTES = 64 * 1024
INDENT = b"    "


@dataclass
class Gathered:
    """Each host's output of one command, kept for the grouped view."""

    hosts: list[str]
    kept: dict[str, bytearray] = field(default_factory=dict)
    cut: set[str] = field(default_factory=set)

    def add(self, host: str, text: str) -> None:
        kept = self.kept.setdefault(host, bytearray())
        if host in self.cut:
            return
        data = text.encode("utf-8")
        room = KEEP_BYTES - len(kept)
        if len(data) > room:
            data = data[:room]
            self.cut.add(host)
        kept += data

    def blocks(self) -> list[tuple[str, bytes]]:
        """(header, indented body) per distinct output, the largest group first;
        the header folds the hosts: `web[001-120] (120 hosts)`."""
        outputs = [(host, self._shown(host)) for host in self.hosts]
        shown = []
        for group in group_by(outputs):
            count = len(group.hosts)
            header = f"{group.folded} ({count} host{'s' if count != 1 else ''})"
            shown.append((header, _indent(group.key) or INDENT + b"(no output)\n"))
        return shown

    def _shown(self, host: str) -> bytes:
        data = bytes(self.kept.get(host, b""))
        if data and not data.endswith(b"\n"):
            data += b"\n"
        if host in self.cut:
            data += f"[output cut at {KEEP_BYTES // 1024} KiB here; the host's log has it all]\n"\
                .encode()
        return data


def _indent(data: bytes) -> bytes:
    if not data:
        return b""
    return INDENT + data[:-1].replace(b"\n", b"\n" + INDENT) + b"\n"


def summary_lines(results: Sequence[HostResult]) -> list[tuple[bool, str]]:
    """(ok, line): a headcount, each failed host on its own line (failures first),
    then the hosts that succeeded folded into one line, with their durations."""
    failed = [r for r in results if not r.ok]
    lines = [(not failed, _headcount(len(results), len(failed)))]
    lines += [(False, f"{r.host}: {_outcome(r)} · {format_elapsed(r.duration)}") for r in failed]
    fine = [r for r in results if r.ok]
    if fine:
        quickest, slowest = min(r.duration for r in fine), max(r.duration for r in fine)
        spread = format_elapsed(slowest) if slowest - quickest < 0.05 else \
            f"{format_elapsed(quickest)}–{format_elapsed(slowest)}"
        lines.append((True, f"exit 0: {fold(r.host for r in fine)} ({len(fine)} hosts) · "
                            f"{spread}"))
    return lines


def _headcount(total: int, failed: int) -> str:
    return f"{total} hosts: {total - failed} ok" + (f", {failed} failed" if failed else "")


def _outcome(r: HostResult) -> str:
    if r.timed_out:
        return "timed out" + (f" ({r.error})" if r.error else "")
    if r.error:
        return r.error
    if r.interrupted:
        return "interrupted"
    return f"exit {r.exit_code}" if r.exit_code is not None else "no exit code"

