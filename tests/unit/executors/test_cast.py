"""executors/cast.py: the asciinema v2 record of an interactive session, masked in
both directions, and its last screen rendered by a terminal emulator."""

from __future__ import annotations

import io
import json
from pathlib import Path

from runbookctl.executors.cast import CastRecorder, read_cast
from runbookctl.safety.masking import Redactor


def _recorder(tmp_path: Path, secret: str = "hunter2-secret") -> tuple[CastRecorder, io.BytesIO]:
    log = io.BytesIO()
    redactor = Redactor()
    redactor.add(secret)
    return CastRecorder(tmp_path / "s.cast", log, redactor, (40, 5), "psql", "/bin/sh"), log


def test_the_header_and_events_are_asciicast_v2(tmp_path: Path) -> None:
    rec, log = _recorder(tmp_path)
    rec.output(b"db=> ")
    rec.input(b"select 1;\r", echoed=True)
    rec.resize((100, 30))
    rec.close()
    header, events = read_cast(tmp_path / "s.cast")
    assert {k: header[k] for k in ("version", "width", "height", "title")} == {
        "version": 2, "width": 40, "height": 5, "title": "psql"}
    assert isinstance(header["timestamp"], int)
    assert [e[1:] for e in events] == [["o", "db=> "], ["i", "select 1;\r"], ["r", "100x30"]]
    times = [e[0] for e in events]
    assert times == sorted(times) and all(isinstance(t, float) for t in times)
    assert log.getvalue() == b"db=> "


def test_secrets_are_masked_both_ways_even_split_across_reads(tmp_path: Path) -> None:
    rec, log = _recorder(tmp_path)
    rec.output(b"token: hunter2-")
    rec.output(b"secret\r\n")
    rec.input(b"hunter2-sec", echoed=True)
    rec.input(b"ret\r", echoed=True)
    rec.close()
    text = (tmp_path / "s.cast").read_text()
    assert "hunter2" not in text and "hunter2" not in log.getvalue().decode()
    _, events = read_cast(tmp_path / "s.cast")
    assert "".join(e[2] for e in events if e[1] == "o") == "token: ***\r\n"
    assert "".join(e[2] for e in events if e[1] == "i") == "***\r"


def test_keys_typed_while_the_terminal_does_not_echo_are_never_recorded(tmp_path: Path) -> None:
    rec, _ = _recorder(tmp_path)
    rec.output(b"Password: ")
    rec.input(b"typed-password\r", echoed=False)
    rec.input(b"\\q\r", echoed=True)
    rec.close()
    text = (tmp_path / "s.cast").read_text()
    assert "typed-password" not in text
    _, events = read_cast(tmp_path / "s.cast")
    assert [e[2] for e in events if e[1] == "i"] == ["\\q\r"]


def test_the_last_screen_is_what_a_terminal_shows_not_the_bytes(tmp_path: Path) -> None:
    rec, _ = _recorder(tmp_path)
    # a progress line redrawn in place, colours, then a cleared screen and the end
    rec.output(b"10%\r50%\r\x1b[32m100%\x1b[0m\r\n")
    rec.output(b"\x1b[2J\x1b[H")
    rec.output("résumé: done\r\n$ ".encode())
    rec.close()
    assert rec.last_screen() == "résumé: done\n$"
    assert json.loads((tmp_path / "s.cast").read_text().splitlines()[1])[1] == "o"


def test_the_screen_keeps_the_last_lines_when_output_scrolls(tmp_path: Path) -> None:
    rec, _ = _recorder(tmp_path)
    rec.output("".join(f"line {n}\r\n" for n in range(1, 11)).encode())
    rec.close()
    assert rec.last_screen() == "line 7\nline 8\nline 9\nline 10"
