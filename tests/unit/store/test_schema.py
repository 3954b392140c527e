"""The store's migrations (store/schema.py): numbered in order, applied once each in one
transaction, and the tool's role granted INSERT and SELECT only."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import pytest

from runbookctl.store import schema


class FakeConn:
    """Records each statement; schema_version holds `have`."""

    def __init__(self, have: int, registered: bool = True) -> None:
        self.have, self.registered = have, registered
        self.sql: list[str] = []

    def transaction(self) -> Any:
        return nullcontext()

    def execute(self, query: Any, params: Any = None) -> Any:
        text = query if isinstance(query, str) else query.as_string(None)
        self.sql.append(text)
        value = self.have if "max(version)" in text else self.registered
        return type("Cursor", (), {"fetchone": lambda _self: (value,)})()


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    assert [m.version for m in schema.MIGRATIONS] == list(range(1, len(schema.MIGRATIONS) + 1))
    assert schema.MIGRATIONS[-1].version == schema.SCHEMA_VERSION


def test_init_applies_only_the_missing_migrations_under_a_lock_and_grants_the_role() -> None:
    fresh = FakeConn(have=0)
    assert schema.migrate(fresh, "rbtool") == list(schema.MIGRATIONS)
    assert "pg_advisory_xact_lock" in fresh.sql[0]
    assert any("CREATE TABLE events" in s for s in fresh.sql)
    assert 'GRANT SELECT, INSERT ON events, decisions TO "rbtool"' in fresh.sql
    current = FakeConn(have=schema.SCHEMA_VERSION)
    assert schema.migrate(current, None) == []
    assert not any("CREATE TABLE events" in s or "GRANT" in s for s in current.sql)


def test_the_role_is_never_granted_a_change_to_what_is_stored() -> None:
    granted = " ".join(g for g in schema.grants() if g.startswith("GRANT"))
    for verb in ("UPDATE", "DELETE", "TRUNCATE", "ALL"):
        assert verb not in granted


def test_a_store_too_new_is_refused_and_one_not_initialised_is_named() -> None:
    with pytest.raises(RuntimeError, match="newer than this runbookctl"):
        schema.migrate(FakeConn(have=schema.SCHEMA_VERSION + 1), None)
    assert "runbookctl store init` first" in (schema.version_problem(FakeConn(0, False)) or "")
    assert "needs 1" in (schema.version_problem(FakeConn(0)) or "")
    assert schema.version_problem(FakeConn(schema.SCHEMA_VERSION)) is None
