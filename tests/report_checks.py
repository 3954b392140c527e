"""What a post-mortem reviewer checks first in any report (#14.1/#14.2)."""

from __future__ import annotations

import re

FRONT_FIELDS = ("Status", "Incident", "Operator", "Responders", "Started", "Acknowledged",
                "Mitigated", "Resolved", "Finished", "Impact", "Trigger", "Root cause",
                "Resolution", "Detection", "What went well", "What went badly")


def check_report(report: str, titles: list[str], max_lines: int) -> str:
    """Assert the reviewer's checks; return the front page (title to timeline)."""
    body = report.split("\n---\n", 1)[1]
    front = body[:body.index("## Timeline")]
    assert len(front.strip().splitlines()) <= 60, front
    for field in FRONT_FIELDS:
        assert f"| **{field}** | " in front, field
    assert "| Owner | Action | Due | Ticket |" in front
    assert body.index("## Timeline") < body.index("## Steps")
    assert len(report.splitlines()) <= max_lines, len(report.splitlines())
    assert "None" not in report
    assert not re.search(r"\b(\w+): \1\b", report), re.search(r"\b(\w+): \1\b", report)
    timeline = body.split("## Timeline")[1].split("###")[0]
    for title in titles:
        assert f"| {title} |" in timeline, title
    return front
