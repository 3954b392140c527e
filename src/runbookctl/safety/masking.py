"""Secret masking that survives chunked output, multi-line values and common
encodings; a scanner for token-like strings; terminal-escape neutralising.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from runbookctl.safety.tokens import MASK, TokenStream, gated, may_hold_token, scan_tokens, word_start

# Shorter values would mask innocent text everywhere ("abc", "1"); the caller
# warns about them through `Redactor.ignored`.
MIN_SECRET_LEN = 4
# Up to this many masked forms, chunks are searched for each form before the regex.
PREFILTER_FORMS = 40


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


def _derived_forms(value: str) -> set[str]:
    """The forms of a value a template derived from a secret (`| upper`, a slice):
    runbookctl's own quoting and escaping of it. Not its encodings nor its lines:
    a run can derive hundreds of values, and each form costs on every chunk."""
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1],
             *_shell_forms(value)}
    return {f for f in forms if len(f) >= MIN_SECRET_LEN}


def _forms(value: str) -> set[str]:
    """Every text form of one secret value that is worth masking."""
    forms = {
        value,
        *_b64_cores(value.encode("utf-8")),
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
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


def _trie_regex(words: Iterable[str]) -> str:
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


class Redactor:
    """Masks registered secrets (and their encoded forms) as `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: dict[str, str] = {}  # value -> name
        self._ignored: list[str] = []
        self._forms: dict[str, set[str]] = {}  # value -> its masked forms
        self.found: list[str] = []  # kinds of undeclared tokens masked (take_found)
        self._dirty = False  # values added since the regex was built
        self._lock = threading.Lock()
        self._patterns: list[str] = []
        self._regex: re.Pattern[str] | None = None
        self._by_first: dict[str, tuple[str, ...]] = {}
        self._prefilter: tuple[str, ...] | None = None
        self._prefilter_bytes: tuple[bytes, ...] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str, name: str = "", derived: bool = False) -> None:
        """Register a secret value; values shorter than 4 chars are ignored.

        `derived`: a value a template made from a secret; masked with fewer forms
        (see _derived_forms), and whole: its other lines may be ordinary words.
        """
        if not secret or secret in self._values:
            return
        if len(secret) < MIN_SECRET_LEN:
            self._ignored.append(name or "(unnamed)")
            return
        self._values[secret] = name
        self._forms[secret] = _derived_forms(secret) if derived else _forms(secret)
        # Built when next needed: a render can derive many values in a row.
        self._dirty = True

    @property
    def names(self) -> list[str]:
        """Names of the registered secrets (those given one)."""
        return [name for name in self._values.values() if name]

    @property
    def ignored(self) -> list[str]:
        """Names of secrets too short to be masked (for a warning)."""
        return list(self._ignored)

    @property
    def longest(self) -> int:
        """Length of the longest masked form (0 with no secrets)."""
        self._sync()
        return len(self._patterns[0]) if self._patterns else 0

    def holds_value(self, text: str) -> bool:
        """Whether a registered value itself is in `text` (cheap: no regex build)."""
        return any(value in text for value in self._values)

    def _sync(self) -> None:
        # ssh hosts stream in threads sharing this redactor: none may read a
        # half-built state, so the flag is cleared only once the build is done.
        if self._dirty:
            with self._lock:
                if self._dirty:
                    self._rebuild()
                    self._dirty = False

    def _rebuild(self) -> None:
        forms: set[str] = set().union(*self._forms.values())
        # Longest first: the alternation takes the first alternative that
        # matches at a position, so a secret wins over its own prefix.
        self._patterns = sorted(forms, key=lambda f: (-len(f), f))
        self._regex = re.compile(_trie_regex(self._patterns))
        by_first: dict[str, list[str]] = {}
        for pattern in self._patterns:
            by_first.setdefault(pattern[0], []).append(pattern)
        self._by_first = {k: tuple(v) for k, v in by_first.items()}
        # With few forms, `form in text` (a fast substring search) rules out most
        # chunks before the regex, which tries every position (~180 MB/s).
        few = len(self._patterns) <= PREFILTER_FORMS
        self._prefilter = tuple(self._patterns) if few else None
        self._prefilter_bytes = tuple(p.encode("utf-8") for p in self._patterns) if few else None

    def _absent(self, text: str) -> bool:
        """True when no secret form can be in `text` (checked quickly); False: maybe."""
        forms = self._prefilter
        return forms is not None and not any(form in text for form in forms)

    def mask(self, text: str) -> str:
        """Return `text` with every secret form, and every token-like string
        nobody declared, replaced by `***`."""
        if self._dirty:
            self._sync()
        if self._regex is not None and text and not self._absent(text):
            text = self._regex.sub(MASK, text)
        if not may_hold_token(text):  # most strings: ~20 a step go through here
            return text
        text, kinds = scan_tokens(text)
        self.found += [kind for kind in kinds if kind not in self.found]
        return text

    def take_found(self) -> list[str]:
        """The kinds of undeclared tokens masked since the last call."""
        found, self.found[:] = list(self.found), []
        return found

    def stream(self) -> StreamMasker:
        """A masker for one output stream fed in arbitrary chunks."""
        return StreamMasker(self)

    def _hold_from(self, text: str, start: int) -> int:
        """Index from which `text` must be held back: where its tail could be
        the beginning of a secret that the next chunk completes."""
        first = max(start, len(text) - self.longest + 1)
        for i in range(first, len(text)):
            candidates = self._by_first.get(text[i])
            if candidates is None:
                continue
            tail = text[i:]
            if any(len(p) > len(tail) and p.startswith(tail) for p in candidates):
                return i
        return len(text)

    def _release(self, text: str, final: bool) -> tuple[str, str]:
        """Mask what can be decided now; return (released, held back)."""
        self._sync()
        regex = self._regex
        if regex is None:
            return text, ""
        hold = len(text) if final else self._hold_from(text, 0)
        if self._absent(text):
            return text[:hold], text[hold:]
        out: list[str] = []
        pos = 0
        while True:
            match = regex.search(text, pos)
            if match is None or match.start() >= hold:
                out.append(text[pos:hold])
                return "".join(out), text[hold:]
            out.append(text[pos : match.start()])
            out.append(MASK)
            pos = match.end()
            if pos > hold:
                hold = len(text) if final else self._hold_from(text, pos)


class StreamMasker:
    """Chunk-safe masking: holds back only a tail that could start a secret or
    a token. Declared secrets first, then undeclared token-like strings."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = ""  # held by the secret stage (raw)
        self._tokens = TokenStream(redactor.found)  # holds its own (secrets masked)

    def feed(self, data: str) -> str:
        """Mask a chunk; text that might begin a split secret is kept for later."""
        released, self._pending = self._redactor._release(self._pending + data, final=False)
        return self._tokens.feed(released)

    def feed_ascii(self, data: bytes) -> bytes | None:
        """`feed` for ASCII bytes, without decoding them: the bytes released,
        or None when no quick check rules a secret or a token out (then use `feed`)."""
        redactor, tokens = self._redactor, self._tokens
        redactor._sync()
        held = tokens.pending + self._pending
        if tokens.in_key or not held.isascii():
            return None
        head = held.encode("ascii")
        # Any byte present in head + data is present in one of them: no copy of
        # the chunk just to look (500 MB pass through here).
        if gated(data) or gated(head):
            return None
        if redactor._regex is not None:
            return self._ascii_with_secrets(head + data)
        hold = word_start(data)
        if hold == 0 and head:  # no boundary in a small chunk: its word began earlier
            data, head = head + data, b""
            hold = word_start(data)
        tokens.pending, self._pending = data[hold:].decode("ascii"), ""
        if hold == len(data) and not head:
            return data
        return b"".join((head, memoryview(data)[:hold]))  # one copy, not two

    def _ascii_with_secrets(self, buf: bytes) -> bytes | None:
        redactor = self._redactor
        forms = redactor._prefilter_bytes
        if forms is None or any(form in buf for form in forms):
            return None
        tail = buf[max(0, len(buf) - redactor.longest + 1) :].decode("ascii")
        secret_hold = len(buf) - len(tail) + redactor._hold_from(tail, 0)
        hold = min(secret_hold, word_start(buf))
        self._tokens.pending = buf[hold:secret_hold].decode("ascii")
        self._pending = buf[secret_hold:].decode("ascii")
        return buf[:hold]

    def flush(self) -> str:
        """Mask and release everything held back (end of stream)."""
        released, self._pending = self._redactor._release(self._pending, final=True)
        return self._tokens.feed(released, final=True)


# --- terminal control characters ---------------------------------------------

# C0 controls except \t and \n, DEL, C1 controls (0x9b is a one-byte CSI), and
# bidi overrides that can make text read differently from what it is.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# In a one-line field (--operator, --incident) every control character is refused, \t and
# \n too, and the Unicode line separators: a newline there forged commit trailers.
_LINE_CONTROL_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def first_control(text: str) -> str | None:
    """The first character of `text` that does not belong in one line of text, as U+XXXX."""
    found = _LINE_CONTROL_RE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟ (ESC shows as ␛)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


_CONTROL_CODES = [
    *(c for c in range(0x20) if chr(c) not in "\t\n"),
    *range(0x7F, 0xA0),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_VISIBLE = {code: _visible(chr(code)) for code in _CONTROL_CODES}


# The ASCII ones, one byte string each, for ascii_is_clean (_CONTROL_RE ran at
# ~200 MB/s on command output).
_ASCII_CONTROL_BYTES = tuple(bytes([c]) for c in _CONTROL_CODES if c < 0x80)


def ascii_is_clean(data: bytes) -> bool:
    """Whether ASCII `data` is free of control characters (\\t and \\n aside).
    One memchr per control character: ~0.35 ns a byte, twice as fast as
    `bytes.translate` and six times faster than a regex."""
    return not any(char in data for char in _ASCII_CONTROL_BYTES)


# Below this, one regex search beats a memchr per control character (a line shown).
_SHORT = 256


def sanitize_terminal(text: str) -> str:
    """Make escape sequences and control characters visible and inert:
    `\\x1b[31m` becomes `␛[31m`; `\\n` and `\\t` stay, `\\r\\n` becomes `\\n`."""
    if text.isascii() and len(text) > _SHORT:  # O(1): CPython records it
        if ascii_is_clean(text.encode("ascii")):
            return text
    elif _CONTROL_RE.search(text) is None:
        return text
    return text.replace("\r\n", "\n").translate(_VISIBLE)


# The redactor of the run in progress: the error handler masks messages with it,
# so a secret in an error (a bad secret input, a failed command line) is never shown.
_ACTIVE: list[Redactor] = []


def set_active(redactor: Redactor) -> None:
    _ACTIVE[:] = [redactor]


def active() -> Redactor | None:
    """The current run's redactor (None outside a run)."""
    return _ACTIVE[0] if _ACTIVE else None


def mask_active(text: str) -> str:
    """Mask `text` with the current run's secrets (unchanged outside a run)."""
    return _ACTIVE[0].mask(text) if _ACTIVE else text
