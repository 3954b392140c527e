"""Secret masking: whole, chunked, multi-line, encoded; token scan; terminal escapes."""

from __future__ import annotations

import base64
import itertools
import json
import random
from urllib.parse import quote, quote_plus

import pytest

from runbookctl.safety.masking import Redactor, ascii_is_clean, sanitize_terminal
from runbookctl.safety.tokens import scan_tokens

SECRET = "hunter2-Sup3r/s3cret+key"
INNOCENT = (
    "PostgreSQL 15.4 on x86_64: 42 connections, hunter and hunt-er2 are users;\n"
    "SGVsbG8gd29ybGQ= is base64 for Hello world; 100% ok, a+b=c&d=e.\n"
)


def feed_in_chunks(redactor: Redactor, text: str, cuts: list[int]) -> str:
    stream = redactor.stream()
    bounds = [0, *sorted(cuts), len(text)]
    out = [stream.feed(text[a:b]) for a, b in itertools.pairwise(bounds)]
    return "".join(out) + stream.flush()


def test_masks_the_whole_value_everywhere_it_appears() -> None:
    redactor = Redactor([SECRET])
    text = f"password={SECRET} and again:{SECRET}"
    assert redactor.mask(text) == "password=*** and again:***"


def test_innocent_text_is_left_alone() -> None:
    redactor = Redactor([SECRET, "s3cr3t-token-value"])
    assert redactor.mask(INNOCENT) == INNOCENT
    assert feed_in_chunks(redactor, INNOCENT, [7, 30, 31]) == INNOCENT


def test_short_secrets_are_ignored_and_reported_by_name() -> None:
    redactor = Redactor()
    redactor.add("abc", "PIN")
    redactor.add("longer-value", "TOKEN")
    assert redactor.ignored == ["PIN"]
    assert redactor.names == ["TOKEN"]
    assert redactor.mask("abc longer-value") == "abc ***"


def test_a_secret_added_later_is_masked_too() -> None:
    redactor = Redactor()
    assert redactor.mask(SECRET) == SECRET
    redactor.add(SECRET)
    assert redactor.mask(SECRET) == "***"


def test_each_line_of_a_multi_line_secret_is_masked_on_its_own() -> None:
    key = "line-one-AAAA\n    line-two-BBBB\nline-three-CCCC"
    redactor = Redactor([key])
    shown = "first\n  line-two-BBBB\nthen line-one-AAAA and line-three-CCCC\n"
    masked = redactor.mask(shown)
    assert masked == "first\n  ***\nthen *** and ***\n"
    assert redactor.mask(key) == "***"


@pytest.mark.parametrize("lead", range(6))
def test_secret_inside_a_larger_base64_blob_is_masked(lead: int) -> None:
    prefix, suffix = b"x" * lead, b'","other":"value"}'
    blob = base64.b64encode(prefix + SECRET.encode() + suffix).decode()
    masked = Redactor([SECRET]).mask(f"token: {blob}")
    # The characters that encode only the secret's bits must all be gone.
    start = -(-lead * 8 // 6)
    end = (lead + len(SECRET)) * 8 // 6
    assert blob[start:end] not in masked
    assert "***" in masked
    assert masked.startswith("token: " + blob[: max(start - 1, 0)])


def test_urlsafe_base64_is_masked() -> None:
    blob = base64.urlsafe_b64encode(b"{" + SECRET.encode() + b"}").decode()
    assert "***" in Redactor([SECRET]).mask(blob)


@pytest.mark.parametrize(
    "encode",
    [lambda s: quote(s, safe=""), quote, quote_plus, lambda s: json.dumps(s)[1:-1]],
    ids=["quote-nosafe", "quote", "quote_plus", "json"],
)
def test_url_and_json_encoded_forms_are_masked(encode: object) -> None:
    secret = 'p@ss w0rd/+&="x"'
    encoded = encode(secret)  # type: ignore[operator]
    assert encoded != secret
    masked = Redactor([secret]).mask(f"https://api.example/?token={encoded}&x=1")
    assert masked == "https://api.example/?token=***&x=1"


def test_stream_masks_a_secret_split_at_every_possible_point() -> None:
    redactor = Redactor([SECRET])
    text = f"start {SECRET} middle\n{SECRET}{SECRET} end"
    expected = redactor.mask(text)
    assert SECRET not in expected
    for cut in range(len(text) + 1):
        assert feed_in_chunks(redactor, text, [cut]) == expected, cut
    for a in range(0, len(text), 3):
        for b in range(a, len(text), 5):
            assert feed_in_chunks(redactor, text, [a, b]) == expected, (a, b)


def test_stream_random_chunkings_never_leak() -> None:
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\nhkiG9w0BAQEFAASC\n-----END KEY-----"
    redactor = Redactor([SECRET, key, "tok-ABCD1234"])
    lines = ["noise", SECRET, key, "tok-ABCD1234", base64.b64encode(SECRET.encode()).decode()]
    rng = random.Random(1234)
    for _ in range(300):
        text = " ".join(rng.choice(lines) for _ in range(8))
        cuts = [rng.randrange(len(text) + 1) for _ in range(rng.randrange(1, 12))]
        out = feed_in_chunks(redactor, text, cuts)
        assert out == redactor.mask(text)
        for leak in (SECRET, "tok-ABCD1234", "MIIEvQIBADANBgkq", "hkiG9w0BAQEFAASC"):
            assert leak not in out


def feed_mixed(redactor: Redactor, text: str, cuts: list[int]) -> str:
    """Like Output does: ASCII chunks try `feed_ascii` first, the rest use `feed`."""
    stream = redactor.stream()
    bounds = [0, *sorted(cuts), len(text)]
    out = []
    for a, b in itertools.pairwise(bounds):
        chunk = text[a:b]
        fast = stream.feed_ascii(chunk.encode()) if chunk.isascii() else None
        out.append(fast.decode() if fast is not None else stream.feed(chunk))
    return "".join(out) + stream.flush()


def test_the_ascii_fast_path_masks_exactly_like_the_text_path() -> None:
    redactor = Redactor([SECRET, "tok-ABCD1234", "clé-secrète-ü"])
    lines = ["noise line\n", SECRET, "tok-ABCD1234", "hunt", "tok-", "a clé-secrète-ü b",
             base64.b64encode(SECRET.encode()).decode(), quote(SECRET)]
    rng = random.Random(99)
    for _ in range(400):
        text = " ".join(rng.choice(lines) for _ in range(10))
        cuts = [rng.randrange(len(text) + 1) for _ in range(rng.randrange(1, 15))]
        out = feed_mixed(redactor, text, cuts)
        assert out == redactor.mask(text), (text, cuts)
        assert SECRET not in out and "tok-ABCD1234" not in out


def test_the_ascii_fast_path_holds_back_a_split_secret_and_declines_a_whole_one() -> None:
    stream = Redactor([SECRET]).stream()
    assert stream.feed_ascii(b"progress 10%\n") == b"progress 10%\n"
    assert stream.feed_ascii(b"login: hunt") == b"login: "  # "hunt" may begin the secret
    assert stream.feed_ascii(b"er2-Sup3r/s3cret+key done\n") is None  # the text path masks it
    assert stream.feed("er2-Sup3r/s3cret+key done\n") == "*** done\n"
    assert Redactor().stream().feed_ascii(b"abc def\n") == b"abc def\n"


def test_ascii_is_clean_finds_every_control_character() -> None:
    assert ascii_is_clean(b"plain\ttext\n with ~ symbols {}")
    for code in [*range(0x20), 0x7F]:
        if chr(code) not in "\t\n":
            assert not ascii_is_clean(b"ok " + bytes([code]) + b" ok"), code


def test_stream_one_character_at_a_time() -> None:
    redactor = Redactor([SECRET])
    text = f"a{SECRET}b\nhunter2 {SECRET[:-1]}\n"
    stream = redactor.stream()
    out = "".join(stream.feed(ch) for ch in text) + stream.flush()
    assert out == f"a***b\nhunter2 {SECRET[:-1]}\n"


def test_stream_releases_text_promptly() -> None:
    stream = Redactor([SECRET]).stream()
    assert stream.feed("progress 10%\n") == "progress 10%\n"
    # Only the trailing word is held back: it could begin a secret or a token.
    assert stream.feed("no newline yet") == "no newline "
    assert stream.feed(" login: hunt") == "yet login: "
    assert stream.feed("er2-Sup3r/s3cret+key done\n") == "*** done\n"
    assert stream.feed("ends with hunt") == "ends with "
    assert stream.flush() == "hunt"


def test_without_secrets_the_stream_holds_only_the_last_word() -> None:
    stream = Redactor().stream()
    assert stream.feed("abc def") == "abc "
    assert stream.flush() == "def"


def test_longest_form_wins_over_a_prefix() -> None:
    redactor = Redactor(["abcd1234", "abcd1234-extended"])
    assert redactor.mask("x abcd1234-extended y abcd1234") == "x *** y ***"
    assert feed_in_chunks(redactor, "abcd1234-extended", [8]) == "***"


@pytest.mark.parametrize(
    ("text", "kind", "leak"),
    [
        ("key sk_live_51HxAbCdEfGhIjKlMn end", "Stripe key", "51HxAbCdEfGhIjKlMn"),
        ("rk_live_abcdefghij0123456789", "Stripe key", "abcdefghij0123456789"),
        ("STRIPE_WEBHOOK_SECRET=whsec_abcDEF0123456789xyz", "Stripe webhook secret", "abcDEF0123"),
        ("id AKIAIOSFODNN7EXAMPLE in config", "AWS access key", "IOSFODNN7EXAMPLE"),
        ("ghp_" + "a1B2" * 9, "GitHub token", "a1B2a1B2a1B2"),
        ("github_pat_11ABCDEFG0abcdefghijklmn_xyz", "GitHub token", "11ABCDEFG0abcdefghijklmn"),
        ("postgres://app:Pa55word!@db.internal:5432/app", "password in URL", "Pa55word!"),
        ("https://x.example/cb?user=a&password=hunter22&z=1", "password in URL", "hunter22"),
    ],
)
def test_scan_tokens_masks_each_kind(text: str, kind: str, leak: str) -> None:
    masked, kinds = scan_tokens(text)
    assert leak not in masked
    assert "***" in masked
    assert kinds == [kind]


def test_scan_tokens_keeps_the_user_of_a_url() -> None:
    masked, _ = scan_tokens("DATABASE_URL=postgres://app:Pa55@db:5432/x")
    assert masked == "DATABASE_URL=postgres://app:***@db:5432/x"


def test_scan_tokens_masks_private_key_blocks_whole_and_cut() -> None:
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----"
    for text in (f"before\n{block}\nafter", f"tail:\n{block[:60]}", f"{body}{block[-29:]}\nx"):
        masked, kinds = scan_tokens(text)
        assert "MIIEvQIBADANBgkq" not in masked and "BKcwggSjAgEAAoIB" not in masked, text
        assert kinds == ["private key"]
    assert scan_tokens(f"before\n{block}\nafter")[0] == "before\n***\nafter"


def test_scan_tokens_leaves_innocent_text_alone() -> None:
    text = INNOCENT + "see https://example.com/docs?page=2 and git@github.com:org/repo\n"
    assert scan_tokens(text) == (text, [])


def test_sanitize_terminal_makes_escapes_visible() -> None:
    text = "\x1b[31mred\x1b[0m\x1b]0;pwned title\x07\tok\r\nbell\x07 csi\x9b2J bidi\u202eevil\n"
    shown = sanitize_terminal(text)
    assert shown == "␛[31mred␛[0m␛]0;pwned title␇\tok\nbell␇ csi<U+009B>2J bidi<U+202E>evil\n"
    assert not [ch for ch in shown if (ord(ch) < 0x20 and ch not in "\n\t") or ch == "\x7f"]


def test_sanitize_terminal_keeps_plain_text_identical() -> None:
    text = "plain text\twith tabs — and unicode ✓\n"
    assert sanitize_terminal(text) is text


@pytest.mark.parametrize("size", [1, 40, 255, 256, 257, 4000])
def test_sanitize_terminal_treats_short_and_long_ascii_alike(size: int) -> None:
    """Short text takes one regex search, long text a memchr per control character:
    every ASCII control character (\\t and \\n aside) is found by both."""
    for code in [*range(0x20), 0x7F]:
        text = ("x" * size)[: max(size - 1, 0)] + chr(code)
        shown = sanitize_terminal(text)
        if chr(code) in "\t\n":
            assert shown is text
        else:
            assert chr(code) not in shown and shown.startswith("x" * (len(text) - 1)), (size, code)
    assert sanitize_terminal("x" * size) == "x" * size


# --- a secret spread over several lines --------------------------------------

WRAPPED_SECRET = "Correct-Horse-Battery-Staple-2024"


def _wrap(text: str, width: int, sep: str = "\n") -> str:
    return sep.join(text[i : i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize("width", [76, 64, 40, 17, 4])
@pytest.mark.parametrize("lead", range(3))
def test_line_wrapped_base64_of_a_secret_is_masked(width: int, lead: int) -> None:
    """`base64` wraps at 76 columns, `openssl base64` at 64: decoding the output
    must not give the secret back, wherever the lines are cut."""
    raw = b"x" * lead + b'{"user":"app","password":"' + WRAPPED_SECRET.encode() + b'"}'
    blob = _wrap(base64.b64encode(raw).decode(), width)
    redactor = Redactor([WRAPPED_SECRET])
    for masked in (redactor.mask(blob + "\n"), feed_in_chunks(redactor, blob + "\n", [width + 3])):
        assert "***" in masked
        assert not _decodes_to_a_piece_of(masked, WRAPPED_SECRET), masked


def _decodes_to_a_piece_of(masked: str, secret: str) -> bool:
    """Whether what is left of base64 text around `***`, decoded at any
    alignment, holds 4 characters of the secret in a row."""
    pieces = {secret[i : i + 4].encode() for i in range(len(secret) - 3)}
    for part in masked.replace("\n", "").split("***"):
        for skip in range(4):
            text = part[skip:]
            decoded = base64.b64decode(text[: len(text) // 4 * 4])
            if any(piece in decoded for piece in pieces):
                return True
    return False


@pytest.mark.parametrize("width", [1, 3, 5, 8, 13])
@pytest.mark.parametrize("sep", ["\n", "\r\n", "\n    "], ids=["lf", "crlf", "indented"])
def test_a_secret_folded_over_several_lines_is_masked(width: int, sep: str) -> None:
    folded = _wrap(WRAPPED_SECRET, width, sep)
    text = f"password:\n{folded}\ndone\n"
    redactor = Redactor([WRAPPED_SECRET])
    assert redactor.mask(text) == "password:\n***\ndone\n"
    for cut in range(len(text) + 1):
        out = feed_in_chunks(redactor, text, [cut])
        assert feed_mixed(redactor, text, [cut]) == out, cut
        # A read that ends after a first piece of 1 to 3 characters has shown
        # it (a line is not held for less); the rest is masked.
        assert out.endswith("***\ndone\n") and not _shows_a_piece_of(out, WRAPPED_SECRET), (cut, out)


def _shows_a_piece_of(text: str, secret: str) -> bool:
    """Whether 4 characters of `secret` in a row show, line breaks taken out."""
    flat = "".join(line.strip() for line in text.splitlines())
    return any(secret[i : i + 4] in flat for i in range(len(secret) - 3))


def test_folded_secrets_in_random_chunks_never_leak() -> None:
    redactor = Redactor([WRAPPED_SECRET, "tok-9f8e7d6c5b4a3210"])
    rng = random.Random(7)
    pieces = ["noise line", "Cor", "Hor", _wrap(WRAPPED_SECRET, 8), _wrap("tok-9f8e7d6c5b4a3210", 3),
              _wrap(base64.b64encode(WRAPPED_SECRET.encode()).decode(), 10)]
    for _ in range(300):
        text = "\n".join(rng.choice(pieces) for _ in range(6)) + "\n"
        cuts = [rng.randrange(len(text) + 1) for _ in range(rng.randrange(1, 10))]
        out = feed_in_chunks(redactor, text, cuts)
        assert feed_mixed(redactor, text, cuts) == out, (text, cuts)
        assert not _shows_a_piece_of(out, WRAPPED_SECRET), (text, cuts, out)
        assert not _shows_a_piece_of(out, "tok-9f8e7d6c5b4a3210"), (text, cuts, out)


def test_ordinary_lines_are_not_joined_into_a_secret_nor_held() -> None:
    redactor = Redactor([WRAPPED_SECRET])
    text = "Correct\nHorse-Battery\nStaple 2024\nCorrect-Horse-Battery\n-Staple\n"
    assert redactor.mask(text) == text
    assert feed_in_chunks(redactor, text, [8, 20]) == text
    stream = redactor.stream()
    # A line ending in the first character of a form is shown at once...
    assert stream.feed("status: ok, see C\n") == "status: ok, see C\n"
    # ...and still masked if the secret goes on over the next lines.
    assert stream.feed("orrect-Horse-\nBattery-Staple-2024\nnext\n") == "***\nnext\n"
    # A longer beginning waits for the next line.
    assert stream.feed("key: Correct-Hor\n") == "key: "
    assert stream.feed("se-Battery-Staple-2024\n") == "***\n"


URL_SECRET = "p@ss/w0rd!Secret"


@pytest.mark.parametrize("encoded", [
    "p%40ss%2fw0rd%21secret", "p%40ss%2fw0rd%21Secret", "P%40SS%2FW0RD%21SECRET",
    "p%40ss%2Fw0rd!Secret", "p%40ss/w0rd!Secret", "p@ss\\/w0rd!Secret", "p%40ss%2Fw0rd%21Secret",
], ids=["lower", "lower-hex", "upper", "uri-component", "uri", "json-slash", "quote"])
def test_url_and_json_encodings_tools_make_are_masked(encoded: str) -> None:
    redactor = Redactor([URL_SECRET])
    text = f'curl "https://x.example/login?u=app&p={encoded}" -d \'{{"p":"{encoded}"}}\'\n'
    masked = redactor.mask(text)
    assert masked == text.replace(encoded, "***")
    assert feed_in_chunks(redactor, text, [len(text) // 2]) == masked


@pytest.mark.parametrize("width", range(3, 16))
@pytest.mark.parametrize("spaces", [False, True])
def test_a_passphrase_folded_where_its_spaces_fall_at_line_ends_is_masked(
        width: int, spaces: bool) -> None:
    """`fold` ends a line with a space or starts the next with it; the joined text loses
    that space, the passphrase keeps it: every way its spaces may be lost is looked for."""
    import subprocess

    secret = "correct horse battery staple"
    folded = subprocess.run(["fold", "-w", str(width)] + (["-s"] if spaces else []),
                            input=secret + "\n", capture_output=True, text=True, check=True).stdout
    out = Redactor([secret]).mask(f"pass:\n{folded}done\n")
    assert not _shows_a_piece_of(out, secret.replace(" ", "")), (width, out)
    assert not any(word in out for word in ("horse", "battery", "staple")), (width, out)
