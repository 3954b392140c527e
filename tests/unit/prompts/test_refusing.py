"""prompts/refusing.py: with nobody to ask, every question stops the run and says
what to write in an answers file."""

from __future__ import annotations

import pytest

from runbookctl.errors import NoAnswerError
from runbookctl.prompts.refusing import RefusingPrompter
from runbookctl.runbook.model import InputSpec

CHOICES = ["retry", "skip", "abort", "goto:db-down", "goto:notify"]
NO = "skip this step"


# --- refusal -------------------------------------------------------------------

NO_TTY = "no terminal to ask (--no-input or stdin is not a terminal)"
HINT = "to an answers file (--answers FILE)"


def refusal(call: object) -> str:
    assert callable(call)
    with pytest.raises(NoAnswerError) as info:
        call()
    assert info.value.exit_code == 2
    return info.value.message


def test_refusing_confirm_message() -> None:
    p = RefusingPrompter()
    assert refusal(lambda: p.confirm("kill", "Terminate 3 queries?", dangerous=False,
                                     no_means=NO)) == (
        f"step 'kill' needs an answer (confirm: \"Terminate 3 queries?\"; no: {NO}): {NO_TTY}. "
        f'Add "kill: yes|no" {HINT}.'
    )
    assert refusal(lambda: p.confirm("kill", "Terminate 3 queries?", dangerous=True,
                                     no_means=NO)) == (
        f"step 'kill' needs an answer (confirm: \"Terminate 3 queries?\"; no: {NO}): {NO_TTY}. "
        f'Add "kill: yes|no" {HINT} (--yes does not answer dangerous steps).'
    )


def test_refusing_ask_message() -> None:
    p = RefusingPrompter()
    spec = InputSpec(name="root_cause")
    assert refusal(lambda: p.ask("root-cause", "What was the root cause?", spec)) == (
        f"step 'root-cause' needs an answer (ask: \"What was the root cause?\"): {NO_TTY}. "
        f'Add "root-cause: <value>" {HINT}.'
    )
    choice = InputSpec(name="env", type="choice", choices=("staging", "production"))
    assert f'Add "env: staging | production" {HINT}.' in refusal(
        lambda: p.ask("env", "Where?", choice)
    )


def test_refusing_manual_message_shows_the_first_line_only() -> None:
    p = RefusingPrompter()
    text = "Check Sentry.\nThe error rate must be under 1%."
    assert refusal(lambda: p.manual("db/sentry", text)) == (
        f"step 'db/sentry' needs an answer (manual: \"Check Sentry.…\"): {NO_TTY}. "
        f'Add "db/sentry: done | skipped | failed" {HINT}.'
    )


def test_refusing_on_failure_message() -> None:
    p = RefusingPrompter("no terminal to ask (--no-input)")
    assert refusal(lambda: p.on_failure("ready", "ready failed: exit 1", CHOICES)) == (
        "step 'ready' needs an answer (step failed: \"ready failed: exit 1\"): "
        "no terminal to ask (--no-input). "
        f'Add "ready: {{on_failure: retry | skip | abort | <step id>}}" {HINT}.'
    )


def test_refusing_secret_message() -> None:
    p = RefusingPrompter()
    assert refusal(lambda: p.secret("PGPASSWORD", "PostgreSQL password")) == (
        f'secret PGPASSWORD needs a value ("PostgreSQL password"): {NO_TTY}. '
        "Set the environment variable PGPASSWORD."
    )
    assert p.interactive is False




def test_refusing_an_interactive_step_says_how_to_skip_it() -> None:
    p = RefusingPrompter()
    assert refusal(lambda: p.hand_over("psql", "psql -h db1")) == (
        f"step 'psql' is interactive (it needs a terminal: \"psql -h db1\"): {NO_TTY}. "
        'Add "psql: {session: skip}" to an answers file (--answers FILE) to skip it, '
        "or run it at a terminal."
    )
