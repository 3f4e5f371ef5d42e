"""Guide sessions and wrong PINs in the terminal store (app/store/sessions.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.pin import MAX_FAILURES
from app.store import customers, db, outbox, sessions
from app.store.replica import TerminalReplica

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


def _customer(conn: sqlite3.Connection, clock) -> None:
    TerminalReplica(conn, clock=clock).apply_page(
        [
            {
                "entity": "customer",
                "op": "upsert",
                "id": "C1",
                "version": 1,
                "data": {
                    "id": "C1",
                    "store_id": "S001",
                    "guide_id": "G001",
                    "name": "张三",
                    "phone": "13812345678",
                    "joined_at": "2024-01-01T02:00:00Z",
                },
            }
        ],
        "1",
        more=False,
    )


def _follow_up(conn: sqlite3.Connection, guide: str, at: datetime) -> None:
    customers.log_followup(
        conn, customer_id="C1", guide_id=guide, channel="wechat", note="试穿", now=sessions.iso(at)
    )


def test_mutations_carry_the_session_valid_when_they_were_made(conn, clock) -> None:
    _customer(conn, clock)
    sessions.start_session(conn, "G001", "sess-1", "2026-11-22T11:00:00+00:00", now=NOW)
    _follow_up(conn, "G001", NOW)  # within the session
    _follow_up(conn, "G002", NOW)  # another guide: no session of theirs
    _follow_up(conn, "G001", NOW + timedelta(hours=1))  # after it expired
    sessions.end_session(conn, "G001")  # signing out changes nothing already queued
    _follow_up(conn, "G001", NOW)
    assert [(e.guide_id, e.session) for e in outbox.pending(conn)] == [
        ("G001", "sess-1"),
        ("G002", None),
        ("G001", None),
        ("G001", None),
    ]
    pushed = TerminalReplica(conn, clock=clock).pending_mutations(10)
    assert pushed[0]["session"] == "sess-1"
    assert all("session" not in m for m in pushed[1:])  # signed in offline: no session


def test_wrong_pins_survive_a_new_connection_and_lock_one_guide(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    first = db.connect(path)
    for _ in range(MAX_FAILURES):
        state = sessions.record_wrong_pin(first, "G001", now=NOW)
    first.close()
    assert state.is_locked(NOW)
    again = db.connect(path)
    try:
        assert sessions.lockout(again, "G001").seconds_left(NOW) == 60
        assert not sessions.lockout(again, "G002").is_locked(NOW)
        sessions.clear_wrong_pins(again, "G001")
        assert sessions.lockout(again, "G001").failures == 0
    finally:
        again.close()


def test_idle_lock_delay_comes_from_hq_or_defaults(conn, clock) -> None:
    replica = TerminalReplica(conn, clock=clock)
    assert sessions.idle_lock_seconds(conn) == 300
    replica.set_state(idle_lock_seconds="120")
    assert sessions.idle_lock_seconds(conn) == 120
    replica.set_state(idle_lock_seconds="1")  # never so short that reading a profile locks
    assert sessions.idle_lock_seconds(conn) == sessions.MIN_IDLE_LOCK_SECONDS
    replica.set_state(idle_lock_seconds="garbage")
    assert sessions.idle_lock_seconds(conn) == 300


def test_a_revoked_terminal_forgets_sessions_and_wrong_pins(conn, clock) -> None:
    sessions.start_session(conn, "G001", "secret-session", "2026-11-22T22:30:00Z", now=NOW)
    sessions.record_wrong_pin(conn, "G002", now=NOW)
    TerminalReplica(conn, clock=clock).wipe()
    assert conn.execute("SELECT count(*) FROM guide_sessions").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sign_in_failures").fetchone()[0] == 0
