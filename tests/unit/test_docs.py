"""The documentation names what exists: every key of the format, every journal event
type, every answers-file field, and every file a link points at. A key, event or
field added to the code without a word in docs/ fails here, and so does a link left
behind by a rename."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runbookctl.prompts.answers_file import CAPTURE_FIELD, CARRY_CHOICES, ENTRY_KEYS, RESUME_CHOICES
from runbookctl.record.replay import DATA_TYPES
from runbookctl.runbook.schema import BRANCH_KEYS, INPUT_KEYS, SECRET_KEYS, STEP_KEYS, TOP_KEYS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _backticked(path: Path) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(("table", "keys"), [
    ("top-level", TOP_KEYS), ("input", INPUT_KEYS), ("secret", SECRET_KEYS),
    ("step", STEP_KEYS), ("next branch", BRANCH_KEYS),
])
def test_the_format_reference_names_every_key(table: str, keys: dict[str, object]) -> None:
    named = _backticked(DOCS / "runbook-format.md")
    missing = [key for key in keys if key not in named]
    assert not missing, f"docs/runbook-format.md does not document the {table} keys {missing}"


def test_the_record_reference_names_every_event_type() -> None:
    named = _backticked(DOCS / "record.md")
    missing = [kind for kind in DATA_TYPES if kind not in named]
    assert not missing, f"docs/record.md does not document the event types {missing}"


def test_the_record_reference_names_every_field_the_replay_reads() -> None:
    text = (DOCS / "record.md").read_text(encoding="utf-8")
    missing = [f"{kind}.{name}" for kind, fields in DATA_TYPES.items() for name in fields
               if f"`{name}`" not in text]
    assert not missing, f"docs/record.md does not document the event fields {missing}"


def test_the_answers_reference_names_every_field_and_choice() -> None:
    named = _backticked(DOCS / "answers-file.md")
    words = [*ENTRY_KEYS, CAPTURE_FIELD, *RESUME_CHOICES, *CARRY_CHOICES]
    missing = [word for word in words if word not in named]
    assert not missing, f"docs/answers-file.md does not document {missing}"


def _documents() -> list[Path]:
    return [ROOT / "README.md", *[p for p in [ROOT / "ARCHITECTURE.md"] if p.is_file()],
            *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("doc", _documents(), ids=lambda p: p.name)
def test_every_local_link_leads_to_a_file(doc: Path) -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    missing = [link for link in local if not (doc.parent / link).exists()]
    assert not missing, f"{doc.name} links to files that do not exist: {missing}"
