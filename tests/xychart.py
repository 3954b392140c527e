"""The Mermaid xychart-beta form `stats --markdown` writes, checked block by block."""

from __future__ import annotations

import re

# The grammar of mermaid.js.org/syntax/xyChart this page uses: a title, categories on
# x, a numeric range on y, then bar series of one number per category.
XYCHART = re.compile(
    r'```mermaid\nxychart-beta\n'
    r'    title "[^"\n]*"\n'
    r'    x-axis \[("[^"\n]*"(?:, "[^"\n]*")*)\]\n'
    r'    y-axis "[^"\n]*" 0 --> \d+(?:\.\d+)?\n'
    r'((?:    bar \[-?\d+(?:\.\d+)?(?:, -?\d+(?:\.\d+)?)*\]\n)+)```')


def xycharts(page: str) -> list[tuple[list[str], list[list[float]]]]:
    """Each chart's categories and bar series; every mermaid block must be a whole
    xychart, each series one number per category."""
    assert page.count("```mermaid") == len(XYCHART.findall(page)), page
    charts = []
    for match in XYCHART.finditer(page):
        months = re.findall(r'"([^"]*)"', match.group(1))
        bars = [[float(v) for v in line.split("[")[1].rstrip("]").split(", ")]
                for line in match.group(2).strip().splitlines()]
        assert all(len(b) == len(months) for b in bars), match.group(0)
        charts.append((months, bars))
    return charts
