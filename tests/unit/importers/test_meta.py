"""A playbook's front matter and severity (issue 16.4)."""

from __future__ import annotations

import pytest

from runbookctl.importers.meta import document_severity, front_matter, level


def test_front_matter_gives_its_scalars_and_keeps_the_line_count() -> None:
    meta, body = front_matter('---\ntitle: "Disk full"\nseverity: P0\ntags: [a]\n---\n# Disk\n')
    assert meta == {"title": "Disk full", "severity": "P0", "tags": "[a]"}
    assert body == "\n\n\n\n\n# Disk\n"
    assert front_matter("# No front matter\n") == ({}, "# No front matter\n")


@pytest.mark.parametrize(("value", "severity"), [
    ("P0", "P0"), ("p2", "P2"), ("P4", "P3"), ("SEV1", "P0"), ("Sev-3", "P2"), ("critical", "P1"),
    ("blocker", "P0"), ("warning", "P2"), ("'info'", "P3"), ("urgent-ish", None), ("", None),
])
def test_a_severity_word_or_level_maps_to_p0_p3(value: str, severity: str | None) -> None:
    assert level(value) == severity


def test_front_matter_wins_then_a_severity_line_then_the_first_heading() -> None:
    assert document_severity({"severity": "P0"}, "Severity: low\n## P2 alerts\n") == "P0"
    assert document_severity({}, "> **Severity**: low\n## P2 alerts\n") == "P3"
    assert document_severity({"severity": "whatever"}, "text\n## P2 alerts\n") == "P2"
    assert document_severity({}, "P95 latency\n## Latency\n") is None
