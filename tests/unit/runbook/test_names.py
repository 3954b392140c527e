"""runbook/names.py: reserved step ids, reserved variable names and template file names.

Before #13.4: the reserved step ids were written three times (loader, the Markdown
importer, `runbookctl new`); the reserved names twice, and the copies differed — the
loader let an input be called `range`, `dict`, `lipsum`, `cycler`, `joiner`,
`namespace`, `loop`, `self` or `super` (each hides a Jinja2 global or block name) while
the importer steered around them; the template lookup took any path (`../x.md`,
`/etc/motd.txt`) although a template name is one word under templates/; the JSON
schema let `id: end` pass. Each rule now has one table here, and each user reads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import UsageError, ValidationError
from runbookctl.importers.playbook import command_template, import_markdown
from runbookctl.importers.scaffold import check_name
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.names import (
    RESERVED_NAMES,
    RESERVED_STEP_IDS,
    TEMPLATE_SUFFIXES,
    is_inside_templates,
    is_template_name,
    template_suffixes_text,
)
from runbookctl.runbook.registry import Registry, find_template
from runbookctl.runbook.schema import ON_FAILURE_WORDS, ON_NO_WORDS, runbook_schema


def _load(steps: str, inputs: str = "") -> None:
    load_runbook_text(f"id: rb\ntitle: T\n{inputs}steps:\n{steps}", "rb.yaml")


def _problems(steps: str, inputs: str = "") -> list[str]:
    try:
        _load(steps, inputs)
    except ValidationError as exc:
        return [f"{p.pos.line}:{p.pos.col} {p.message}" for p in exc.problems]
    return []


# --- reserved step ids -------------------------------------------------------------


def test_the_reserved_ids_are_the_flow_words() -> None:
    """Every word `next:`/`on_no:`/`on_failure:` takes instead of a step id, and no other."""
    assert set(RESERVED_STEP_IDS) == {"end", *ON_NO_WORDS, *ON_FAILURE_WORDS}
    assert RESERVED_STEP_IDS == ("end", "abort", "skip", "continue", "ask")


@pytest.mark.parametrize("word", RESERVED_STEP_IDS)
def test_the_loader_refuses_a_reserved_step_id(word: str) -> None:
    assert _problems(f"  - id: {word}\n    run: 'true'\n") == [
        f"4:9 step id '{word}' is a reserved word (end, abort, skip, continue, ask); choose another"]


@pytest.mark.parametrize("word", RESERVED_STEP_IDS)
def test_new_refuses_a_reserved_name(word: str) -> None:
    with pytest.raises(UsageError, match=f"'{word}' is a reserved word"):
        check_name(f"{word}.yaml")


def test_the_importer_renames_a_step_titled_as_a_reserved_id() -> None:
    (book,) = import_markdown("# Outage\n\n## Steps\n\n### End\n\n```sh\nuptime\n```\n", "p.md")
    assert [s.id for s in book.steps] == ["end-step"]


def test_the_schema_excludes_the_reserved_ids_from_step_ids_only() -> None:
    schema = runbook_schema()
    text = str(schema)
    assert str(list(RESERVED_STEP_IDS)) in text
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    assert not validator.is_valid({"title": "t", "steps": [{"id": "end", "run": "x"}]})
    assert validator.is_valid({"title": "t", "steps": [{"id": "ending", "run": "x"}]})
    assert validator.is_valid({"id": "end", "title": "t", "steps": [{"id": "a", "run": "x"}]})


# --- reserved names ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["range", "dict", "lipsum", "namespace", "loop", "self", "super"])
def test_a_name_the_importer_avoided_is_now_refused_by_the_loader(name: str) -> None:
    """The stricter of the two copies: these were accepted as input names before."""
    assert _problems("  - id: a\n    run: 'true'\n", f"inputs:\n  {name}: x\n") == [
        f"4:3 inputs: {name!r} is a reserved name in templates; choose another"]


@pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
def test_every_reserved_name_is_refused_as_a_capture(name: str) -> None:
    (found,) = _problems(f"  - id: a\n    run: 'true'\n    capture: '{name}'\n")
    assert found.endswith(f"{name!r} is a reserved name in templates; choose another")


def test_the_importer_renames_a_placeholder_that_would_take_a_reserved_name() -> None:
    inputs: dict = {}
    assert command_template("seq <range>", inputs) == "seq {{ range_value }}"
    assert list(inputs) == ["range_value"]


def test_every_name_a_template_knows_is_reserved() -> None:
    assert {"steps", "run", "now", "result", "host", "range", "loop", "true", "None"} <= RESERVED_NAMES


# --- template file names -----------------------------------------------------------


@pytest.mark.parametrize(("text", "named"), [
    ("status.md.j2", True), ("comms/status.md", True), (" notes.txt\n", True),
    ("see notes.txt", False), ("notes.txt.", False), ("", False), ("report.html", False),
    ("comms/update.md.j2", True), (" notes.md ", True), ("summary.txt", True),
    ("Deploy done.md", False), ("deploy.yaml", False), ("plain text", False),
])
def test_a_message_names_a_template_when_it_is_one_word_with_a_template_suffix(
        text: str, named: bool) -> None:
    assert is_template_name(text) is named


@pytest.mark.parametrize(("name", "inside"), [
    ("comms/status.md.j2", True), ("a.md", True),
    ("../secret.md", False), ("comms/../../x.txt", False), ("/etc/motd.txt", False), ("", False),
])
def test_a_template_lookup_stays_inside_templates(name: str, inside: bool) -> None:
    assert is_inside_templates(name) is inside


def test_the_registry_finds_templates_by_name_and_never_outside(tmp_path: Path) -> None:
    (tmp_path / "templates" / "comms").mkdir(parents=True)
    (tmp_path / "templates" / "comms" / "hi.md").write_text("hi")
    (tmp_path / "outside.md").write_text("secret")
    registry = Registry([], [tmp_path / "templates"])
    assert registry.template_source("comms/hi.md") == "hi"
    assert registry.template_source("../outside.md") is None
    assert find_template([tmp_path / "templates"], str(tmp_path / "outside.md")) is None


def test_the_schema_says_the_suffixes_the_code_recognises() -> None:
    assert template_suffixes_text() == ".j2, .md or .txt"
    assert all(suffix in template_suffixes_text() for suffix in TEMPLATE_SUFFIXES)
    message = str(runbook_schema())
    assert f"one word ending {template_suffixes_text()}" in message
