"""Secret masking that survives chunked output, multi-line values and common
encodings; a scanner for token-like strings; terminal-escape neutralising.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from runbookctl.safety.forms import MIN_SECRET_LEN, derived_forms, needles, secret_forms, trie_regex
from runbookctl.safety.lines import SQUEEZED_BYTES, Flat, flat_forms, squeeze
from runbookctl.safety.tokens import MASK, TokenStream, gated, may_hold_token, scan_tokens, word_start

# Up to this many forms none of which holds another, chunks are searched for
# each of them before the regex (which tries every position, ~180 MB/s).
PREFILTER_FORMS = 40
# Past this many forms, finding those few costs more than it saves.
NEEDLE_FORMS = 400


class Redactor:
    """Masks registered secrets (and their encoded forms) as `***`, also where
    line breaks cut them (see `lines`)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: dict[str, str] = {}  # value -> name
        self._ignored: list[str] = []
        self._forms: dict[str, set[str]] = {}  # value -> its masked forms
        self.found: list[str] = []  # kinds of undeclared tokens masked (take_found)
        self._dirty = False  # values added since the regex was built
        self._lock = threading.Lock()
        self._patterns: list[str] = []  # the forms, line breaks out, longest first
        self._regex: re.Pattern[str] | None = None
        self._by_first: dict[str, tuple[str, ...]] = {}
        self._pattern_set: frozenset[str] = frozenset()
        # The quick checks: forms one of which every form holds, and the same
        # squeezed (for text with line breaks); None: too many, use the regex.
        self._prefilter: tuple[str, ...] | None = None
        self._squeezed: tuple[str, ...] = ()
        self._prefilter_bytes: tuple[bytes, ...] = ()
        self._squeezed_bytes: tuple[bytes, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str, name: str = "", derived: bool = False) -> None:
        """Register a secret value; values shorter than 4 chars are ignored.

        `derived`: a value a template made from a secret; masked with fewer forms
        (see forms.derived_forms), and whole: its other lines may be ordinary words.
        """
        if not secret or secret in self._values:
            return
        if len(secret) < MIN_SECRET_LEN:
            self._ignored.append(name or "(unnamed)")
            return
        self._values[secret] = name
        self._forms[secret] = derived_forms(secret) if derived else secret_forms(secret)
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
        forms = flat_forms(set().union(*self._forms.values()), MIN_SECRET_LEN)
        # Longest first: the alternation takes the first alternative that
        # matches at a position, so a secret wins over its own prefix.
        self._patterns = sorted(forms, key=lambda f: (-len(f), f))
        self._regex = re.compile(trie_regex(self._patterns))
        self._pattern_set = frozenset(self._patterns)
        by_first: dict[str, list[str]] = {}
        for pattern in self._patterns:
            by_first.setdefault(pattern[0], []).append(pattern)
        self._by_first = {k: tuple(v) for k, v in by_first.items()}
        # With few forms, `form in text` (a fast substring search) rules out most
        # chunks before the regex, which tries every position (~180 MB/s).
        few = needles(self._patterns) if len(self._patterns) <= NEEDLE_FORMS else None
        if few is None or len(few) > PREFILTER_FORMS:
            self._prefilter = None
            return
        self._prefilter = tuple(few)
        self._squeezed = tuple(needles(squeeze(form) for form in few))
        self._prefilter_bytes = tuple(p.encode("utf-8") for p in self._prefilter)
        self._squeezed_bytes = tuple(p.encode("utf-8") for p in self._squeezed)

    def _absent(self, text: str) -> bool:
        """True when no secret form can be in `text` (checked quickly); False: maybe."""
        if self._prefilter is None:
            return False
        if "\n" in text:  # a form may be cut by line breaks: look without them
            squeezed = squeeze(text)
            return not any(form in squeezed for form in self._squeezed)
        return not any(form in text for form in self._prefilter)

    def mask(self, text: str) -> str:
        """Return `text` with every secret form, and every token-like string
        nobody declared, replaced by `***`."""
        if self._dirty:
            self._sync()
        if self._regex is not None and text and not self._absent(text):
            text = self._sub(self._regex, text)
        if not may_hold_token(text):  # most strings: ~20 a step go through here
            return text
        text, kinds = scan_tokens(text)
        self.found += [kind for kind in kinds if kind not in self.found]
        return text

    @staticmethod
    def _sub(regex: re.Pattern[str], text: str) -> str:
        flat = Flat(text)
        if flat.text is text:
            return regex.sub(MASK, text)
        out, pos = [], 0
        for match in regex.finditer(flat.text):
            out += [text[pos : flat.start(match.start())], MASK]
            pos = flat.end(match.end())
        out.append(text[pos:])
        return "".join(out)

    def take_found(self) -> list[str]:
        """The kinds of undeclared tokens masked since the last call."""
        found, self.found[:] = list(self.found), []
        return found

    def stream(self) -> StreamMasker:
        """A masker for one output stream fed in arbitrary chunks."""
        return StreamMasker(self)

    def _hold_from(self, text: str, start: int, floor: int) -> tuple[int, int]:
        """(hold, soft): from `hold` (not before `floor`), `text` must be held
        back: its tail from `start` on could begin a form the next chunk
        completes, on this line or over the next.

        A line that has ended is not held for a beginning shorter than 4
        characters (most lines end in a character some form starts with):
        that is released, and from `soft` on kept as context so that the form
        is masked where it goes on (`_release`)."""
        longest = self.longest
        lo = max(start, len(text) - 2 * longest - 16)
        while True:  # enough of the end for `longest - 1` characters, line breaks out
            body = text[lo:].rstrip(" \t\r\n")
            flat = Flat(body)
            if len(flat.text) >= longest - 1 or lo == start:
                break
            lo = max(start, lo - 2 * longest - 16)
        ended = len(body) < len(text) - lo
        found = flat.text
        for i in range(max(0, len(found) - longest + 1), len(found)):
            candidates = self._by_first.get(found[i])
            if candidates is None:
                continue
            tail = found[i:]
            longer = [len(p) - len(tail) for p in candidates if len(p) > len(tail) and p.startswith(tail)]
            # A form ending a line is masked now, not held for a longer one that
            # would add less than 4 characters (`secret` and `secret$`).
            if longer and not (ended and tail in self._pattern_set and max(longer) < MIN_SECRET_LEN):
                at = lo + flat.start(i)
                if not ended or len(tail) >= MIN_SECRET_LEN:
                    return max(at, floor), at
                return len(text), at
        return len(text), len(text)

    def _release(self, text: str, final: bool, skip: int = 0) -> tuple[str, str, str]:
        """Mask what can be decided now: (released, held back, context).

        `text[:skip]` was released before (the context): it is looked at only so
        that a form it begins is masked where the form goes on."""
        self._sync()
        regex = self._regex
        if regex is None:
            return text[skip:], "", ""
        end_ = len(text)
        # A form the context begins may go on: look from its start, hold after it.
        hold, soft = (end_, end_) if final else self._hold_from(text, 0, skip)
        if self._absent(text):
            return text[skip:hold], text[hold:], text[soft:hold]
        flat = Flat(text)
        out: list[str] = []
        pos = skip
        for match in regex.finditer(flat.text):
            start, end = flat.start(match.start()), flat.end(match.end())
            if end <= skip:
                continue
            if start >= hold:
                break
            out += [text[pos : max(start, pos)], MASK]
            pos = end
            if pos > hold:
                hold, soft = (end_, end_) if final else self._hold_from(text, pos, pos)
        out.append(text[pos:hold])
        return "".join(out), text[hold:], text[max(soft, pos) : hold]


class StreamMasker:
    """Chunk-safe masking: holds back only a tail that could start a secret or
    a token. Declared secrets first, then undeclared token-like strings."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = ""  # held by the secret stage (raw)
        self._context = ""  # released just before `_pending`, may begin a form (raw)
        self._tokens = TokenStream(redactor.found)  # holds its own (secrets masked)

    def feed(self, data: str) -> str:
        """Mask a chunk; text that might begin a split secret is kept for later."""
        context = self._context
        released, self._pending, self._context = self._redactor._release(
            context + self._pending + data, final=False, skip=len(context))
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
            if self._context and (tokens.pending or not self._context.isascii()):
                return None
            context = self._context.encode("ascii")
            return self._ascii_with_secrets(context + head + data, len(context))
        hold = word_start(data)
        if hold == 0 and head:  # no boundary in a small chunk: its word began earlier
            data, head = head + data, b""
            hold = word_start(data)
        tokens.pending, self._pending = data[hold:].decode("ascii"), ""
        if hold == len(data) and not head:
            return data
        return b"".join((head, memoryview(data)[:hold]))  # one copy, not two

    def _ascii_with_secrets(self, buf: bytes, skip: int) -> bytes | None:
        redactor = self._redactor
        if redactor._prefilter is None:
            return None
        if b"\n" in buf:  # a form may be cut by line breaks: look without them
            squeezed = buf.translate(None, SQUEEZED_BYTES)
            if any(form in squeezed for form in redactor._squeezed_bytes):
                return None
        elif any(form in buf for form in redactor._prefilter_bytes):
            return None
        window = buf[max(0, len(buf) - 4 * redactor.longest - 256) :]
        if len(window) < len(buf) and \
                len(window.translate(None, SQUEEZED_BYTES)) < redactor.longest:
            return None  # mostly line breaks and indentation: the text path decides
        offset = len(buf) - len(window)
        offset_skip = max(0, skip - offset)
        hold, soft = redactor._hold_from(window.decode("ascii"), 0, offset_skip)
        secret_hold = offset + hold
        hold = max(skip, min(secret_hold, word_start(buf)))
        self._tokens.pending = buf[hold:secret_hold].decode("ascii")
        self._pending = buf[secret_hold:].decode("ascii")
        self._context = buf[offset + soft : secret_hold].decode("ascii")
        return buf[skip:hold]

    def flush(self) -> str:
        """Mask and release everything held back (end of stream)."""
        context = self._context
        released, self._pending, self._context = self._redactor._release(
            context + self._pending, final=True, skip=len(context))
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
