"""Schema 5 on a database from before it: tables and columns added, old terminals and
guides go on (an old token works and is asked to rotate; an old PIN still signs in)."""

from __future__ import annotations

import sqlalchemy as sa

from sync.hq import auth, schema
from sync.hq.schema import _meta_set
from sync.hq.storage import HQStorage

PIN = "246810"


def _as_version_4(hq: HQStorage) -> None:
    """Strip what migration 5 adds, as a database last migrated to version 4 is."""
    with hq.write() as tx:
        conn = tx.conn
        conn.exec_driver_sql("DROP TABLE guide_sessions")
        conn.exec_driver_sql("DROP TABLE guide_pins")
        conn.exec_driver_sql("DROP INDEX terminals_previous_token")
        for table, column in (
            ("terminals", "token_issued_at"),
            ("terminals", "token_expires_at"),
            ("terminals", "previous_token_hash"),
            ("terminals", "previous_valid_until"),
            ("guides", "pin_must_change"),
            ("mutations", "session_id"),
            ("mutations", "signed_in"),
        ):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        _meta_set(conn, "schema_version", "4")


def test_migration_5_keeps_old_terminals_and_guides_working(sqlite_url: str, clock) -> None:
    hq = HQStorage(sqlite_url, clock=clock)
    assert hq.migrate() == schema.SCHEMA_VERSION >= 5
    hq.add_store("S001", "上海南京西路店")
    hq.add_guide("G002", "李娜", store_id="S001", pin=PIN)
    token = hq.enroll(hq.create_enroll_code("S001"), "old").token
    _as_version_4(hq)
    with hq.read() as conn:
        live = {c["name"] for c in sa.inspect(conn).get_columns("terminals")}
    assert "token_expires_at" not in live
    hq.close()

    hq = HQStorage(sqlite_url, clock=clock)
    assert hq.migrate() == schema.SCHEMA_VERSION  # 5 and every step after it
    assert hq.migrate() == schema.SCHEMA_VERSION  # idempotent
    with hq.read() as conn:
        inspector = sa.inspect(conn)
        assert {"guide_sessions", "guide_pins"} <= set(inspector.get_table_names())
        for table in (schema.terminals, schema.guides, schema.mutations):
            live = {c["name"] for c in inspector.get_columns(table.name)}
            assert live == {c.name for c in table.columns}, table.name
        indexes = {i["name"] for i in inspector.get_indexes("terminals")}
        assert "terminals_previous_token" in indexes
    terminal = auth.authenticate(hq, f"Bearer {token}")
    assert terminal.token_expires_at is None and terminal.rotation(clock())[1] is True
    signed = hq.sign_in(terminal, "G002", PIN)
    assert signed.session and not signed.must_change_pin
    new, _ = hq.rotate_token(terminal)
    assert auth.authenticate(hq, f"Bearer {new}").token_expires_at
    hq.close()
