"""The vocabulary of shell contexts (safety/shell_contexts.py): which shells read $'…',
the sentinel a value stands as while its command is scanned, and a refusal's fields."""

from __future__ import annotations

import pytest

from runbookctl.safety.shell_contexts import SENTINEL, SENTINEL_RE, Refusal, dialect_of


@pytest.mark.parametrize(("shell", "dialect"), [
    ("/bin/bash", "bash"), ("bash", "bash"), ("/usr/bin/zsh", "bash"), ("/bin/mksh", "bash"),
    ("/bin/sh", "sh"), ("/bin/dash", "sh"), ("/usr/local/bin/fish", "sh"),
])
def test_only_shells_that_read_ansi_c_quotes_are_bash_dialect(shell: str, dialect: str) -> None:
    assert dialect_of(shell) == dialect


def test_a_sentinel_is_found_again_with_its_index() -> None:
    text = f"echo {SENTINEL.format(12)}x{SENTINEL.format(3)}"
    assert [int(m.group(1)) for m in SENTINEL_RE.finditer(text)] == [12, 3]
    assert "\x00" in SENTINEL  # a NUL never occurs in a rendered command's own text


def test_a_refusal_names_the_value_and_why() -> None:
    refusal = Refusal(2, "a comment: the shell never reads it")
    assert (refusal.index, refusal.reason, str(refusal)) == \
        (2, "a comment: the shell never reads it", "a comment: the shell never reads it")
