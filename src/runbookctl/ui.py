"""What a run shows on the terminal. The engine talks to a UI object, never to
sys.stdout; rich is imported on first use so start-up stays fast.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

from runbookctl.executors.base import LOCAL, Masker

if TYPE_CHECKING:
    from rich.console import Console


class UI:
    """Rich terminal output; honours NO_COLOR (rich does) and non-tty streams."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self._stream = stream or sys.stdout
        self._console: Console | None = None
        self.quiet = quiet
        self._partial: dict[tuple[str, str], str] = {}
        self.masker: Masker | None = None  # set once a run knows its secrets
        self._styled: bool | None = None

    def _mask(self, text: str) -> str:
        """Secrets masked and terminal escapes made visible: nothing raw reaches the terminal."""
        from runbookctl.redact import sanitize_terminal

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

    def _print(self, *parts: Any, **kw: Any) -> None:
        if not self.styled and all(isinstance(p, str) for p in parts):
            text = " ".join(_plain(self._mask(p)) for p in parts)
            self._stream.write(text + "\n")
            self._stream.flush()
            return
        self.console.print(*(self._mask(p) if isinstance(p, str) else p for p in parts), **kw)

    def step(self, key: str, title: str, action: str) -> None:
        shown = "" if title in (key, key.rsplit("/", 1)[-1]) else f" [bold]{_esc(title)}[/]"
        self._print(f"\n[bold cyan]▶ {_esc(key)}[/]{shown} [dim]({action})[/]")

    def command(self, display: str, hosts: list[str] | None = None) -> None:
        where = f" [dim]on {', '.join(hosts)}[/]" if hosts else ""
        shown = _esc(display.strip("\n")).replace("\n", "\n    ")  # continuation lines indented
        self._print(f"  [dim]$[/] {shown}{where}")

    def output(self, host: str, stream: str, text: str) -> None:
        """Live command output, line-buffered per host/stream, prefixed for ssh."""
        if self.quiet:
            return
        buf = self._partial.get((host, stream), "") + text
        head, sep, rest = buf.rpartition("\n")
        self._partial[(host, stream)] = rest
        if not sep:
            return
        prefix = "  " if host == LOCAL else f"  [{host}] "
        # one write per chunk, not per line: a command may print hundreds of MB
        self._stream.write(prefix + head.replace("\n", "\n" + prefix) + "\n")
        self._stream.flush()

    def flush_output(self) -> None:
        for (host, _stream), rest in list(self._partial.items()):
            if rest:
                prefix = "" if host == LOCAL else f"[{host}] "
                self._stream.write(f"  {prefix}{rest}\n")
        self._partial.clear()
        self._stream.flush()

    def ok(self, text: str) -> None:
        self._print(f"  [green]✔[/] {_esc(text)}")

    def fail(self, text: str) -> None:
        self._print(f"  [red]✘[/] {_esc(text)}")

    def skip(self, text: str) -> None:
        self._print(f"  [yellow]↷[/] {_esc(text)}")

    def info(self, text: str) -> None:
        self._print(f"  {_esc(text)}")

    def warn(self, text: str) -> None:
        self._print(f"  [yellow]![/] {_esc(text)}")

    def block(self, title: str, text: str) -> None:
        """A rendered message (status-page text, instructions), shown verbatim."""
        from rich.panel import Panel
        from rich.text import Text

        panel = Panel(Text(self._mask(text)), title=_esc(self._mask(title)), expand=False)
        self._print(panel, soft_wrap=False)  # wrap long instructions inside the box

    def summary(self, status: str, report: str | None, run_id: str) -> None:
        color = {"completed": "green", "interrupted": "yellow"}.get(status, "red")
        self._print(f"\n[bold {color}]Run {status}[/] [dim]({run_id})[/]")
        if report:
            self._print(f"Report: {_esc(report)}")


_MARKUP = re.compile(r"(?<!\\)\[(?:/|bold|dim|cyan|green|red|yellow)[a-z ]*\]")


def _plain(markup: str) -> str:
    """Our own console markup (known tags only) as plain text."""
    return _MARKUP.sub("", markup).replace("\\[", "[")


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)
