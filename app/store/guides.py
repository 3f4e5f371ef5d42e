"""Guides of this terminal's store and their offline sign-in.

HQ sends each guide's PIN as an argon2 verifier; the PIN is never stored. Verifying takes
tens of milliseconds on purpose: call it off the UI thread.

When HQ is reachable the PIN is checked there instead (app/ui/sign_in.py); this verifier
is the offline path. After a PIN change HQ accepted, ``keep_new_verifier`` replaces the
local verifier at once, so the new PIN works offline before the next sync brings HQ's.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.store.db import transaction
from app.store.sqlite import driver as sqlite3


@dataclass(frozen=True, slots=True)
class GuideAccount:
    id: str
    store_id: str
    name: str
    is_manager: bool
    has_pin: bool


def list_guides(conn: sqlite3.Connection) -> list[GuideAccount]:
    """Active guides of the store, managers first, then by id (for the sign-in list)."""
    rows = conn.execute(
        "SELECT id, store_id, name, is_manager, pin_verifier IS NOT NULL AS has_pin"
        " FROM guides WHERE active = 1 ORDER BY is_manager DESC, id"
    )
    return [GuideAccount(r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in rows]


def get_guide(conn: sqlite3.Connection, guide_id: str) -> GuideAccount | None:
    r = conn.execute(
        "SELECT id, store_id, name, is_manager, pin_verifier IS NOT NULL FROM guides WHERE id = ?",
        (guide_id,),
    ).fetchone()
    return None if r is None else GuideAccount(r[0], r[1], r[2], bool(r[3]), bool(r[4]))


def verify_pin(conn: sqlite3.Connection, guide_id: str, pin: str) -> GuideAccount | None:
    """The guide if ``pin`` matches HQ's verifier, else None (unknown guide, no PIN, wrong PIN)."""
    row = conn.execute(
        "SELECT pin_verifier FROM guides WHERE id = ? AND active = 1", (guide_id,)
    ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        PasswordHasher().verify(row[0], pin)
    except (VerificationError, InvalidHashError):
        return None
    return get_guide(conn, guide_id)


def keep_new_verifier(conn: sqlite3.Connection, guide_id: str, new_pin: str) -> None:
    """HQ accepted ``new_pin`` for the guide: verify it locally from now on (HQ's own
    verifier replaces this one with the next pulled guide record)."""
    verifier = PasswordHasher().hash(new_pin)
    with transaction(conn):
        conn.execute("UPDATE guides SET pin_verifier = ? WHERE id = ?", (verifier, guide_id))
