"""The PostgreSQL side (store/postgres.py): messages that never show a password, a
server that cannot be reached as StoreUnavailable, a conflicting insert refused."""

from __future__ import annotations

import socket
from contextlib import nullcontext
from typing import Any

import pytest

from runbookctl.store.postgres import PgStore, Row, StoreConflict, StoreUnavailable, connect, describe


def test_describe_names_user_host_port_and_database_only() -> None:
    assert describe("postgresql://rb@db.example:6543/runs") == "rb@db.example:6543/runs"
    assert describe("postgresql://db/runs") == "db:5432/runs"


def test_a_closed_port_is_unavailable_not_a_crash() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens once it is closed
    with pytest.raises(StoreUnavailable, match=f"cannot reach the store rb@127.0.0.1:{port}/runs"):
        connect(f"postgresql://rb@127.0.0.1:{port}/runs")


class ClashConn:
    def __init__(self, clash: list[int]) -> None:
        self.clash = clash
        self.params: dict[str, Any] = {}

    def transaction(self) -> Any:
        return nullcontext()

    def execute(self, query: str, params: dict[str, Any]) -> Any:
        self.params = params
        rows = [(seq,) for seq in self.clash]
        return type("Cursor", (), {"fetchall": lambda _self: rows})()


def _row(seq: int) -> Row:
    return Row(seq, "2026-12-01T00:00:00.000Z", "note", None, "tester", f"{seq:064d}", "{}")


def test_insert_sends_one_array_per_column_and_refuses_a_clash() -> None:
    conn = ClashConn([])
    PgStore(conn, "postgresql://rb@db/runs").insert("r1", [_row(1), _row(2)])
    assert conn.params["run_id"] == "r1" and conn.params["seq"] == [1, 2]
    with pytest.raises(StoreConflict, match="other events for run r1 at seq 2"):
        PgStore(ClashConn([2]), "postgresql://rb@db/runs").insert("r1", [_row(1), _row(2)])


def test_psycopg_is_loaded_only_by_a_command_that_uses_the_store() -> None:
    """Start-up is benchmarked: psycopg costs ~120 ms to import."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import runbookctl.cli.app, runbookctl.cli.commands.run, runbookctl.cli.commands.history\n"
            "import runbookctl.cli.commands.stats, runbookctl.cli.commands.verify\n"
            "import runbookctl.cli.commands.store, runbookctl.store.shipper, runbookctl.store.mirror\n"
            "print('psycopg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
