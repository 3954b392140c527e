"""The one place that talks to PostgreSQL (psycopg 3, imported on first connect).

`connect` opens a `PgStore`: inserting a run's journal lines (idempotent by run id
and seq, a conflicting hash refused), and the reads the CLI needs. libpq finds the
password itself: `$PGPASSWORD`, else `~/.pgpass` (the config holds none).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from runbookctl.errors import RunbookctlError

CONNECT_TIMEOUT = 3  # seconds: a store that does not answer by then counts as down
APP_NAME = "runbookctl"


class StoreUnavailable(RunbookctlError):
    """The store cannot be reached or used now (down, refused, not initialised): the
    local journal keeps everything and `runbookctl store sync` ships it later."""


class StoreConflict(RunbookctlError):
    """The store holds a different event under a run id and seq than the local journal:
    one of the two was altered. Never papered over."""


@dataclass(frozen=True)
class Row:
    """One journal line as the store keeps it."""

    seq: int
    ts: str
    type: str
    step: str | None
    actor: str
    hash: str
    line: str


def describe(url: str) -> str:
    """The store as shown in messages and cursors: user@host:port/db, never a password."""
    u = urlsplit(url)
    where = f"{u.hostname or 'localhost'}:{u.port or 5432}{u.path}"
    return f"{u.username}@{where}" if u.username else where


_INSERT = """
WITH incoming AS (
    SELECT * FROM unnest(%(seq)b::bigint[], %(ts)b::text[], %(type)b::text[], %(step)b::text[],
                         %(actor)b::text[], %(hash)b::text[], %(line)b::text[])
        AS t(seq, ts, type, step, actor, hash, line)
), added AS (
    INSERT INTO events (run_id, seq, ts, type, step, actor, hash, line)
    SELECT %(run_id)s, seq, ts, type, step, actor, hash, line FROM incoming ORDER BY seq
    ON CONFLICT (run_id, seq) DO NOTHING
    RETURNING seq
)
SELECT i.seq FROM incoming i JOIN events e ON e.run_id = %(run_id)s AND e.seq = i.seq
WHERE e.hash <> i.hash ORDER BY i.seq
"""  # the last SELECT sees the rows from before this statement: those already there.
# The arrays go in binary (%b): as text, psycopg escapes every quote of every JSON line
# with a regular expression, which was most of the shipper's CPU (~0.4 ms an event).


class PgStore:
    """An open connection to the store."""

    def __init__(self, conn: Any, url: str) -> None:
        self.conn = conn
        self.name = describe(url)
        self._listening = False

    def insert(self, run_id: str, rows: list[Row]) -> None:
        """Add a run's events in one transaction; those already there are skipped when
        identical, and a different one there is a StoreConflict (nothing is added)."""
        params = {"run_id": run_id, **{f: [getattr(r, f) for r in rows]
                                       for f in ("seq", "ts", "type", "step", "actor", "hash", "line")}}
        with self._guard(), self.conn.transaction():
            clash = [seq for (seq,) in self.conn.execute(_INSERT, params).fetchall()]
            if clash:
                raise StoreConflict(
                    f"the store {self.name} holds other events for run {run_id} at seq "
                    f"{', '.join(map(str, clash[:5]))} than the local journal: one of them was "
                    "altered (runbookctl verify RUN_ID --store compares them)")

    def run_heads(self) -> dict[str, int]:
        """Every run in the store and its last seq."""
        with self._guard():
            rows = self.conn.execute("SELECT run_id, max(seq) FROM events GROUP BY run_id").fetchall()
        return {run_id: int(seq) for run_id, seq in rows}

    def lines(self, wanted: dict[str, int]) -> dict[str, list[str]]:
        """The lines of each run after the seq given for it, in order."""
        if not wanted:
            return {}
        with self._guard():
            rows = self.conn.execute(
                "SELECT e.run_id, e.line FROM events e JOIN unnest(%s::text[], %s::bigint[]) "
                "AS w(run_id, after) ON e.run_id = w.run_id AND e.seq > w.after "
                "ORDER BY e.run_id, e.seq", (list(wanted), list(wanted.values()))).fetchall()
        out: dict[str, list[str]] = {run_id: [] for run_id in wanted}
        for run_id, line in rows:
            out[run_id].append(line)
        return out

    def add_decision(self, run_id: str, step: str, decision: str, by: str, reason: str | None,
                     via: str, request_seq: int) -> None:
        """An approver's decision for a run on another machine (store/decisions.py)."""
        with self._guard():
            self.conn.execute(
                "INSERT INTO decisions (run_id, step, decision, by, reason, via, request_seq) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (run_id, step, decision, by, reason, via, request_seq))

    def decisions(self, run_id: str, step: str, request_seq: int) -> list[tuple[str, str, str | None]]:
        """(decision, by, reason) given for one request of a step, the first first."""
        with self._guard():
            rows = self.conn.execute(
                "SELECT decision, by, reason FROM decisions WHERE run_id = %s AND step = %s "
                "AND request_seq = %s ORDER BY id", (run_id, step, request_seq)).fetchall()
        return [(str(d), str(b), r) for d, b, r in rows]

    def wait_for_events(self, timeout: float) -> list[str]:
        """LISTEN for inserted events (once per connection); the payloads (`RUN_ID SEQ`)
        that arrive within `timeout` seconds, as soon as one does."""
        from runbookctl.store.schema import EVENTS_CHANNEL

        with self._guard():
            if not self._listening:
                self.conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                self._listening = True
            return [n.payload for n in self.conn.notifies(timeout=timeout, stop_after=1)]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def _guard(self) -> contextlib.AbstractContextManager[None]:
        return _translated(self.name)


@contextlib.contextmanager
def _translated(name: str) -> Iterator[None]:
    """psycopg's errors as the store's: a lost connection or a server error is
    StoreUnavailable (the caller keeps its events and tries later)."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise StoreUnavailable(f"the store {name}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def connect(url: str, *, check_schema: bool = True, app: str = APP_NAME) -> PgStore:
    """Open the store; StoreUnavailable says why not (down, refused, not initialised)."""
    import psycopg

    from runbookctl.store.schema import version_problem

    name = describe(url)
    try:
        conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, application_name=app,
                               autocommit=True)
    except psycopg.Error as exc:
        raise StoreUnavailable(f"cannot reach the store {name}: {_first_line(exc)}") from None
    store = PgStore(conn, url)
    if check_schema:
        with store._guard():
            problem = version_problem(conn)
        if problem:
            store.close()
            raise StoreUnavailable(f"the store {name}: {problem}")
    return store
