"""Where a command's output goes, for local and ssh commands alike: masked,
into the step's log file (hashed), a bounded capture, a tail for the report,
and the live display with escape sequences made visible.

Most output is plain ASCII with no secret and no control character in it.
Such a chunk takes a fast path that never decodes it: a few memchr-speed
scans decide that nothing needs changing, and the bytes go on as they came.
Anything else (UTF-8, a possible secret, a control character, a chunk that
ends in a split character) takes the text path. Both give the same bytes.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from pathlib import Path

from runbookctl.executors.base import (
    CAPTURE_LIMIT,
    LOCAL,
    TAIL_BYTES,
    TAIL_LINES,
    CommandSpec,
    Masker,
    OutputSink,
    StreamMasker,
)
from runbookctl.safety.masking import ascii_is_clean, sanitize_terminal


class _Stream:
    """One pipe: decoding, masking and the in-memory capture."""

    def __init__(self, masker: StreamMasker) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.masker = masker
        self.parts: list[str] = []
        self.kept = 0  # bytes kept in `parts`
        self.truncated = False
        self.clean = True  # the decoder holds no partial character

    def decode(self, data: bytes, final: bool = False) -> str:
        text = self.masker.feed(self.decoder.decode(data, final))
        self.clean = not self.decoder.getstate()[0]
        return text + self.masker.flush() if final else text

    def keep(self, text: str) -> None:
        if self.truncated or not text:
            return
        size = len(text) if text.isascii() else len(text.encode("utf-8"))
        if self.kept + size <= CAPTURE_LIMIT:
            self.parts.append(text)
            self.kept += size
            return
        room = CAPTURE_LIMIT - self.kept
        self.parts.append(text.encode("utf-8")[:room].decode("utf-8", errors="ignore"))
        self.kept = CAPTURE_LIMIT
        self.truncated = True

    @property
    def text(self) -> str:
        return "".join(self.parts)


class LogWriter:
    """The step's log file and the sha256 of what was written to it.

    The file is created at the first byte of output: a command that writes
    nothing has no log (its record says so: `written` is empty). Creating a
    file costs more than anything else a quiet step does here (0.1-0.3 ms of
    ext4 metadata, and the next fsync then commits it too: 500 `true` steps
    ran ~0.4 ms a step faster without it), and an empty file tells nobody
    anything.

    Written as it comes, on the reading thread: with 256 KiB chunks the data
    is still in the cache for the hash and the write. (A writer thread was
    measured slower on 2 cores: 0.85 s against 0.69 s for 500 MB.) A failed
    write closes the log but the hash goes on: it is the hash of the output.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sha = hashlib.sha256()
        self.error: str | None = None
        self._fd: int | None = None
        self._opened = False  # tried once: a log that could not be created stays so
        self._created = False

    @property
    def written(self) -> str:
        """The log's path, or "" when it was never created (no output, or it failed)."""
        return str(self.path) if self._created else ""

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        if not data:
            return
        if not self._opened:
            self._open()
        if self._fd is None:
            return
        try:
            _write_all(self._fd, data)
        except OSError as exc:
            # Keep the command and the live output going; the result says so.
            self.error = f"log file not fully written: {exc.strerror or exc}"
            self.close()

    def _open(self) -> None:
        self._opened = True
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        try:
            try:
                self._fd = os.open(self.path, flags, 0o666)
            except FileNotFoundError:  # a run's first log: the folder is made then
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, flags, 0o666)
            self._created = True
        except OSError as exc:
            self.error = f"cannot write the log {self.path}: {exc.strerror or exc}"

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.close(fd)
        except OSError as exc:
            self.error = f"log file not fully written: {exc.strerror or exc}"

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Output:
    """Where masked text goes: the sink, the log (hashed), the tail, the capture."""

    def __init__(self, spec: CommandSpec, sink: OutputSink, masker: Masker) -> None:
        self.sink = sink
        self.live = sink.live
        self.streams = {name: _Stream(masker.stream()) for name in ("stdout", "stderr")}
        self.raw_bytes = 0
        self.tail = ""
        self.log = LogWriter(spec.log_path)

    @property
    def sha256(self) -> str:
        return self.log.hexdigest()

    @property
    def log_error(self) -> str | None:
        return self.log.error

    @property
    def log_written(self) -> str:
        """The log's path for the record, "" when there was no output (no file)."""
        return self.log.written

    def feed(self, name: str, data: bytes, final: bool = False) -> None:
        self.raw_bytes += len(data)
        stream = self.streams[name]
        if not final and stream.clean and data.isascii():
            released = stream.masker.feed_ascii(data)
            if released is not None:
                self._emit_ascii(name, stream, released)
                return
        text = stream.decode(data, final)
        if not text:
            return
        stream.keep(text)
        self.log.write(text.encode("utf-8"))
        self._keep_tail(text)
        if self.live:
            self.sink.output(LOCAL, name, sanitize_terminal(text))

    def _emit_ascii(self, name: str, stream: _Stream, data: bytes) -> None:
        """The fast path: ASCII bytes with no secret in them, never decoded whole."""
        if not data:
            return
        if not stream.truncated:
            stream.keep(data.decode("ascii"))
        self.log.write(data)
        self._keep_tail(data[-TAIL_BYTES:].decode("ascii"))
        if self.live:  # else nobody sees it: it is not prepared for display
            text = data.decode("ascii")
            self.sink.output(LOCAL, name, text if ascii_is_clean(data) else sanitize_terminal(text))

    def _keep_tail(self, text: str) -> None:
        """The masked end of the output (made safe to show by tail_lines)."""
        # Slice first: a big chunk is not copied whole just to keep its end.
        self.tail = (self.tail + text[-TAIL_BYTES:])[-TAIL_BYTES:]

    def finish(self) -> None:
        for name in self.streams:
            self.feed(name, b"", final=True)
        self.log.close()

    def tail_lines(self) -> str:
        """The last lines, escape sequences made visible (for the journal and report)."""
        return "".join(sanitize_terminal(self.tail).splitlines(keepends=True)[-TAIL_LINES:])
