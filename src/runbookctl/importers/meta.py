"""What a playbook says about itself: front matter and severity (issue 16.4).

Front matter (a leading YAML block, as Jekyll and Hugo write it) gives the
title and the severity; else a `Severity: …` line; else the first heading
naming one ("P1", "(P0)", "Severity 2 (High)" -> P1). Words map to P0 (worst)
.. P3: blocker/emergency -> P0, critical/high/major -> P1,
medium/moderate/warning/error -> P2, low/minor/info -> P3; P4 and below -> P3.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.importers.markdown import Section

_SEVERITY = re.compile(r"\bP([0-4])\b|\bSev(?:erity)?[\s:-]*([1-5])\b", re.IGNORECASE)
# Severity words (front matter, "Severity: high" lines) -> P0 (worst) .. P3.
SEVERITY_WORDS = {"critical": "P1", "blocker": "P0", "emergency": "P0", "high": "P1", "major": "P1",
                  "error": "P2", "medium": "P2", "moderate": "P2", "warning": "P2", "minor": "P3",
                  "low": "P3", "info": "P3", "informational": "P3", "none": "P3"}
_SEVERITY_LINE = re.compile(r"^[\s>*_-]*severity[*_]*\s*[:=][*_\s]*[\"']?([\w-]+)",
                            re.IGNORECASE | re.MULTILINE)


def document_severity(meta: dict[str, str], body: str) -> str | None:
    """P0..P3 from front matter, else a "Severity: X" line or the first heading naming one."""
    for value in [meta.get("severity", ""), *_SEVERITY_LINE.findall(body)]:
        found = level(value)
        if found:
            return found
    for line in body.splitlines():
        named = _SEVERITY.search(line) if line.startswith("#") else None
        if named:
            return _from_match(named)
    return None


def level(value: str) -> str | None:
    word = value.strip().strip("\"'").lower()
    found = _SEVERITY.fullmatch(word)
    return _from_match(found) if found else SEVERITY_WORDS.get(word)


def _from_match(found: re.Match[str]) -> str:
    level = int(found.group(1)) if found.group(1) else int(found.group(2)) - 1
    return f"P{min(level, 3)}"


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """A leading YAML front matter block (Jekyll, Hugo): its top-level scalars, and the text
    without it (its lines blank, so line numbers still match the file)."""
    found = re.match(r"---\n(\w[\w-]*:.*?)\n(?:---|\.\.\.)\n", text, re.DOTALL)
    if not found:
        return {}, text
    meta = {m.group(1).lower(): m.group(2).strip().strip("\"'") for m in
            re.finditer(r"^(\w[\w-]*):[ \t]*(\S.*?)\s*$", found.group(1), re.MULTILINE)}
    return meta, "\n" * found.group(0).count("\n") + text[found.end():]


def severity_of(section: Section) -> str | None:
    """P0-P3 from the nearest heading naming one: "P1", "(P0)", "Severity 2 (High)" -> P1."""
    for node in [section, *section.ancestors()]:
        found = _SEVERITY.search(node.title)
        if found:
            return _from_match(found)
    return None
