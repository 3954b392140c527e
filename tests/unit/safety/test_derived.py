"""What a template derives from a secret (filters, methods, slices, quoting) is masked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runbookctl.safety import masking as redact
from runbookctl.safety.quoting import quote_for
from runbookctl.safety.templating import evaluate, render_command, render_text

SECRETS = ['admin:Hu$ky"do`g\\pass-42', "it's-a-'quoted'-secret", "pässwörd-✓-ключ",
           "first-line-abc\nsecond-line", "C:\\new\\table\\end"]

# Each expression derives a value of at least 4 characters from S.
EXPRESSIONS = [
    "S | upper", "S | lower", "S | reverse", "S | title", "S | capitalize", "S[2:]",
    "S[1:-1]", "S[::-1]", "S[::2]", "S | replace('e', 'E')", "S.replace('a', 'b')",
    "S.swapcase()", "S | list | join('-')", "S | list | reverse | join", "S | map('upper') | join",
    "S | urlencode", "S | tojson", "S | center(60)", "S | indent(4, true)", "S | wordwrap(5)",
    "'%s!' | format(S)", "(S ~ 'x') | upper", "S.split(':') | last", "S | trim | upper",
    "S | batch(3) | map('join') | join('|')", "S.encode('utf-8').hex()",
]


@pytest.fixture
def redactor() -> Iterator[redact.Redactor]:
    r = redact.Redactor()
    redact.set_active(r)
    yield r
    redact._ACTIVE.clear()


def _plain(expr: str, secret: str) -> str:
    """The value without any tracking (no active redactor)."""
    saved = list(redact._ACTIVE)
    redact._ACTIVE.clear()
    try:
        return str(evaluate(expr, {"S": secret}))
    finally:
        redact._ACTIVE[:] = saved


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_a_value_derived_from_a_secret_is_masked(redactor: redact.Redactor, expr: str,
                                                 secret: str) -> None:
    redactor.add(secret, "S")
    derived = _plain(expr, secret)
    for context in ('echo X', "echo 'X'", 'echo "X"', "echo `echo X`", 'echo "$(echo X)"'):
        command = render_command(context.replace("X", "{{ " + expr + " }}"), {"S": secret})
        shown = redactor.mask(command)
        assert derived not in shown and secret not in shown, (expr, context, shown)
        for ctx in ("bare", "sq", "dq", "bq"):
            assert quote_for(derived, ctx) not in shown
    shown = redactor.mask(render_text("value: {{ " + expr + " }}.", {"S": secret}))
    assert derived.strip() not in shown, shown


@pytest.mark.parametrize("secret", SECRETS)
def test_every_quoting_of_a_secret_is_masked_without_rendering(secret: str) -> None:
    """A value holding the secret, quoted for any context, shows no trace of it."""
    r = redact.Redactor([secret])
    for ctx in ("bare", "sq", "dq", "bq"):
        for value in (secret, f"pre {secret} post", f"x'{secret}\"y"):
            shown = r.mask(quote_for(value, ctx))
            assert quote_for(secret, ctx).strip("'") not in shown, (ctx, shown)
    assert secret.upper() not in r.mask(f"[{secret.upper()}]")
    assert secret[::-1] not in r.mask(f"[{secret[::-1]}]")
    assert repr(secret)[1:-1] not in r.mask(repr({"h": secret}))


def test_ordinary_values_are_not_registered(redactor: redact.Redactor) -> None:
    redactor.add("s3cr3t-value", "S")
    render_command("echo {{ name | upper }} {{ S | length }} {{ 'summary' | title }}",
                   {"name": "alice", "S": "s3cr3t-value"})
    assert redactor.mask("ALICE Summary 12") == "ALICE Summary 12"


def test_the_other_lines_of_a_derived_value_stay_readable(redactor: redact.Redactor) -> None:
    redactor.add("s3cr3t-value", "S")
    text = render_text("{{ ('Header line\\n' ~ S) | replace('3', 'e') }}", {"S": "s3cr3t-value"})
    assert redactor.mask(text) == "***"
    assert redactor.mask("Header line") == "Header line"


def test_no_tracking_outside_a_run() -> None:
    redact._ACTIVE.clear()
    assert render_command("echo {{ S | upper }}", {"S": "abcd-secret"}) == "echo ABCD-SECRET"


TOKEN = "tok-9f8e7d6c5b4a3210"
LOOPS = [
    "{% for part in S | batch(6) %}{{ part | join }} {% endfor %}",
    "{% for part in S | slice(3) %}{{ part | join }} {% endfor %}",
    "{% for part in S | batch(5) | list %}{{ part | join('') }}.{% endfor %}",
    "{% for part in S | map('upper') | batch(4) %}{{ part | join }}|{% endfor %}",
    "{{ (S | batch(7) | list)[1] | join }}",
    "{% for part in S | batch(6) | map('join') %}{{ part }} {% endfor %}",
]


@pytest.mark.parametrize("template", LOOPS)
def test_the_pieces_a_loop_makes_of_a_secret_are_masked(redactor: redact.Redactor,
                                                        template: str) -> None:
    redactor.add(TOKEN, "S")
    shown = render_text(template, {"S": TOKEN})
    masked = redactor.mask(shown)
    words = [w for w in shown.replace("|", " ").replace(".", " ").split() if len(w) >= 4]
    assert words, shown
    assert not [w for w in words if w in masked], masked


PIN = 73915286
ARITHMETIC = ["P + 1", "1 + P", "P - 7", "P // 1000", "P * 3", "P % 100000", "-P", "P / 2",
              "(P + 1) * 2", "P ** 2", "(P // 100) | string", "'%d' | format(P + 5)"]


@pytest.mark.parametrize("expr", ARITHMETIC)
def test_arithmetic_on_a_secret_number_is_masked(redactor: redact.Redactor, expr: str) -> None:
    redactor.add(str(PIN), "P")
    saved = list(redact._ACTIVE)
    redact._ACTIVE.clear()
    plain = str(evaluate(expr, {"P": PIN}))
    redact._ACTIVE[:] = saved
    shown = redactor.mask(render_command("echo {{ " + expr + " }}", {"P": PIN}))
    assert plain not in shown and shown.startswith("echo "), shown


def test_arithmetic_on_ordinary_numbers_is_not_masked(redactor: redact.Redactor) -> None:
    redactor.add(str(PIN), "P")
    shown = render_command("echo {{ n + 1 }} {{ n * 1000 }}", {"n": 41, "P": PIN})
    assert redactor.mask(shown) == "echo 42 41000"
