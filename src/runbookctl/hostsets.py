"""Many hosts shown the way `clush -b` and `pssh` gather them (docs/terminal-view.md,
"Many hosts"): host names folded into ranges (`web[001-120]`), and hosts whose
output is identical grouped, so a step on 200 hosts reads as a few blocks.

Pure functions over names and opaque outputs: the terminal (cli/terminal.py)
groups what it showed live, the report (record/report.py) what was journaled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

# More hosts than this and a step's output is grouped; up to it, each host's
# lines are shown as they come, prefixed by its name (a few hosts read well so).
GROUP_ABOVE = 5

K = TypeVar("K", bound=Hashable)

# The last run of digits in a name: what varies along a fleet (web001, db-7.dc2).
_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")
_RANGE = re.compile(r"^(.*?)\[(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)\](\D*)$")


def grouped(count: int) -> bool:
    """Whether a step on `count` hosts shows grouped output."""
    return count > GROUP_ABOVE


def fold(hosts: Iterable[str]) -> str:
    """`web001, web002, web003, db1` -> `db1, web[001-003]`: names that differ only
    in their last number share one bracket. Names with brackets or commas of
    their own (IPv6 literals) are listed as they are, never folded."""
    families: dict[tuple[str, str], list[str]] = {}
    plain: list[str] = []
    for host in dict.fromkeys(hosts):
        match = None if any(c in host for c in "[],") else _NUMBERED.match(host)
        if match is None:
            plain.append(host)
        else:
            families.setdefault((match[1], match[3]), []).append(match[2])
    pieces = [_family(prefix, suffix, numbers) for (prefix, suffix), numbers in families.items()]
    return ", ".join(sorted(plain + pieces))


def _family(prefix: str, suffix: str, numbers: list[str]) -> str:
    if len(numbers) == 1:
        return f"{prefix}{numbers[0]}{suffix}"
    ordered = sorted(numbers, key=lambda n: (int(n), len(n)))
    runs: list[list[str]] = [[ordered[0]]]
    for number in ordered[1:]:
        last = runs[-1][-1]
        if int(number) == int(last) + 1 and _same_style(number, last):
            runs[-1].append(number)
        else:
            runs.append([number])
    spans = [run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs]
    return f"{prefix}[{','.join(spans)}]{suffix}"


def _same_style(a: str, b: str) -> bool:
    """Two numbers one range can hold: zero-padded alike, or neither padded
    (`9-10` is a range, `09-10` only when both are two digits)."""
    padded = (a.startswith("0") and len(a) > 1) or (b.startswith("0") and len(b) > 1)
    return len(a) == len(b) if padded else True


def expand(folded: str) -> list[str]:
    """The names `fold` gathered, in its order: the inverse of `fold` for names
    without brackets or commas."""
    names: list[str] = []
    for piece in folded.split(", ") if folded else []:
        match = _RANGE.match(piece)
        if match is None:
            names.append(piece)
            continue
        prefix, spans, suffix = match[1], match[2], match[3]
        for span in spans.split(","):
            first, _, last = span.partition("-")
            width = len(first) if first.startswith("0") and len(first) > 1 else 0
            for n in range(int(first), int(last or first) + 1):
                names.append(f"{prefix}{n:0{width}d}{suffix}")
    return names


@dataclass(frozen=True)
class Group(Generic[K]):
    """Hosts whose outputs are the same `key`, in the order they were given."""

    key: K
    hosts: tuple[str, ...]

    @property
    def folded(self) -> str:
        return fold(self.hosts)


def group_by(items: Sequence[tuple[str, K]]) -> list[Group[K]]:
    """(host, output) pairs -> one Group per distinct output; the largest group
    first (what most hosts said), ties in the order they first appeared."""
    found: dict[K, list[str]] = {}
    for host, key in items:
        found.setdefault(key, []).append(host)
    order = {key: i for i, key in enumerate(found)}
    groups = [Group(key, tuple(hosts)) for key, hosts in found.items()]
    return sorted(groups, key=lambda g: (-len(g.hosts), order[g.key]))


def ungroup(groups: Iterable[Group[K]]) -> dict[str, K]:
    """Every host's output again, from its group."""
    return {host: group.key for group in groups for host in group.hosts}


T = TypeVar("T")


def failures_first(items: Sequence[T], failed: Callable[[T], bool]) -> list[T]:
    """The failed items first, each part in its given order (a stable sort)."""
    return sorted(items, key=lambda item: not failed(item))
