"""The store's tables, as versioned migrations (`runbookctl store init`, docs/store.md).

Each migration is applied once, in order, in one transaction with the others, under a
lock, and recorded in `schema_version`: running `store init` twice, or from two
machines at once, is safe. A new migration is appended to MIGRATIONS, never edited
in place (a store already has the old one).

The store is append-only twice over: a trigger refuses UPDATE, DELETE and TRUNCATE on
events and decisions for everyone, the admin too; and the role runbookctl runs as is
granted INSERT and SELECT only, so it is refused before the trigger is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENTS_CHANNEL = "runbookctl_events"  # NOTIFY payload: "<run_id> <seq>"
DECISIONS_CHANNEL = "runbookctl_decisions"  # NOTIFY payload: "<run_id> <step>"


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    sql: str


_V1 = f"""
CREATE TABLE events (
    run_id     text        NOT NULL,
    seq        bigint      NOT NULL CHECK (seq > 0),
    ts         text        NOT NULL,
    type       text        NOT NULL,
    step       text,
    actor      text        NOT NULL,
    hash       text        NOT NULL,
    line       text        NOT NULL,  -- the journal line as written: the chain is recomputed from it
    shipped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX events_run_started ON events (run_id) WHERE type = 'run_started';

CREATE TABLE decisions (
    id       bigserial   PRIMARY KEY,
    run_id   text        NOT NULL,
    step     text        NOT NULL,
    decision text        NOT NULL CHECK (decision IN ('approve', 'reject')),
    by       text        NOT NULL,
    reason   text,
    via      text        NOT NULL,
    request_seq bigint   NOT NULL,  -- the seq of the approval_requested event it answers
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_run ON decisions (run_id, step);

CREATE FUNCTION runbookctl_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'runbookctl store: % on % refused: the run store is append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION runbookctl_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{EVENTS_CHANNEL}', NEW.run_id || ' ' || NEW.seq);
    RETURN NULL;
END $$;

CREATE FUNCTION runbookctl_notify_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{DECISIONS_CHANNEL}', NEW.run_id || ' ' || NEW.step);
    RETURN NULL;
END $$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION runbookctl_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION runbookctl_append_only();
CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION runbookctl_notify_event();
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION runbookctl_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION runbookctl_append_only();
CREATE TRIGGER decisions_notify AFTER INSERT ON decisions
    FOR EACH ROW EXECUTE FUNCTION runbookctl_notify_decision();
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "events and decisions, append-only, with NOTIFY on insert", _V1),
)
SCHEMA_VERSION = MIGRATIONS[-1].version  # what this runbookctl reads and writes

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    integer     PRIMARY KEY,
    what       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
# One init at a time (two admins, or a retry): the second waits, then finds nothing to do.
_INIT_LOCK = "SELECT pg_advisory_xact_lock(hashtext('runbookctl store init'))"


def migrate(conn: Any, role: str | None) -> list[Migration]:
    """Apply the migrations the store lacks, then (re)grant `role` INSERT and SELECT only;
    one transaction. Returns the migrations applied (none: it was up to date)."""
    from psycopg import sql

    with conn.transaction():
        conn.execute(_INIT_LOCK)
        conn.execute(_VERSION_TABLE)
        have = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        if have > SCHEMA_VERSION:
            raise RuntimeError(f"the store's schema is version {have}, newer than this runbookctl's "
                               f"({SCHEMA_VERSION}): upgrade runbookctl")
        applied = [m for m in MIGRATIONS if m.version > have]
        for m in applied:
            conn.execute(m.sql)
            conn.execute("INSERT INTO schema_version (version, what) VALUES (%s, %s)",
                         (m.version, m.what))
        if role is not None:
            for statement in grants():
                conn.execute(sql.SQL(statement).format(role=sql.Identifier(role)))
    return applied


def grants() -> list[str]:
    """What the tool's role may do: read everything, add events and decisions, nothing more
    (a REVOKE first: a role granted more by hand loses it)."""
    return [
        "REVOKE ALL ON events, decisions, schema_version FROM {role}",
        "GRANT USAGE ON SCHEMA public TO {role}",
        "GRANT SELECT, INSERT ON events, decisions TO {role}",
        "GRANT SELECT ON schema_version TO {role}",
        "GRANT USAGE ON SEQUENCE decisions_id_seq TO {role}",
    ]


def version_problem(conn: Any) -> str | None:
    """Why this store cannot be used as it is (not initialised, too old, too new), or None."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row[0]:
        return "the store has no runbookctl tables: an admin runs `runbookctl store init` first"
    have = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    if have < SCHEMA_VERSION:
        return (f"the store's schema is version {have}, this runbookctl needs {SCHEMA_VERSION}: "
                "an admin runs `runbookctl store init`")
    if have > SCHEMA_VERSION:
        return f"the store's schema is version {have}, newer than this runbookctl's: upgrade it"
    return None
