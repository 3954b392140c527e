"""The text forms of a secret that masking looks for, and the regex and the
quick pre-check built from them (used by `masking.Redactor`).

A secret is looked for as it is, base64-encoded from any offset, URL-encoded
the ways common tools do it (either case of hex, `encodeURIComponent`'s
unescaped `!'()*`, `+` for spaces), JSON-escaped (also with `\\/` and with
`<>&` as `\\u003c`...), repr-escaped, shell-quoted for any context, upper- and
lower-cased and reversed.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

# Shorter values would mask innocent text everywhere ("abc", "1"); the caller
# warns about them through `Redactor.ignored`.
MIN_SECRET_LEN = 4

# What tools leave unescaped besides letters, digits and `_.-~`: nothing
# (rawurlencode, quote(safe="")), `/` (quote), encodeURIComponent's `!'()*`,
# encodeURI's reserved characters.
_URL_SAFE = ("", "/", "!'()*", "!'()*/", ";,/?:@&=+$!*'()#")
_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")
# Go's json.Marshal (and others) make HTML-safe JSON.
_HTML_SAFE_JSON = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _b64_cores(raw: bytes) -> list[str]:
    """Base64 text that encodes `raw` whatever its offset inside a larger blob.

    The value may start 0, 1 or 2 bytes into a 3-byte group; the edge
    characters that mix in neighbouring bytes are dropped so the core matches
    wherever the value sits.
    """
    cores = []
    for lead in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * lead + raw).decode("ascii")
            start = -(-lead * 8 // 6)  # ceil: chars touched by the lead bytes
            end = (lead + len(raw)) * 8 // 6  # chars made only of value bits
            cores.append(text[start:end])
    return cores


def url_forms(value: str) -> set[str]:
    """`value` percent-encoded as tools do: each safe set, `%20` or `+` for a
    space, `%7E` for `~` (PHP's urlencode), hex in upper or lower case, and the
    whole text lower- or upper-cased (URLs get case-folded on their way)."""
    encoded = set()
    for safe in _URL_SAFE:
        encoded |= {quote(value, safe=safe), quote_plus(value, safe=safe)}
    encoded |= {text.replace("~", "%7E") for text in encoded}
    forms = set(encoded)
    for text in encoded:
        forms |= {_PERCENT_HEX.sub(lambda m: m.group().lower(), text), text.lower(), text.upper()}
    return forms


def json_forms(value: str) -> set[str]:
    """The inside of `value` as a JSON string: ASCII-only or not, with `/` as
    `\\/` (PHP, some Java encoders), with `<>&` as `\\u003c`... (Go)."""
    forms = set()
    for ascii_only in (False, True):
        inside = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        forms |= {inside, inside.replace("/", "\\/"), inside.translate(_HTML_SAFE_JSON),
                  inside.replace("/", "\\/").translate(_HTML_SAFE_JSON)}
    return forms


def derived_forms(value: str) -> set[str]:
    """The forms of a value a template derived from a secret (`| upper`, a slice):
    runbookctl's own quoting and escaping of it. Not its encodings nor its lines:
    a run can derive hundreds of values, and each form costs on every chunk."""
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1],
             *_shell_forms(value)}
    return {f for f in forms if len(f) >= MIN_SECRET_LEN}


def secret_forms(value: str) -> set[str]:
    """Every text form of one secret value that is worth masking."""
    forms = {
        value,
        *_b64_cores(value.encode("utf-8")),
        *url_forms(value),
        *json_forms(value),
        *_shell_forms(value),
        # What a template's filters or loops make of it (`upper`, `lower`, `reverse`).
        value.upper(),
        value.lower(),
        value[::-1],
    }
    lines = value.splitlines()
    if len(lines) > 1:
        # Output often carries a multi-line value re-wrapped or indented, so
        # each line is masked on its own (encoding single lines would add
        # hundreds of forms for a key and slow every output chunk).
        forms.update(lines)
        forms.update(line.strip() for line in lines)
    return {f for f in forms if len(f) >= MIN_SECRET_LEN}


def _shell_forms(value: str) -> set[str]:
    """What runbookctl's quoting makes of a value in every shell context: whole,
    and the inside that shows when the value is part of a longer quoted word;
    and Python's repr (error messages, a multi-host capture)."""
    from runbookctl.safety.quoting import quoted_forms

    quoted = {shlex.quote(value), *quoted_forms(value)}
    inside = {q[1:-1] for q in quoted if len(q) > 1 and q[0] == q[-1] == "'"}
    return quoted | inside | {repr(value)[1:-1]}


def needles(forms: Iterable[str]) -> list[str]:
    """The fewest forms that every form contains one of: when none of these is
    in a text, no form is (`'it'` holds `it`: looking for `it` is enough)."""
    kept: list[str] = []
    for form in sorted(set(forms), key=lambda f: (len(f), f)):
        if not any(needle in form for needle in kept):
            kept.append(form)
    return kept


def trie_regex(words: Iterable[str]) -> str:
    """One regex matching any of `words`, longest first, built as a trie so
    its cost per position does not grow with the number of words (a PEM key
    has hundreds of masked forms)."""
    root: dict[str, dict[str, Any]] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # end of a word
    return _node_regex(root)


def _node_regex(node: dict[str, dict[str, Any]]) -> str:
    branches = []
    for char, child in sorted(node.items()):
        if not char:
            continue
        run = [char]
        # Walk single-child chains iteratively: a long secret is one literal,
        # not thousands of nested calls.
        while len(child) == 1 and "" not in child:
            ((char, child),) = child.items()
            run.append(char)
        rest = _node_regex(child) if set(child) != {""} else ""
        branches.append(re.escape("".join(run)) + rest)
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # A word ending here makes the longer continuations optional (greedy, so
    # the longest form wins).
    return f"(?:{body})?" if "" in node else body
