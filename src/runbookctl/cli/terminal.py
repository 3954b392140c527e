"""What a run shows on the terminal. The engine talks to a UI object, never to
sys.stdout; rich is imported on first use so start-up stays fast.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from runbookctl.cli.gathered import Gathered, summary_lines
from runbookctl.cli.progress import Progress, RunFacts, attempt_text, clock, jump_text, took
from runbookctl.executors.base import LOCAL, HostResult, Masker
from runbookctl.hostsets import grouped
from runbookctl.signals import CLOSED

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console, RenderableType
    from rich.live import Live


class UI:
    """Rich terminal output; honours NO_COLOR (rich does) and non-tty streams."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self._stream = stream or sys.stdout
        self._console: Console | None = None
        self.quiet = quiet
        self._partial: dict[tuple[str, str], bytes] = {}  # an unfinished line per host/stream
        self.masker: Masker | None = None  # set once a run knows its secrets
        self._styled: bool | None = None
        self._discarded: bool | None = None
        self.progress = Progress()  # the plan is known once the run is (header)
        self._step_shown: tuple[str, tuple[str, ...]] | None = None  # the step's command, once
        self._attempt = ""  # `attempt 2/3`, `poll 4, …`: what the live line says
        self._timed: float | None = None  # when the step's command started (its duration)
        self._ticker: Live | None = None  # the live elapsed time while a command runs
        self._key = ""  # the step running
        self._gathered: Gathered | None = None  # a step on many hosts: shown grouped at its end
        # Once the run's ending is decided (drive): a closed output then only drops what
        # is shown; before, it stops the run as a signal would (BrokenPipeError).
        self.ending = False
        self.closed = False  # the output was closed: nothing more is shown

    def _mask(self, text: str) -> str:
        """Secrets masked and terminal escapes made visible: nothing raw reaches the terminal."""
        from runbookctl.safety.masking import sanitize_terminal

        return sanitize_terminal(self.masker.mask(text) if self.masker is not None else text)

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self._stream, highlight=False, soft_wrap=True)
        return self._console

    @property
    def styled(self) -> bool:
        """Colours and boxes on a terminal; plain lines into a pipe or a file (and faster)."""
        if self._styled is None:
            isatty = getattr(self._stream, "isatty", None)
            self._styled = bool(isatty and isatty())
        return self._styled

    @property
    def live(self) -> bool:
        """Whether command output is shown: not when quiet, nor into /dev/null
        (where preparing 500 MB for display would only cost time)."""
        return not (self.quiet or self.discarded)

    @property
    def discarded(self) -> bool:
        """The output goes to /dev/null: nothing shown there needs preparing."""
        if self._discarded is None:
            self._discarded = _is_devnull(self._stream)
        return self._discarded

    @property
    def animated(self) -> bool:
        """A live redraw (the elapsed time) only on a real terminal that takes colours:
        NO_COLOR, TERM=dumb, a pipe or a file get plain lines and nothing redrawn."""
        return self.styled and "NO_COLOR" not in os.environ and not self.console.is_dumb_terminal

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """An output that is gone (CLOSED) goes to /dev/null from then on, for rich, the
        live line's thread and us alike; the run is told once (BrokenPipeError), unless
        its ending is already being written."""
        try:
            yield
        except OSError as exc:
            if exc.errno not in CLOSED:
                raise
            first = not self.closed
            self.drop_output()
            if first and not self.ending:
                raise BrokenPipeError(errno.EPIPE, "the output was closed") from None

    def drop_output(self) -> None:
        """From now on what is shown goes nowhere: the output was closed."""
        if self.closed:
            return
        self.closed = True
        self._ticker = None  # its thread's next redraw writes to /dev/null
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a file: dropped from now on
            import io

            self._stream = io.StringIO()
            self._console = None
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)

    def _print(self, *parts: Any, **kw: Any) -> None:
        if self.discarded:  # three lines a step, masked and formatted, for nobody
            return
        with self._writing():
            self.hold()  # nothing is drawn over a line, a prompt or a session that follows
            if not self.styled and all(isinstance(p, str) for p in parts):
                text = " ".join(_plain(self._mask(p)) for p in parts)
                self._stream.write(text + "\n")
                self._stream.flush()
                return
            self.console.print(*(self._mask(p) if isinstance(p, str) else p for p in parts), **kw)

    def header(self, facts: RunFacts, plan: Sequence[str]) -> None:
        """Before the first step: what runs, as which run, where its record goes."""
        self.progress = Progress(plan)
        severity = f" [dim]· severity[/] [bold]{_esc(facts.severity)}[/]" if facts.severity else ""
        title = f" — {_esc(facts.title)}" if facts.title and facts.title != facts.runbook else ""
        steps = f" [dim]· {self.progress.total} steps[/]" if self.progress.total else ""
        self._print(f"[bold]Runbook {_esc(facts.runbook)}[/]{title}{severity}{steps}")
        self._print(f"[dim]Run[/] {_esc(facts.run_id)}")
        self._print(f"[dim]Journal:[/] {_esc(facts.journal)}")
        self._print(f"[dim]Reports go to:[/] {_esc(facts.reports)}")

    def step(self, key: str, title: str, action: str) -> None:
        self._step_shown, self._attempt, self._timed = None, "", None
        self._key = key
        place = self.progress.place(key)
        place = f"[bold]{place}[/] " if place else ""
        shown = "" if title in (key, key.rsplit("/", 1)[-1]) else f" [bold]{_esc(title)}[/]"
        self._print(f"\n{place}[bold cyan]▶ {_esc(key)}[/]{shown} [dim]({action})[/]")

    def jump(self, to: str, why: str) -> None:
        """The walk leaves the plan's order: say which rule sent it where."""
        self._print(f"  [magenta]{_esc(jump_text(to, why))}[/]")

    def attempt(self, number: int, attempts: int | None, elapsed: float | None = None,
                within: float | None = None) -> None:
        """Which attempt (retries) or poll (`until`) runs next; the first needs no line."""
        self._attempt = attempt_text(number, attempts, elapsed, within)
        if self._attempt and number > 1:
            self._print(f"  [cyan]↻ {_esc(self._attempt)}[/]")

    def running(self) -> None:
        """A command started: its time counts from the first attempt; on a terminal a
        live line shows it running (stopped before anything else is shown: hold)."""
        if self._timed is None:
            self._timed = self.progress.elapsed()
        if self.animated and self.live and self._ticker is None:
            from rich.live import Live

            self._ticker = Live(_Ticking(self._key, self._attempt, self.progress.elapsed),
                                console=self.console, transient=True, refresh_per_second=4)
            self._ticker.start(refresh=True)  # drawn now, then redrawn by its thread

    def hold(self) -> None:
        """Stop the live line (idempotent): before a prompt, an interactive session,
        or any line, so nothing is drawn over what the person reads or types."""
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.stop()

    def _took(self) -> str:
        """` · 1.2s` after the outcome of a step whose command ran, once."""
        started, self._timed = self._timed, None
        return "" if started is None else f" [dim]· {took(self.progress.elapsed() - started)}[/]"

    def command(self, display: str, hosts: list[str] | None = None) -> None:
        # Many hosts: their output is kept and shown grouped when the command ends.
        self._gathered = Gathered(list(hosts)) if hosts and grouped(len(hosts)) else None
        # Once a step: a confirmation shows it, its run does not repeat it, nor a retry.
        shown_key = (display, tuple(hosts or ()))
        if self._step_shown == shown_key:
            return
        self._step_shown = shown_key
        where = f" [dim]on {_esc(_hosts_text(hosts))}[/]" if hosts else ""
        shown = _esc(display.strip("\n")).replace("\n", "\n    ")  # continuation lines indented
        self._print(f"  [dim]$[/] {shown}{where}")

    def output(self, host: str, stream: str, text: str) -> None:
        """Live command output, line-buffered per host/stream, prefixed for ssh."""
        if not self.live:
            return
        if self._gathered is not None:
            self._gathered.add(host, text)
            return
        # Bytes from here: fewer copies than str for hundreds of MB (and no
        # re-encoding by the text layer). Partial lines wait for their end.
        data = text.encode("utf-8")
        end = data.rfind(b"\n")
        key = (host, stream)
        if end < 0:
            self._partial[key] = self._partial.get(key, b"") + data
            return
        prefix = _line_prefix(host)
        pending = self._partial.pop(key, b"")
        rest = data[end + 1 :]
        if rest:
            self._partial[key] = rest
        # One replace over the whole chunk (the trailing partial line has no
        # newline, so it only gains the prefix after the last one, cut off).
        body = data.replace(b"\n", b"\n" + prefix)
        self._write_bytes(prefix + pending, memoryview(body)[: len(body) - len(prefix) - len(rest)])

    def _write_bytes(self, *parts: bytes | memoryview) -> None:
        with self._writing():
            if self._ticker is not None:  # lines go above the live one, through rich
                text = b"".join(parts).decode("utf-8", errors="replace")
                self.console.out(text, end="", highlight=False)
                return
            self._write_raw(*parts)

    def flush_output(self) -> None:
        gathered, self._gathered = self._gathered, None
        if gathered is not None and self.live:
            self._show_groups(gathered)
        for (host, _stream), rest in list(self._partial.items()):
            if rest:
                self._write_bytes(_line_prefix(host) + rest + b"\n")
        self._partial.clear()

    def _write_raw(self, *parts: bytes | memoryview) -> None:
        buffer = getattr(self._stream, "buffer", None)
        if buffer is None:  # a text-only stream (StringIO)
            self._stream.write(b"".join(parts).decode("utf-8", errors="replace"))
            self._stream.flush()
            return
        self._stream.flush()  # whatever the text layer holds goes first
        for part in parts:
            buffer.write(part)
        buffer.flush()

    def _show_groups(self, gathered: Gathered) -> None:
        """Each distinct output once, under the hosts that printed it."""
        for header, body in gathered.blocks():
            self._print(f"  [bold]── {_esc(header)}[/]")
            self._write_bytes(body)

    def hosts_done(self, results: Sequence[HostResult]) -> None:
        """The summary of a command on many hosts (failures first); a few hosts
        need none: their lines and the step's outcome say it all."""
        if not grouped(len(results)):
            return
        for ok, line in summary_lines(results):
            mark = "[green]✔[/]" if ok else "[red]✘[/]"
            self._print(f"  {mark} {_esc(line)}")

    def ok(self, text: str) -> None:
        self._print(f"  [green]✔[/] {_esc(text)}{self._took()}")

    def fail(self, text: str) -> None:
        self._print(f"  [red]✘[/] {_esc(text)}{self._took()}")

    def skip(self, text: str) -> None:
        self._print(f"  [yellow]↷[/] {_esc(text)}")

    def info(self, text: str) -> None:
        self._print(f"  {_esc(text)}")

    def warn(self, text: str) -> None:
        self._print(f"  [yellow]![/] {_esc(text)}")

    def block(self, title: str, text: str) -> None:
        """A rendered message (status-page text, instructions), shown verbatim."""
        if self.discarded:
            return
        from rich.panel import Panel
        from rich.text import Text

        panel = Panel(Text(self._mask(text)), title=_esc(self._mask(title)), expand=False)
        self._print(panel, soft_wrap=False)  # wrap long instructions inside the box

    def summary(self, status: str, report: str | None, run_id: str, failed: int = 0,
                failed_keys: Sequence[str] = ()) -> None:
        from runbookctl.record.run_state import status_text

        failed = max(failed, len(failed_keys))
        color = {"completed": "yellow" if failed else "green", "interrupted": "yellow"}.get(
            status, "red")
        self._print(f"\n[bold {color}]Run {status_text(status, failed)}[/] [dim]({run_id})[/]")
        if failed_keys:
            self._print(f"Failed steps: [red]{_esc(', '.join(failed_keys))}[/]")
        if self.progress.total:  # a run this process walked (not a stale run's write-up)
            self._print(f"Duration: {took(self.progress.elapsed())}")
        if report:
            self._print(f"Report: {_esc(report)}")


class _Ticking:
    """The live line: what runs and for how long, drawn anew at each refresh."""

    def __init__(self, key: str, attempt: str, elapsed: Any) -> None:
        from rich.spinner import Spinner

        self._since = elapsed()
        self._elapsed = elapsed
        self._what = f"{key} running" if key else "running"
        self._attempt = f" · {attempt}" if attempt else ""
        self._spinner = Spinner("dots", style="cyan")

    def __rich__(self) -> RenderableType:
        from rich.text import Text

        running = clock(self._elapsed() - self._since)
        self._spinner.update(text=Text(f"{self._what} {running}{self._attempt}", style="dim"))
        return self._spinner


_MARKUP = re.compile(r"(?<!\\)\[(?:/|bold|dim|cyan|green|red|yellow|magenta)[a-z ]*\]")


def _is_devnull(stream: TextIO) -> bool:
    try:
        mine, null = os.fstat(stream.fileno()), os.stat(os.devnull)
    except (OSError, AttributeError, ValueError):  # io.UnsupportedOperation is an OSError
        return False
    return stat.S_ISCHR(mine.st_mode) and mine.st_rdev == null.st_rdev


def _hosts_text(hosts: list[str]) -> str:
    """Where a command runs: every host of a few, the folded names of many."""
    if not grouped(len(hosts)):
        return ", ".join(hosts)
    from runbookctl.hostsets import fold

    return f"{fold(hosts)} ({len(hosts)} hosts)"


def _line_prefix(host: str) -> bytes:
    return b"  " if host == LOCAL else f"  [{host}] ".encode()


def _plain(markup: str) -> str:
    """Our own console markup (known tags only) as plain text."""
    return _MARKUP.sub("", markup).replace("\\[", "[")


# rich.markup.escape, restated: importing rich.markup costs ~20 ms a run and
# plain output (a pipe, a file, CI) never needs rich. A test keeps them equal.
_RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def _esc(text: str) -> str:
    """Escape `text` so rich does not read it as markup (exactly as rich.markup.escape)."""
    escaped = _RICH_TAG.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", text)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        return escaped + "\\"
    return escaped
