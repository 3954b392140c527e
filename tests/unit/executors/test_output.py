"""executors.output: whatever the chunking, and whichever path a chunk takes
(ASCII fast path or text path), the log, its hash,
the capture, the tail and the display are the same."""

from __future__ import annotations

import hashlib
import itertools
import random
from pathlib import Path

import pytest

from runbookctl.executors import output as output_mod
from runbookctl.executors.base import CommandSpec
from runbookctl.executors.output import Output
from runbookctl.safety.masking import Redactor, sanitize_terminal

SECRET = "hunter2-Sup3r/s3cret+key"
PIECES = [b"plain ascii line\n", SECRET.encode(), b"\x1b[31mred\x1b[0m\n", "caf\u00e9 \u2713\n".encode(),
          b"tab\tseparated\n", b"hunt", b"\xff\xfe broken utf-8\n", b"no newline ", b"\x07bell\n"]


class Sink:
    live = True

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []

    def output(self, host: str, stream: str, text: str) -> None:
        self.shown.append((host, stream, text))


def _spec(path: Path) -> CommandSpec:
    return CommandSpec(step_id="s", command="x", display="x", log_path=path)


def _feed(path: Path, data: bytes, cuts: list[int]) -> tuple[Output, Sink]:
    sink = Sink()
    out = Output(_spec(path), sink, Redactor([SECRET]))
    bounds = [0, *sorted(cuts), len(data)]
    for a, b in itertools.pairwise(bounds):
        out.feed("stdout", data[a:b])
    out.finish()
    return out, sink


def test_any_chunking_gives_the_same_log_hash_capture_and_display(tmp_path: Path) -> None:
    rng = random.Random(7)
    for i in range(60):
        data = b"".join(rng.choice(PIECES) for _ in range(40))
        expected = Redactor([SECRET]).mask(data.decode("utf-8", errors="replace"))
        cuts = [rng.randrange(len(data) + 1) for _ in range(rng.randrange(0, 30))]
        log = tmp_path / f"{i}.log"
        out, sink = _feed(log, data, cuts)
        assert log.read_bytes() == expected.encode(), cuts
        assert out.sha256 == hashlib.sha256(expected.encode()).hexdigest()
        assert out.streams["stdout"].text == expected
        assert out.raw_bytes == len(data)
        assert SECRET not in "".join(t for _, _, t in sink.shown)
        # The display is the masked text with controls made visible (chunk by chunk).
        shown = "".join(t for _, _, t in sink.shown)
        assert shown == sanitize_terminal(expected)
        assert out.tail_lines() == "".join(shown.splitlines(keepends=True)[-20:])


def test_ascii_chunks_take_the_fast_path_and_still_show_escapes_visibly(tmp_path: Path) -> None:
    _, sink = _feed(tmp_path / "a.log", b"ok\n\x1b[2Jcleared?\n", [3])
    assert [t for _, _, t in sink.shown] == ["ok\n", "\u241b[2Jcleared?\n"]
    assert (tmp_path / "a.log").read_bytes() == b"ok\n\x1b[2Jcleared?\n"  # the log keeps the bytes


def test_a_log_that_cannot_be_written_is_reported_and_the_hash_still_covers_everything() -> None:
    data = b"line of output\n" * 10_000
    out, sink = _feed(Path("/dev/full"), data, [1000, 50_000])
    assert out.log_error == "log file not fully written: No space left on device"
    assert out.sha256 == hashlib.sha256(data).hexdigest()
    assert "".join(t for _, _, t in sink.shown) == data.decode()


def test_the_capture_stops_at_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output_mod, "CAPTURE_LIMIT", 1000)
    out, _ = _feed(tmp_path / "c.log", b"x" * 3000, [512, 1500])
    stream = out.streams["stdout"]
    assert stream.text == "x" * 1000 and stream.truncated
    assert (tmp_path / "c.log").stat().st_size == 3000


class Discarding:
    """A sink whose output nobody sees (the UI into /dev/null, or --quiet)."""

    live = False

    def output(self, host: str, stream: str, text: str) -> None:
        raise AssertionError("output prepared for a sink that discards it")


def test_output_nobody_sees_is_still_logged_and_its_tail_kept_visible(tmp_path: Path) -> None:
    data = b"".join(b"line %d\n" % i for i in range(5000)) + b"\x1b[31mlast\x1b[0m " + \
        SECRET.encode() + b"\n"
    out = Output(_spec(tmp_path / "d.log"), Discarding(), Redactor([SECRET]))
    for start in range(0, len(data), 4096):
        out.feed("stdout", data[start : start + 4096])
    out.finish()
    expected = Redactor([SECRET]).mask(data.decode())
    assert (tmp_path / "d.log").read_text() == expected
    assert out.tail_lines().endswith("line 4999\n\u241b[31mlast\u241b[0m ***\n")
    assert len(out.tail_lines().splitlines()) == 20


def test_a_command_that_writes_nothing_leaves_no_log_file(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "0001-quiet.log"
    out, sink = _feed(log, b"", [])
    assert not log.exists() and not log.parent.exists()
    assert out.log_written == "" and out.log_error is None
    assert out.sha256 == hashlib.sha256(b"").hexdigest() and sink.shown == []


def test_the_log_and_its_folder_are_made_at_the_first_byte(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "0001-loud.log"
    out = Output(_spec(log), Sink(), Redactor())
    assert not log.parent.exists()  # nothing yet: a quiet command would leave nothing
    out.feed("stderr", b"ready\n")
    assert log.read_bytes() == b"ready\n" and out.log_written == str(log)
    out.finish()
    assert log.read_bytes() == b"ready\n"


def test_a_log_that_cannot_be_created_is_reported_once_and_the_output_still_kept(
        tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("a file where the folder should be")
    log = tmp_path / "logs" / "0001-s.log"
    out, sink = _feed(log, b"first\nsecond\n", [6])
    assert out.log_error == f"cannot write the log {log}: Not a directory"
    assert out.log_written == ""
    assert out.streams["stdout"].text == "first\nsecond\n"
    assert "".join(t for _, _, t in sink.shown) == "first\nsecond\n"
