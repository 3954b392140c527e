"""Live output on a plain stream: whole lines, indented, prefixed by host, in order
with the UI's own lines, whether the stream takes bytes (a file) or only text; the
run's view (header, [n/N], attempts, jumps, summary; a live line only on a terminal)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest

from runbookctl.cli.progress import RunFacts
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


class Watched(io.TextIOWrapper):
    """A text stream onto a real file that notes what was written to it."""

    def __init__(self, path: str) -> None:
        super().__init__(open(path, "wb"), encoding="utf-8")  # noqa: SIM115
        self.written: list[str] = []

    def write(self, text: str) -> int:
        self.written.append(text)
        return super().write(text)


def test_lines_into_dev_null_are_not_prepared_nor_written(tmp_path: Path) -> None:
    lines = (lambda ui: ui.step("s1", "one", "run"), lambda ui: ui.command("true"),
             lambda ui: ui.ok("ok"), lambda ui: ui.warn("careful"),
             lambda ui: ui.block("Status page", "text"))
    masked: list[str] = []

    class Masker:
        def mask(self, text: str) -> str:
            masked.append(text)
            return text

    with Watched(os.devnull) as null, Watched(str(tmp_path / "out")) as file:
        for show in lines:
            discarded = UI(null)
            discarded.masker = Masker()  # type: ignore[assignment]
            show(discarded)
            show(UI(file))
        assert null.written == []
        assert masked == []  # not even masked
        assert "".join(file.written).splitlines()[1:4] == [
            "▶ s1 one (run)", "  $ true", "  ✔ ok"]


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


# --- the run's view (#15.5) ------------------------------------------------------------

def _facts() -> RunFacts:
    return RunFacts(runbook="db", title="Database down", severity="P1", run_id="R-1",
                    journal="/state/runs/R-1/journal.jsonl", reports="/reports")


def test_the_view_of_a_run_in_plain_lines() -> None:
    stream = io.StringIO()
    ui = UI(stream)
    ui.header(_facts(), ["check", "child/a", "fix"])
    ui.step("check", "Check it", "run")
    ui.attempt(1, 3)
    ui.command("pg_isready")
    ui.running()
    ui.warn("attempt 1 failed (exit code 2); retrying in 1s (2 left)")
    ui.attempt(2, 3)
    ui.command("pg_isready")  # a retry does not show the command again
    ui.running()
    ui.fail("exit code 2")
    ui.jump("fix", "after failure: exit code 2")
    ui.step("fix", "fix", "run")
    ui.summary("completed", "/reports/r.md", "R-1", failed_keys=["check"])
    lines = [line.split(" · ")[0] if "✘" in line else line
             for line in stream.getvalue().splitlines()]
    assert lines[:4] == ["Runbook db — Database down · severity P1 · 3 steps", "Run R-1",
                         "Journal: /state/runs/R-1/journal.jsonl", "Reports go to: /reports"]
    assert lines[4:] == [
        "", "[1/3] ▶ check Check it (run)",
        "  $ pg_isready",
        "  ! attempt 1 failed (exit code 2); retrying in 1s (2 left)",
        "  ↻ attempt 2/3",
        "  ✘ exit code 2",
        "  → on_failure: fix",
        "", "[3/3] ▶ fix (run)",
        "", "Run completed — 1 step failed (continued) (R-1)",
        "Failed steps: check",
        lines[-2],  # the duration, checked below
        "Report: /reports/r.md"]
    assert re.fullmatch(r"Duration: \d+\.\ds", lines[-2])


def test_an_outcome_says_how_long_the_command_took_once() -> None:
    stream = io.StringIO()
    ui = UI(stream)
    ui.step("a", "a", "run")
    ui.running()
    ui.ok("ok")
    ui.ok("a second line of the step is no outcome of its command")
    out = stream.getvalue().splitlines()
    assert re.fullmatch(r"  ✔ ok · \d+\.\ds", out[-2])
    assert out[-1] == "  ✔ a second line of the step is no outcome of its command"


def test_the_command_is_shown_once_a_step_and_again_in_the_next() -> None:
    stream = io.StringIO()
    ui = UI(stream)
    for key in ("a", "b"):
        ui.step(key, key, "run")
        ui.command("make", ["web1"])  # the confirmation
        ui.command("make", ["web1"])  # the run
    assert stream.getvalue().count("$ make on web1") == 2


class _Tty(io.StringIO):
    """A stream that says it is a terminal: rich draws its live line into it."""

    def isatty(self) -> bool:
        return True


def test_a_live_line_runs_while_a_command_runs_and_stops_before_any_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    stream = _Tty()
    ui = UI(stream)
    ui.step("slow", "slow", "run")
    ui.attempt(2, 3)
    ui.running()
    assert ui.animated and "slow running 0s · attempt 2/3" in stream.getvalue()
    ui.output("local", "stdout", "a line\n")  # above the live line, through rich
    ui.ok("ok")  # the live line is gone before the outcome is written
    tail = stream.getvalue().rsplit("a line", 1)[1]
    assert "✔" in tail and "\x1b[?25h" in tail  # the cursor is back: the live line stopped
    size = len(stream.getvalue())
    ui.hold()  # idempotent
    assert len(stream.getvalue()) == size


def test_no_live_line_with_no_color_or_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream = _Tty()
    ui = UI(stream)
    ui.step("slow", "slow", "run")
    ui.running()
    assert not ui.animated and "running" not in stream.getvalue()
    monkeypatch.delenv("NO_COLOR")
    plain = io.StringIO()
    ui = UI(plain)
    ui.running()
    assert not ui.animated and plain.getvalue() == ""


def test_many_hosts_are_shown_grouped_at_the_end_with_failures_summed_up_first() -> None:
    from runbookctl.executors.base import HostResult

    stream = io.StringIO()
    ui = UI(stream)
    hosts = [f"web{i}" for i in range(1, 9)]
    ui.command("uptime", hosts)
    for host in hosts:
        ui.output(host, "stdout", "disk full\n" if host == "web3" else "up 3 days\n")
    assert stream.getvalue() == "  $ uptime on web[1-8] (8 hosts)\n"  # nothing interleaved live
    ui.flush_output()
    ui.hosts_done([HostResult(h, 1 if h == "web3" else 0, 0.5) for h in hosts])
    assert stream.getvalue() == (
        "  $ uptime on web[1-8] (8 hosts)\n"
        "  ── web[1-2,4-8] (7 hosts)\n"
        "    up 3 days\n"
        "  ── web3 (1 host)\n"
        "    disk full\n"
        "  ✘ 8 hosts: 7 ok, 1 failed\n"
        "  ✘ web3: exit 1 · 0.5s\n"
        "  ✔ exit 0: web[1-2,4-8] (7 hosts) · 0.5s\n"
    )


def test_a_few_hosts_keep_their_live_prefixed_lines() -> None:
    from runbookctl.executors.base import HostResult

    stream = io.StringIO()
    ui = UI(stream)
    ui.command("uptime", ["web1", "web2"])
    ui.output("web1", "stdout", "up\n")
    ui.flush_output()
    ui.hosts_done([HostResult("web1", 0, 0.1), HostResult("web2", 0, 0.1)])
    assert stream.getvalue() == "  $ uptime on web1, web2\n  [web1] up\n"


def test_grouped_output_is_masked_as_live_output_is() -> None:
    from runbookctl.executors.base import HostResult
    from runbookctl.safety.masking import Redactor

    stream = io.StringIO()
    ui = UI(stream)
    ui.masker = Redactor(["hunter2-secret"])
    hosts = [f"db{i}" for i in range(6)]
    ui.command("check", hosts)
    for host in hosts:  # as executors/output.py hands it over: masked already
        ui.output(host, "stdout", "password ********\n")
    ui.flush_output()
    ui.hosts_done([HostResult(h, 1, 0.1, error="bad hunter2-secret") for h in hosts])
    assert "hunter2-secret" not in stream.getvalue()
    assert "db[0-5] (6 hosts)" in stream.getvalue()


def _closed_terminal() -> Any:
    """A stream on a terminal whose other side is gone: writing fails with EIO."""
    import pty

    master, slave = pty.openpty()
    os.close(master)
    return os.fdopen(slave, "w", encoding="utf-8")


def test_a_closed_terminal_stops_the_run_once_then_output_is_dropped() -> None:
    stream = _closed_terminal()
    ui = UI(stream)
    with pytest.raises(BrokenPipeError):
        ui.info("nobody reads this")
    assert ui.closed
    ui.info("nor this")  # /dev/null now: no second stop
    ui.output("web1", "stdout", "a line\n")
    ui.flush_output()
    stream.close()


def test_once_the_ending_is_known_a_closed_output_only_drops_lines() -> None:
    stream = _closed_terminal()
    ui = UI(stream)
    ui.ending = True
    ui.fail("interrupted by SIGHUP; the run can be resumed")  # no exception: the record goes on
    ui.summary("interrupted", "/r/report.md", "run-1")
    assert ui.closed
    stream.close()
