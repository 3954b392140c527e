"""Token-like strings nobody declared (private keys, Stripe, AWS, GitHub, Slack
tokens, JWTs, passwords in URLs): found and masked in text (`scan_tokens`) and
in a command's output as it streams (`TokenStream`).

A token never contains whitespace and rarely quotes or brackets, so a stream
holds back only its trailing word (and a private-key marker line, which has
spaces) until the next chunk says where it ends; inside a private-key block
everything is masked until its END line. Output with none of the single bytes
every token contains (`gated`) skips the rules at memchr speed: the 500 MB
benchmark's lines never reach a regex.
"""

from __future__ import annotations

import re

MASK = "***"

_PEM_BEGIN = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_PEM_END = r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_TOKEN_RULES: list[tuple[str, re.Pattern[str]]] = [
    # A block, a block cut off at the end (a tail), a block whose start was cut.
    ("private key", re.compile(rf"{_PEM_BEGIN}.*?(?:{_PEM_END}|\Z)", re.S)),
    ("private key", re.compile(rf"(?m)(?:^[ \t]*[A-Za-z0-9+/=]{{16,}}[ \t]*\r?\n)+{_PEM_END}")),
    ("Stripe key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("Stripe webhook secret", re.compile(r"\bwhsec_[0-9A-Za-z+/=]{10,}")),
    ("AWS access key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b")),
    (
        "AWS secret key",
        re.compile(r"(?i)(?<=aws_secret_access_key)(\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{40}\b"),
    ),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,})")),
    ("Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("password in URL", re.compile(r"(?<=://)([^\s:/@]+:)[^\s/@]+(?=@)")),
    (
        "password in URL",
        re.compile(r"(?i)(?<=[?&;])((?:password|passwd|pwd|secret|token|api_?key)=)[^&\s#\"']+"),
    ),
]


# Text every match of a rule contains (any of them; lowercase for the (?i)
# rules): `in` is far faster than the regex, which runs only when one is there.
# A report of 2,000 steps spent 0.25 s in these regexes, nearly all of it on
# text with no token at all.
_TOKEN_HINTS: dict[str, tuple[str, ...]] = {
    "private key": ("PRIVATE KEY",),
    "Stripe key": ("_live_", "_test_"),
    "Stripe webhook secret": ("whsec_",),
    "AWS access key": ("AKIA", "ASIA", "AGPA", "AIDA", "AROA"),
    "AWS secret key": ("aws_secret_access_key",),
    "GitHub token": ("gh", "github_pat_"),
    "Slack token": ("xox",),
    "JWT": ("eyJ",),
    "password in URL": ("@", "="),
}


def _any_hint() -> re.Pattern[str]:
    ignore_case = {kind for kind, rule in _TOKEN_RULES if rule.flags & re.IGNORECASE}
    alternatives = [f"(?i:{re.escape(hint)})" if kind in ignore_case else re.escape(hint)
                    for kind, hints in _TOKEN_HINTS.items() for hint in hints]
    return re.compile("|".join(alternatives))


# Each rule with its hints and whether it ignores case (a RegexFlag test is an enum
# operation: ~2 µs, 11 a string whose hint is an `@`, as every `user@host` has).
_RULES = [(kind, rule, _TOKEN_HINTS[kind], bool(rule.flags & re.IGNORECASE))
          for kind, rule in _TOKEN_RULES]
# Every hint of every rule in one search: the journal masks each string of every
# event, and a Python loop over the rules cost ~40 µs a string (1 ms a step).
_ANY_HINT = _any_hint()


def may_hold_token(text: str) -> bool:
    """False when no token rule can match `text` (one regex search: most strings)."""
    return _ANY_HINT.search(text) is not None


def scan_tokens(text: str) -> tuple[str, list[str]]:
    """Mask token-like strings (keys, tokens, URL passwords); return the masked
    text and the kinds found, in rule order, without repeats."""
    kinds: list[str] = []
    if _ANY_HINT.search(text) is None:
        return text, kinds
    lower = text.lower()
    for kind, rule, hints, ignore_case in _RULES:
        haystack = lower if ignore_case else text
        if not any(hint in haystack for hint in hints):
            continue
        masked = rule.sub(_token_replacement, text)
        # Text masked before (`token=***`) matches again: that is no new finding.
        if masked != text and kind not in kinds:
            kinds.append(kind)
        text = masked
    return text, kinds


def _token_replacement(match: re.Match[str]) -> str:
    # Keep a `user:` or `password=` prefix so the masked text still reads well.
    if match.re.groups and match.group(1) and match.group(0).startswith(match.group(1)):
        return match.group(1) + MASK
    return MASK


# One byte that every match of some rule contains: `_` (Stripe, GitHub, AWS
# secret), `A` (AWS key ids), `-` (private keys, Slack), `@` and `=` (URL
# passwords), `J` (JWTs). Each is one memchr over a chunk.
GATES = tuple(bytes([b]) for b in b"_A-@=J")
# Held back at most (a run of token characters longer than this is released
# but for its end): bounds the memory and the delay of live output.
HOLD_MAX = 16384
HOLD_KEEP = 4096
_BOUNDARIES = (" ", "\n", "\t", "\r", '"', "'", ",", "(", ")", "{", "}", "[", "]", "<", ">", "|", "`")
_BOUNDARY_BYTES = tuple(c.encode("ascii") for c in _BOUNDARIES)
_PEM_BEGIN_RE = re.compile(_PEM_BEGIN)
_PEM_END_RE = re.compile(_PEM_END)
_PEM_END_MAX = 64  # longest END marker worth waiting for


def gated(data: bytes) -> bool:
    """Whether ASCII `data` could hold a token (False: it certainly cannot)."""
    return any(gate in data for gate in GATES)


def word_start(data: bytes) -> int:
    """Where the trailing run of non-boundary bytes of `data` begins; a run longer
    than HOLD_MAX is held for its last HOLD_KEEP bytes only. Looks at the end
    only: most boundary characters are absent from a chunk, and a search for
    each through all of it would cost more than the rest of the fast path."""
    low = max(0, len(data) - HOLD_MAX)
    start = max(data.rfind(b, low) for b in _BOUNDARY_BYTES) + 1
    return len(data) - HOLD_KEEP if start == 0 and low > 0 else start


def _hold_start(text: str) -> int:
    """Where a token might begin that the next chunk could complete."""
    start = max(text.rfind(c) for c in _BOUNDARIES) + 1
    line = text.rfind("\n") + 1
    # Markers and `aws_secret_access_key = ...` have spaces: hold their line.
    last = text[line:]
    marker = max(last.rfind("-----BEGIN "), last.rfind("-----END "))
    if marker >= 0 and not (_PEM_BEGIN_RE.match(last, marker) or _PEM_END_RE.match(last, marker)):
        # A private-key marker (it has spaces) that is not whole yet: it may go on.
        start = min(start, line + marker)
    found = last.lower().find("aws_secret_access_key")
    if found >= 0:
        start = min(start, line + found)
    return len(text) - HOLD_KEEP if len(text) - start > HOLD_MAX else start


def _last_end(text: str) -> int:
    """Past the last private-key END marker: a block that is whole is scanned whole."""
    last = 0
    for match in _PEM_END_RE.finditer(text):
        last = match.end()
    return last


class TokenStream:
    """Masks token-like strings in text fed in arbitrary chunks; `found` collects
    the kinds seen (for a warning)."""

    def __init__(self, found: list[str]) -> None:
        self.pending = ""
        self.in_key = False  # inside a private-key block whose END has not come
        self.found = found

    def feed(self, text: str, final: bool = False) -> str:
        if not text and not self.pending and not self.in_key:
            return ""  # the end of a quiet command's stream: nothing held, nothing to scan
        buf = self.pending + text
        out: list[str] = []
        pos = 0  # whole blocks before this are left to _scan
        while True:
            if self.in_key:
                end = _PEM_END_RE.search(buf)
                if end is None:  # all masked; keep what could be a cut END marker
                    self.pending = "" if final else buf[-_PEM_END_MAX:]
                    return "".join(out)
                self.in_key, buf, pos = False, buf[end.end() :], 0
            begin = _PEM_BEGIN_RE.search(buf, pos)
            if begin is None:
                break
            end = _PEM_END_RE.search(buf, begin.end())
            if end is not None:
                pos = end.end()
                continue
            out += [self._scan(buf[: begin.start()]), MASK]
            self._saw("private key")
            self.in_key, buf = True, buf[begin.end() :]
        hold = len(buf) if final else max(_hold_start(buf), _last_end(buf))
        self.pending = buf[hold:]
        out.append(self._scan(buf[:hold]))
        return "".join(out)

    def _scan(self, text: str) -> str:
        if not text:
            return text
        masked, kinds = scan_tokens(text)
        for kind in kinds:
            self._saw(kind)
        return masked

    def _saw(self, kind: str) -> None:
        if kind not in self.found:
            self.found.append(kind)
