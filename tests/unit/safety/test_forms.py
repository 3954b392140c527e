"""The forms of a secret: URL and JSON encodings as tools make them; the quick check's needles."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from runbookctl.safety.forms import json_forms, needles, secret_forms, url_forms

SECRET = "p@ss/w0rd!Secret (it's) *~<&>"


@pytest.mark.parametrize("encoded", [
    quote(SECRET, safe=""), quote(SECRET, safe="").lower(), quote(SECRET, safe="").upper(),
    quote(SECRET), quote_plus(SECRET), quote(SECRET, safe="!'()*"),  # encodeURIComponent
    quote(SECRET, safe=";,/?:@&=+$!*'()#"),  # encodeURI
    quote_plus(SECRET, safe="").replace("~", "%7E"),  # PHP urlencode
], ids=["nosafe", "lower", "upper", "quote", "plus", "component", "uri", "php"])
def test_url_encodings_are_forms(encoded: str) -> None:
    assert encoded in url_forms(SECRET) and encoded in secret_forms(SECRET)


def test_lower_case_hex_keeps_the_letters() -> None:
    assert "p%40ss%2fw0rd%21Secret" in url_forms("p@ss/w0rd!Secret")


@pytest.mark.parametrize("encoded", [
    json.dumps(SECRET)[1:-1], json.dumps(SECRET).replace("/", "\\/")[1:-1],
    json.dumps(SECRET)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"),
    json.dumps("é/" + SECRET, ensure_ascii=False).replace("/", "\\/")[1:-1],
])
def test_json_escapings_are_forms(encoded: str) -> None:
    value = "é/" + SECRET if encoded.startswith("é") else SECRET
    assert encoded in json_forms(value)


def test_needles_are_the_forms_no_other_form_is_in() -> None:
    assert sorted(needles(["'abcd'", "abcd", "xabcdx", "efgh", "efgh$"])) == ["abcd", "efgh"]
