"""The commands that follow runs as they happen, from elsewhere: serve, watch."""

from __future__ import annotations

from typing import Annotated

import typer

from runbookctl.cli.error_handler import guard
from runbookctl.cli.invocation import session, ui


def serve_cmd(
    host: Annotated[str, typer.Option("--host", metavar="H", help="Address to listen on. Any "
                                      "address other than loopback needs the token for every "
                                      "request.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="P",
                                      help="Port (0: any free port, printed).")] = 8765,
    token: Annotated[
        str | None,
        typer.Option("--token", metavar="T", envvar="RUNBOOKCTL_SERVE_TOKEN",
                     help="The access token (at least 16 characters; from the environment it stays "
                     "out of `ps`). Default: a random one, printed once with a link that logs a "
                     "browser in.", show_default=False),
    ] = None,
) -> None:
    """The war room: a web page per run, live (server-sent events), and a JSON API.

    Pages: / (runs, running first) and /runs/RUN_ID (header, current step, live events and
    output, steps, answers, notes, path, the report once ended). API: GET /api/runs,
    /api/runs/RUN_ID, /api/runs/RUN_ID/events (SSE, resumable with Last-Event-ID). Every
    value is masked as journaled and escaped. See docs/serve.md. Ctrl-C stops it.
    """
    from runbookctl.cli.commands.serve import serve

    guard(lambda: serve(session(), ui(), host, port, token))


def watch_cmd(
    run_id: Annotated[
        str | None,
        typer.Argument(metavar="[RUN_ID]", help="The run (a unique prefix is enough). Default: the "
                       "run running now, else the latest.", show_default=False),
    ] = None,
) -> None:
    """Follow a run live from another terminal, read-only: its steps, commands, output,
    answers and notes as the run's own terminal shows them.

    Ends when the run ends, with the run's exit code (0 completed, 1 failed, aborted or
    completed with failed steps, 130 interrupted); Ctrl-C stops watching (130), never
    the run. Exit 2: no such run, or several running (name one).
    """
    from runbookctl.cli.commands.watch import watch

    guard(lambda: watch(session(), ui(), run_id))
