"""An interactive session's record: an asciinema v2 `.cast` file, masked, and
its last screen as text. The operator's screen shows the same masked output.

The cast format (docs.asciinema.org, "asciicast v2"): a JSON header line, then
one JSON array a line, `[seconds, "o" | "i" | "r", data]` — output, input,
resize. Output and input each go through their own chunk-safe masker (a
secret split across two reads is still masked); input is recorded only while
the terminal echoes it, so a password typed at a no-echo prompt never is.
The last screen is what a terminal emulator (pyte) shows after replaying the
masked output: the report quotes it, where a raw byte dump would be escape
sequences and redraws.
"""

from __future__ import annotations

import codecs
import json
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from runbookctl.executors.base import Masker, StreamMasker

# The screen kept for the report when the terminal's size is unknown.
DEFAULT_SIZE = (80, 24)


class _Channel:
    """One direction: bytes in, masked text out (held back at a possible secret)."""

    def __init__(self, masker: StreamMasker) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.masker = masker

    def feed(self, data: bytes) -> str:
        return self.masker.feed(self.decoder.decode(data))

    def release(self) -> str:
        """What the masker holds (a split character stays in the decoder)."""
        return self.masker.flush()

    def flush(self) -> str:
        return self.masker.feed(self.decoder.decode(b"", final=True)) + self.masker.flush()


class CastRecorder:
    """Writes the `.cast` file as the session goes (a crash keeps what was seen)
    and the masked output to the step's log; `last_screen()` renders the end."""

    def __init__(self, cast_path: Path, log: IO[bytes], masker: Masker, size: tuple[int, int],
                 title: str, shell: str) -> None:
        import pyte  # only interactive steps pay for the emulator

        self.started = time.monotonic()
        self.size = size
        self.out = _Channel(masker.stream())
        self.typed = _Channel(masker.stream())
        self.typed_shown = False  # whether the last keys typed were shown (so recorded)
        self.log = log
        self.screen = pyte.Screen(*size)
        self.stream = pyte.Stream(self.screen)
        self.bytes = 0
        self.file = cast_path.open("w", encoding="utf-8")
        header = {"version": 2, "width": size[0], "height": size[1],
                  "timestamp": int(time.time()), "title": title,
                  "env": {"SHELL": shell, "TERM": "xterm-256color"}}
        self._line(header)

    def output(self, data: bytes) -> bytes:
        """Record the program's output; the masked bytes are what the screen shows."""
        return self._output(self.out.feed(data))

    def idle(self) -> bytes:
        """The program is quiet: release what was held back at a possible secret
        (a prompt must not wait for more output to be seen)."""
        return self._output(self.out.release())

    def input(self, data: bytes, echoed: bool) -> None:
        """Keys the operator typed; recorded only when the terminal echoes them."""
        text = self.typed.feed(data)
        self.typed_shown = echoed
        if echoed and text:
            self._event("i", text)

    def resize(self, size: tuple[int, int]) -> None:
        self.size = size
        self.screen.resize(lines=size[1], columns=size[0])
        self._event("r", f"{size[0]}x{size[1]}")

    def close(self) -> bytes:
        shown = self._output(self.out.flush())
        held = self.typed.flush()  # the last keys, held at a possible secret
        if held and self.typed_shown:
            self._event("i", held)
        self.file.close()
        return shown

    def last_screen(self) -> str:
        """The final screen as text: trailing blanks and empty lines dropped."""
        lines = [line.rstrip() for line in self.screen.display]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def _output(self, text: str) -> bytes:
        if not text:
            return b""
        self._event("o", text)
        raw = text.encode("utf-8")
        self.log.write(raw)
        self.bytes += len(raw)
        self.stream.feed(text)
        return raw

    def _event(self, kind: str, data: str) -> None:
        self._line([round(time.monotonic() - self.started, 6), kind, data])

    def _line(self, value: object) -> None:
        self.file.write(json.dumps(value, ensure_ascii=False) + "\n")
        self.file.flush()


def read_cast(path: Path) -> tuple[dict[str, object], list[list[object]]]:
    """A cast file's header and events (tests and tools read it back)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    return header, [json.loads(line) for line in lines[1:] if line.strip()]
