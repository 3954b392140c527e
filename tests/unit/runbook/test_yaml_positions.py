"""YAML parsed with positions: every problem at the line and column it is on."""

from __future__ import annotations

import pytest


def test_a_character_yaml_refuses_is_named_at_its_line_and_column() -> None:
    """PyYAML gives an offset into "<unicode string>"; the user needs the line."""
    from runbookctl.errors import ValidationError
    from runbookctl.runbook.yaml_positions import parse_yaml

    text = "id: x\ntitle: t\nsteps:\n  - {id: a, run: 'true'}  # \x1b]0;x\x07\n"
    with pytest.raises(ValidationError) as bad:
        parse_yaml(text, "rb.yaml")
    [found] = bad.value.problems
    assert found.format().splitlines()[0] == (
        "rb.yaml:4:29: YAML error: the character U+001B is not allowed here (control "
        "characters are not allowed)")
