"""Who is signed in on this terminal, as the store keeps it: guide sessions and wrong PINs.

* ``guide_sessions``: the session HQ's sign-in returned for a guide. While it is valid
  (a mutation's ``created_at`` ≤ ``expires_at``), every outbox row of that guide carries
  it (``outbox.append`` looks it up), so HQ records which person acted. A guide who
  signed in offline has no row: their mutations go out marked "signed in offline".
* ``sign_in_failures``: wrong PINs per guide (the rule is ``app.domain.pin``). They are in
  the file, so a restart does not give an attacker five fresh tries, and they lock that
  guide only: a colleague still signs in.
* the idle-lock delay HQ sets per brand (``sync_state.idle_lock_seconds``).

Times are ISO-8601 UTC strings with a Z, like every time in this file, so they compare
as text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.domain.pin import Lockout, after_wrong_pin
from app.store.db import transaction
from app.store.sqlite import driver as sqlite3

DEFAULT_IDLE_LOCK_SECONDS = 300
# Below this an idle lock would lock a guide out while they read a profile.
MIN_IDLE_LOCK_SECONDS = 30


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An ISO-8601 time as HQ or this file writes it ("…Z", "+00:00", fractions)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- guide sessions ------------------------------------------------------------------------


def start_session(
    conn: sqlite3.Connection, guide_id: str, session: str, expires_at: str, *, now: datetime
) -> None:
    """Keep the session HQ returned for a sign-in (it replaces the guide's previous one)."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO guide_sessions (guide_id, session, expires_at, signed_in_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (guide_id) DO UPDATE SET"
            " session = excluded.session, expires_at = excluded.expires_at,"
            " signed_in_at = excluded.signed_in_at",
            (guide_id, session, iso(parse_time(expires_at)), iso(now)),
        )


def end_session(conn: sqlite3.Connection, guide_id: str) -> None:
    """Forget the guide's HQ session (signed out, or signed in again offline): from now on
    their mutations carry none. Mutations already queued keep theirs."""
    with transaction(conn):
        conn.execute("DELETE FROM guide_sessions WHERE guide_id = ?", (guide_id,))


def end_all_sessions(conn: sqlite3.Connection) -> None:
    """The app starts: nobody is signed in yet, whatever the last run left valid."""
    with transaction(conn):
        conn.execute("DELETE FROM guide_sessions")


def session_expiry(conn: sqlite3.Connection, guide_id: str) -> datetime | None:
    """When the guide's HQ session ends (None: signed in offline)."""
    row = conn.execute(
        "SELECT expires_at FROM guide_sessions WHERE guide_id = ?", (guide_id,)
    ).fetchone()
    return None if row is None else parse_time(row[0])


def session_for(conn: sqlite3.Connection, guide_id: str, at: str) -> str | None:
    """The guide's HQ session valid at ``at`` (an ISO time), or None (offline sign-in)."""
    row = conn.execute(
        "SELECT session FROM guide_sessions WHERE guide_id = ? AND expires_at >= ?",
        (guide_id, at),
    ).fetchone()
    return None if row is None else row[0]


# -- wrong PINs ------------------------------------------------------------------------------


def lockout(conn: sqlite3.Connection, guide_id: str) -> Lockout:
    row = conn.execute(
        "SELECT failures, locks, locked_until FROM sign_in_failures WHERE guide_id = ?",
        (guide_id,),
    ).fetchone()
    if row is None:
        return Lockout()
    return Lockout(row[0], row[1], parse_time(row[2]) if row[2] else None)


def record_wrong_pin(conn: sqlite3.Connection, guide_id: str, *, now: datetime) -> Lockout:
    """Count one wrong PIN for the guide; returns the lockout it leads to."""
    with transaction(conn):
        state = after_wrong_pin(lockout(conn, guide_id), now)
        conn.execute(
            "INSERT INTO sign_in_failures (guide_id, failures, locks, locked_until,"
            " last_failure_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guide_id) DO UPDATE SET"
            " failures = excluded.failures, locks = excluded.locks,"
            " locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at",
            (
                guide_id,
                state.failures,
                state.locks,
                iso(state.locked_until) if state.locked_until else None,
                iso(now),
            ),
        )
    return state


def clear_wrong_pins(conn: sqlite3.Connection, guide_id: str) -> None:
    """A good sign-in: the guide's count and lock history start again."""
    with transaction(conn):
        conn.execute("DELETE FROM sign_in_failures WHERE guide_id = ?", (guide_id,))


# -- what HQ said about guides and the brand (kept in sync_state) ----------------------------


def _state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def locked_at_hq(conn: sqlite3.Connection) -> frozenset[str]:
    """Guides HQ has locked (too many wrong PINs anywhere): no offline sign-in for them
    until HQ unlocks them (hello's ``locked_guides``, or HQ's answer to a sign-in)."""
    try:
        found = json.loads(_state(conn, "locked_guides") or "[]")
    except ValueError:
        return frozenset()
    return (
        frozenset(g for g in found if isinstance(g, str))
        if isinstance(found, list)
        else frozenset()
    )


def note_locked_at_hq(conn: sqlite3.Connection, guide_id: str, locked: bool) -> None:
    """HQ's answer to a sign-in says whether the guide is locked there: keep it until the
    next hello says otherwise."""
    now_locked = set(locked_at_hq(conn))
    if (guide_id in now_locked) == locked:
        return
    (now_locked.add if locked else now_locked.discard)(guide_id)
    _set_state(conn, "locked_guides", json.dumps(sorted(now_locked)))


def set_idle_lock_seconds(conn: sqlite3.Connection, seconds: int) -> None:
    """The brand's idle lock as HQ's sign-in answered it (hello keeps it current too)."""
    if str(seconds) != _state(conn, "idle_lock_seconds"):
        _set_state(conn, "idle_lock_seconds", str(int(seconds)))


# -- idle lock ---------------------------------------------------------------------------------


def idle_lock_seconds(conn: sqlite3.Connection) -> int:
    """After how many idle seconds the app locks itself: HQ's setting, else 5 minutes."""
    value = _state(conn, "idle_lock_seconds")
    try:
        seconds = int(value) if value else DEFAULT_IDLE_LOCK_SECONDS
    except ValueError:
        seconds = DEFAULT_IDLE_LOCK_SECONDS
    return max(seconds, MIN_IDLE_LOCK_SECONDS)
