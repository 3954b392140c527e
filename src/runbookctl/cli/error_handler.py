"""The one error handler: errors become messages and exit codes, never tracebacks."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import typer


def guard(fn: Callable[[], int | None]) -> NoReturn:
    """Run a command body under the one error handler, and exit with its code."""
    raise typer.Exit(handle(fn))


def handle(fn: Callable[[], int | None]) -> int:
    """Run a command body; return its exit code."""
    # here, not at the top: `--help` loads this module and needs none of it (~2 ms)
    from runbookctl.errors import ExitCode, RunbookctlError, ValidationError

    try:
        code = fn()
    except ValidationError as exc:
        for problem in exc.problems:
            print(shown(problem.format()), file=sys.stderr)
        errors = sum(1 for p in exc.problems if p.severity == "error")
        print(f"{errors} error(s)", file=sys.stderr)
        return int(exc.exit_code)
    except RunbookctlError as exc:
        print(f"runbookctl: {shown(exc.message)}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("runbookctl: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # `runbookctl schema | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:  # a bug: keep the details, show one line
        from runbookctl.signals import output_gone

        if output_gone(exc):  # closed under a prompt before any run began: nothing lost
            return int(ExitCode.INTERRUPTED)
        log = write_crash_log()
        print(f"runbookctl: internal error: {shown(repr(exc))}\n  crash log: {log}", file=sys.stderr)
        return int(ExitCode.INTERNAL)
    return int(code or 0)


def _masked(text: str) -> str:
    from runbookctl.safety.masking import mask_active

    return mask_active(text)


def shown(text: str) -> str:
    """A message as it may reach the terminal: the run's secrets masked, and escape
    sequences and control characters made visible (a runbook's text is in messages and
    source lines: `\\e]0;…` there must not retitle the window or clear the screen)."""
    from runbookctl.safety.masking import sanitize_terminal

    return sanitize_terminal(_masked(text))


def write_crash_log() -> str:
    """Where the traceback was written: the state dir's crash/, else the temp dir (the state
    dir may be the very thing that failed); else why it could not be written."""
    import tempfile

    from runbookctl.runbook import config as cfg

    text = _masked(traceback.format_exc())
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.log"
    errors = []
    for folder in (cfg.state_dir(cfg.Config()) / "crash", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / (name if folder.name == "crash" else f"runbookctl-crash-{name}")
            path.write_text(text, encoding="utf-8")
            return str(path)
        except OSError as exc:
            errors.append(f"{folder}: {exc.strerror or exc}")
    return f"not written ({'; '.join(errors)})"
