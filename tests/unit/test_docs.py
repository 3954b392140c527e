"""The documentation names what exists: every key of the format, every journal event
type, every answers-file field, and every file a link points at. A key, event or
field added to the code without a word in docs/ fails here, and so does a link left
behind by a rename."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runbookctl.prompts.answers_file import CAPTURE_FIELD, CARRY_CHOICES, ENTRY_KEYS, RESUME_CHOICES
from runbookctl.record.event_data import DATA_TYPES
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


# --- ARCHITECTURE.md names only what exists ------------------------------------

SRC = ROOT / "src" / "runbookctl"
# A backticked path is one of the project's when it starts with one of these folders.
TOP_FOLDERS = ("src", "tests", "docs", "templates", "runbooks", "benchmarks", "schema")


def _architecture_paths() -> list[str]:
    """Backticked names that are project paths: `src/runbookctl/...`, `engine/walk.py`,
    `executors/ssh/`, `record/journal.py:Journal.append`, `pyproject.toml`."""
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    out = []
    for token in _backticked(ROOT / "ARCHITECTURE.md"):
        path = token.split(":", 1)[0]
        if not re.fullmatch(r"[\w./-]+", path):
            continue
        first = path.split("/", 1)[0]
        if ("/" in path and first in (*TOP_FOLDERS, *packages)) or path.endswith(".py"):
            out.append(token)
    return sorted(out)


def _file_of(path: str) -> Path | None:
    for base in (SRC, ROOT):
        if (base / path).exists():
            return base / path
    return None


def _defines(source: Path, name: str) -> bool:
    """Whether `source` defines `name` at its top level (`Class.member` inside a class)."""
    import ast

    def names(body: list[ast.stmt]) -> dict[str, ast.stmt]:
        found: dict[str, ast.stmt] = {}
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found[node.name] = node
            elif isinstance(node, ast.Assign):
                found |= {t.id: node for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found[node.target.id] = node
        return found

    scope = names(ast.parse(source.read_text(encoding="utf-8")).body)
    head, _, member = name.partition(".")
    node = scope.get(head)
    if node is None or not member:
        return node is not None
    return isinstance(node, ast.ClassDef) and member in names(node.body)


def test_architecture_names_paths_that_exist() -> None:
    tokens = _architecture_paths()
    assert len(tokens) > 50  # the code map is written in paths: this test reads them
    missing = [t for t in tokens if _file_of(t.split(":", 1)[0]) is None]
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_architecture_names_symbols_that_exist() -> None:
    symbols = [t for t in _architecture_paths() if ":" in t and t.split(":", 1)[0].endswith(".py")]
    assert len(symbols) > 30
    missing = []
    for token in symbols:
        path, name = token.split(":", 1)
        source = _file_of(path)
        if source is None or not _defines(source, name):
            missing.append(token)
    assert not missing, f"ARCHITECTURE.md names what these modules do not define: {missing}"


def test_every_package_is_in_the_architecture_code_map() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    packages = sorted(str(p.parent.relative_to(SRC)) for p in SRC.rglob("__init__.py") if p.parent != SRC)
    missing = [pkg for pkg in packages if f"`{pkg}/" not in text]
    assert not missing, f"ARCHITECTURE.md's code map does not mention the packages {missing}"
