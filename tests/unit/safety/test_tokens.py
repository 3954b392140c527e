"""Undeclared token-like strings are masked in a stream fed in any chunks, on the
ASCII fast path and the text path alike, exactly as in the whole text."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbookctl.safety.masking import Redactor
from runbookctl.safety.tokens import HOLD_KEEP, HOLD_MAX, scan_tokens

PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
       "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onL\n-----END RSA PRIVATE KEY-----")
TOKENS = [
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "rk_live_51HxAbCdEfGhIjKlMnOp", "whsec_a1b2c3d4e5f6g7h8i9j0",
    "AKIAIOSFODNN7EXAMPLE", "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "xoxb-123456789012-abcdefghijklmnop",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "https://admin:Pa55w0rd-url@db.internal:5432/app", "https://x.io/cb?user=a&token=tok3n-in-url-99",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
]
SECRET = "declared-s3cret-Value"
# What must never come out: each token's secret part.
LEAKS = ["4eC39HqLyjWDarjtT1zdp7dc", "51HxAbCdEfGhIjKlMnOp", "a1b2c3d4e5f6g7h8i9j0",
         "AKIAIOSFODNN7EXAMPLE", "0123456789abcdefghijABCDEFGHIJ012345",
         "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",
         "Pa55w0rd-url", "tok3n-in-url-99", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo", "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onL", SECRET]
WORDS = [*TOKENS, PEM, SECRET, "plain", "words", "ünïcode-✓", "a=b", "x_y", "A-B", "user@host",
         "J", "sk_live_", "-----BEGIN", "PRIVATE KEY-----"]
SEPARATORS = [" ", "\n", ", ", "\t", "\r\n", " | ", '"', "'"]


def _text() -> st.SearchStrategy[str]:
    piece = st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)).map("".join)
    return st.lists(piece, min_size=1, max_size=25).map("".join)


def _stream(redactor: Redactor, data: bytes, cuts: list[int], fast: bool) -> str:
    """Feed `data` cut at `cuts` as Output.feed does: ASCII chunks try the fast path."""
    stream = redactor.stream()
    out: list[str] = []
    edges = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    pending = b""  # a UTF-8 character cut in two waits for its end, as the decoder does
    for start, end in pairwise(edges):
        chunk = pending + data[start:end]
        cut = len(chunk)
        while cut and chunk[cut - 1] >= 0x80 and not _complete(chunk[:cut]):
            cut -= 1
        chunk, pending = chunk[:cut], chunk[cut:]
        released = stream.feed_ascii(chunk) if fast and chunk.isascii() else None
        out.append(released.decode("ascii") if released is not None else stream.feed(chunk.decode()))
    out.append(stream.feed(pending.decode()))
    out.append(stream.flush())
    return "".join(out)


def _complete(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_text(), cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=12),
       fast=st.booleans())
def test_a_stream_cut_anywhere_masks_tokens_as_the_whole_text(text: str, cuts: list[int],
                                                              fast: bool) -> None:
    redactor = Redactor([SECRET])
    streamed = _stream(redactor, text.encode(), cuts, fast)
    # Not equal to masking the whole text: where a declared secret sits inside a
    # token (`token=x"SECRET"aws_…`) the two may mask a different stretch around
    # it. What must hold: nothing token-like and no secret is left.
    assert scan_tokens(streamed)[1] == []
    assert SECRET not in streamed
    for leak in LEAKS:
        assert leak not in streamed


@given(cut=st.integers(min_value=1, max_value=60), token=st.sampled_from(TOKENS))
def test_a_token_cut_in_two_on_the_fast_path_is_masked(cut: int, token: str) -> None:
    line = f"found {token} in the logs\n".encode()
    redactor = Redactor()
    out = _stream(redactor, line, [cut], fast=True)
    assert "***" in out and "found " in out and " in the logs\n" in out
    assert redactor.take_found()  # the kind is reported, for the step's warning


def test_a_long_run_without_boundaries_is_held_only_for_its_end() -> None:
    stream = Redactor().stream()
    released = stream.feed_ascii(b"x" * (HOLD_MAX + 10))
    assert released is not None and len(released) == HOLD_MAX + 10 - HOLD_KEEP


def test_output_without_tokens_passes_the_fast_path_unchanged() -> None:
    stream = Redactor().stream()
    data = b"a line of output with some words 0123456789\n" * 100
    assert stream.feed_ascii(data) == data
    assert stream.flush() == ""
