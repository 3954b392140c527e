"""Templates in the sandbox: text for people, expressions for conditions, commands with
every value quoted for where it lands — and what each says when it cannot."""

from __future__ import annotations

import subprocess

import pytest

from runbookctl.errors import TemplateError, UsageError
from runbookctl.safety import templating
from runbookctl.safety.templating import evaluate, render_command, render_text, truthy


def test_text_renders_values_as_they_are() -> None:
    assert render_text("Restart {{ svc }} ({{ n + 1 }})?", {"svc": "it's $(x)", "n": 1}) == \
        "Restart it's $(x) (2)?"
    assert render_text("no braces at all", {}) == "no braces at all"


def test_an_undefined_name_is_an_error_naming_what_was_rendered() -> None:
    with pytest.raises(TemplateError) as err:
        render_text("Hi {{ who }}", {}, "question")
    assert err.value.message == "cannot render question 'Hi {{ who }}': 'who' is undefined"
    with pytest.raises(TemplateError) as err:
        evaluate("steps.check.nope", {"steps": {"check": {}}}, "until")
    assert err.value.message.startswith("cannot render until 'steps.check.nope': ")


def test_expressions_return_values_not_text() -> None:
    assert evaluate("result.exit_code == 0", {"result": {"exit_code": 0}}) is True
    assert evaluate("items | length", {"items": [1, 2, 3]}) == 3
    assert evaluate("'ready' in out", {"out": "not ready"}) is True


def test_the_sandbox_refuses_unsafe_attribute_access() -> None:
    with pytest.raises(TemplateError):
        evaluate("x.__class__.__mro__", {"x": 1})


@pytest.mark.parametrize(("value", "truth"), [
    ("", False), ("false", False), (" No ", False), ("0", False), ("None", False),
    ("yes", True), ("ok", True), (0, False), (1, True), ([], False), ([0], True), (None, False),
])
def test_truthy_reads_words_of_falsehood_as_false(value: object, truth: bool) -> None:
    assert truthy(value) is truth


def test_command_values_arrive_as_literal_data() -> None:
    nasty = "'; touch pwned #"
    line = render_command("printf '%s\\n' {{ v }} \"{{ v }}\"", {"v": nasty})
    done = subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True, check=True)
    assert done.stdout == f"{nasty}\n{nasty}\n"


def test_a_command_without_values_is_left_alone() -> None:
    assert render_command("echo $HOME", {}) == "echo $HOME"


def test_a_value_that_cannot_be_placed_safely_is_refused_naming_it() -> None:
    with pytest.raises(TemplateError) as err:
        render_command("echo {{ a }}{{ b }} <<{{ tag }}\nx\n{{ tag }}\n", {"a": 1, "b": 2, "tag": "EOF"})
    assert err.value.message.startswith("refusing to run")
    assert "{{ tag }}" in err.value.message


def test_an_error_in_a_command_template_names_the_command() -> None:
    with pytest.raises(TemplateError) as err:
        render_command("echo {{ missing }}", {})
    assert err.value.message == "cannot render command 'echo {{ missing }}': 'missing' is undefined"


def test_now_is_an_utc_timestamp() -> None:
    import re

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", render_text("{{ now() }}", {}))


def _refused(monkeypatch: pytest.MonkeyPatch, module_version: str | None, metadata: str | None,
             said: str) -> None:
    """require_safe_jinja2 refuses, saying `said`, when the imported jinja2 says
    `module_version` (None: it has no __version__) and its package metadata `metadata`
    (None: there is none);
    the real installation passes once both are put back."""
    import importlib.metadata

    import jinja2

    templating.require_safe_jinja2.cache_clear()
    def version(name: str) -> str:
        if metadata is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return metadata

    monkeypatch.setattr(importlib.metadata, "version", version)
    if module_version is None:
        monkeypatch.delattr(jinja2, "__version__")
    else:
        monkeypatch.setattr(jinja2, "__version__", module_version)
    try:
        with pytest.raises(UsageError) as err:
            templating.require_safe_jinja2()
        assert said in err.value.message
    finally:
        templating.require_safe_jinja2.cache_clear()
    monkeypatch.undo()
    templating.require_safe_jinja2()  # the installed one is recent enough


def test_an_old_jinja2_is_refused_before_anything_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch, "3.1.5", "3.1.5",
             "jinja2 3.1.5 is installed; runbookctl needs jinja2 >= 3.1.6")


def test_the_version_of_the_jinja2_that_runs_counts_not_its_metadata(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A distro's old jinja2 imported ahead of the wheel: what runs is what is checked."""
    _refused(monkeypatch, "2.11.3", "3.1.6", "jinja2 2.11.3 is installed")


def test_the_metadata_counts_when_jinja2_has_no_version(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch, None, "3.0.0", "jinja2 3.0.0 is installed")


def test_a_jinja2_of_unknown_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A vendored copy with neither a __version__ nor package metadata."""
    _refused(monkeypatch, None, None, "jinja2 of an unknown version is installed; runbookctl "
             "needs jinja2 >= 3.1.6")
