"""Live output on a plain stream: whole lines, indented, prefixed by host, in order
with the UI's own lines, whether the stream takes bytes (a file) or only text."""

from __future__ import annotations

import io
import os
from pathlib import Path

from runbookctl.cli.terminal import UI

EXPECTED = (
    "  $ make\n"
    "  first line\n"
    "  [web1:22] remote one\n"
    "  second line, in two pieces\n"
    "  [web1:22] remote two\n"
    "  ✔ done\n"
    "  [web1:22] remote tail\n"
    "  tail without newline\n"
)


def _drive(ui: UI) -> None:
    ui.command("make")
    ui.output("local", "stdout", "first line\nsecond line, ")
    ui.output("web1:22", "stdout", "remote one\nremote")
    ui.output("local", "stdout", "in two pieces\n")
    ui.output("web1:22", "stdout", " two\nremote tail")
    ui.ok("done")
    ui.output("local", "stdout", "tail without newline")
    ui.flush_output()


def test_output_to_a_file_goes_through_the_byte_layer_in_order(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with open(path, "w", encoding="utf-8") as stream:
        _drive(UI(stream))
    assert path.read_text(encoding="utf-8") == EXPECTED


def test_output_to_a_text_only_stream(tmp_path: Path) -> None:
    stream = io.StringIO()
    _drive(UI(stream))
    assert stream.getvalue() == EXPECTED


def test_quiet_shows_no_command_output() -> None:
    stream = io.StringIO()
    ui = UI(stream, quiet=True)
    ui.output("local", "stdout", "hidden\n")
    ui.flush_output()
    assert stream.getvalue() == ""


def test_output_into_dev_null_is_not_prepared(tmp_path: Path) -> None:
    with open(os.devnull, "w") as null, open(tmp_path / "f", "w") as file:
        assert not UI(null).live
        assert UI(file).live
        assert not UI(file, quiet=True).live
    assert UI(io.StringIO()).live


def test_markup_escape_is_exactly_richs() -> None:
    from rich.markup import escape

    from runbookctl.cli.terminal import _esc

    samples = ["plain", "[bold]x[/]", "a\\[red]b", "ends with \\", "ends \\\\", "[#fff] [@click] [/x]",
               "list[0] [A-Z] [not markup", "\\\\[dim]", "x[a]y[b]\\"]
    for text in samples:
        assert _esc(text) == escape(text), text


def test_plain_output_does_not_import_rich() -> None:
    import subprocess
    import sys

    code = ("import sys, io\nfrom runbookctl.cli.terminal import UI\nui = UI(io.StringIO())\n"
            "ui.step('s', 'A [bold] title', 'run'); ui.command('echo [x]'); ui.ok('done')\n"
            "print(sorted(m for m in sys.modules if m.startswith('rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
