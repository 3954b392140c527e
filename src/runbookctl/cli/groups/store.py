"""The `store` commands: set up the team's shared run store and ship to it (docs/store.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from runbookctl.cli.error_handler import guard
from runbookctl.cli.invocation import session, ui

store_app = typer.Typer(
    name="store",
    help="The team's shared run store (PostgreSQL, config `store:`): init, sync.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@store_app.command("init")
def init_cmd(
    admin: Annotated[
        str | None,
        typer.Option("--admin", metavar="URL", help="Connect as this PostgreSQL user to create the "
                     "tables (postgresql://ADMIN@HOST:PORT/DB; default: the config's `store:`). "
                     "Its password: $PGPASSWORD or ~/.pgpass.", show_default=False),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option("--role", metavar="NAME", help="The role runbookctl runs as, granted INSERT "
                     "and SELECT only (default: the user of the config's `store:` URL, when "
                     "--admin is another user).", show_default=False),
    ] = None,
) -> None:
    """Create or migrate the store's tables; safe to run twice.

    Applies the schema migrations the store lacks in one transaction, sets up the
    append-only triggers and LISTEN/NOTIFY, and grants the tool's role INSERT and
    SELECT only. Exit 0 done, 1 the store refused or could not be reached, 2 no store.
    """
    from runbookctl.cli.commands.store import init_store

    guard(lambda: init_store(session(), ui(), admin, role))


@store_app.command("sync")
def sync_cmd() -> None:
    """Ship every event of this state folder's runs that is not in the store yet.

    For runs that ended while the store was down, or before their last events
    went; a run being written now is left to its own run. Idempotent: an event
    the store already has is skipped, a different one is an error. Exit 0 all
    shipped, 1 the store was unreachable or refused a run, 2 no store configured.
    """
    from runbookctl.cli.commands.store import sync_store

    guard(lambda: sync_store(session(), ui()))
