"""`stats --markdown`: the figures of record/run_figures.py as a Markdown page GitHub
renders — per runbook, a Mermaid `xychart-beta` of the median times to acknowledge,
mitigate and resolve per month, and a table with every figure and its count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runbookctl.durations import format_elapsed
from runbookctl.record.report import cell, md_inline
from runbookctl.record.run_figures import TIMES

if TYPE_CHECKING:
    from collections.abc import Iterable

NONE = "—"  # no run of the row reached it
_LABELS = {"tta": "TTA", "ttm": "TTM", "ttr": "TTR"}

_HEADER = """\
# Incident response times

{what}

- **TTA / TTM / TTR**: time to acknowledge, mitigate and resolve — from the run's start
  to the first `acknowledged`, `mitigated` and `resolved` milestone, the incident's
  clock (a pause between an interruption and the resume counts, as it does for the
  incident). Over the runs that reached the milestone: their number is in brackets;
  {none} when none did.
- **Active**: how long the completed runs were running — their sessions added up,
  pauses between an interruption and its resume left out.
- Median and p90 (interpolated between ranks); months are UTC, by the run's start.
"""


def render(by_month: list[dict[str, Any]], overall: list[dict[str, Any]], *, what: str) -> str:
    """The page: `by_month` and `overall` are run_figures.rows(...) with and without
    months; `what` says what was measured (how many runs, from where, when)."""
    parts = [_HEADER.format(what=what, none=NONE)]
    for runbook in sorted({r["runbook"] for r in by_month}):
        months = [r for r in by_month if r["runbook"] == runbook]
        parts.append(f"## {md_inline(runbook)}\n")
        if any(r[k]["count"] for r in months for k in TIMES):
            parts.append(mermaid_chart(runbook, months) + "\n")
        else:
            parts.append("*No run of this runbook reached a milestone: no chart.*\n")
        parts.append(_table(months + [r for r in overall if r["runbook"] == runbook]))
    if not by_month:
        parts.append("No runs found.\n")
    return "\n".join(parts)


def _table(rows: Iterable[dict[str, Any]]) -> str:
    head = ["month", "runs", "completed", *(f"{_LABELS[k]} median · p90" for k in TIMES),
            "active median · p90", "most-failed steps"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        month = "**all**" if r["month"] == "all" else r["month"]
        failed = ", ".join(f"{f['step']} ({f['failures']})" for f in r["most_failed_steps"])
        cells = [month, str(r["runs"]), f"{r['completed']} ({r['completion_rate']:.0%})",
                 *(spread_text(r[k]) for k in TIMES), spread_text(r["active"]),
                 cell(failed) or NONE]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def spread_text(figure: dict[str, Any]) -> str:
    """`1m05s · 3m10s (4)`, or `—` when no run counted."""
    if not figure["count"]:
        return NONE
    return (f"{format_elapsed(figure['median_seconds'])} · {format_elapsed(figure['p90_seconds'])}"
            f" ({figure['count']})")


def mermaid_chart(runbook: str, months: list[dict[str, Any]]) -> str:
    """Bars of the median TTR, TTM and TTA per month, drawn in that order so that the
    shorter ones stand in front of the longer; a month with no such run has no bar."""
    medians = {k: [r[k]["median_seconds"] for r in months] for k in TIMES}
    top = max((v for values in medians.values() for v in values if v is not None), default=0.0)
    unit, per = _unit(top)
    axis = ", ".join(f'"{r["month"]}"' for r in months)
    lines = ["```mermaid", "xychart-beta",
             f'    title "{_quoted(runbook)}: median TTA, TTM, TTR per month ({unit})"',
             f"    x-axis [{axis}]",
             f'    y-axis "{unit}" 0 --> {_number(max(top / per * 1.1, 1.0))}']
    for key in ("ttr", "ttm", "tta"):
        values = ", ".join(_number((v or 0.0) / per) for v in medians[key])
        lines.append(f"    bar [{values}]")
    lines.append("```")
    legend = (f"*Bars, back to front: median TTR, TTM, TTA in {unit} "
              "(a month with no run reaching a milestone has no bar for it).*")
    return "\n".join(lines) + "\n\n" + legend


def _unit(seconds: float) -> tuple[str, float]:
    if seconds < 120:
        return "seconds", 1.0
    if seconds < 2 * 3600:
        return "minutes", 60.0
    return "hours", 3600.0


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") or "0"


def _quoted(text: str) -> str:
    """Inside a Mermaid quoted string: no quote or line break can end it early."""
    return " ".join(text.replace('"', "'").split())
