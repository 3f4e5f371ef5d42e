"""Terminals: enrolment codes, enrolment, token lookup, last-seen and revocation.

The credentials themselves (hashes, codes, PINs) are ``sync/hq/auth.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from sync.hq import auth
from sync.hq.db import iso
from sync.hq.errors import NotFound, StorageError
from sync.hq.schema import enroll_codes, terminals

_TERMINAL_TOUCH_S = 60  # how stale last_seen_at may get before a pull writes it again


@dataclass(frozen=True, slots=True)
class TerminalRecord:
    id: str
    store_id: str
    name: str
    token_hash: str
    enrolled_at: str
    last_seen_at: str | None
    cursor: str | None
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class Enrolment:
    terminal_id: str
    token: str
    store_id: str
    store_name: str


class Terminals:
    """HQStorage's terminal operations (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    def create_enroll_code(self, store_id: str, *, hours: float = 24) -> str:
        if not 0 < hours <= 24 * 30:
            raise StorageError("an enrolment code lives between a few minutes and 30 days")
        code = auth.new_enroll_code()
        now = self.clock()
        with self.write() as tx:
            if tx.get("store", store_id) is None:
                raise NotFound(f"store {store_id} does not exist")
            tx.conn.execute(
                enroll_codes.insert().values(
                    code_hash=auth.code_hash(code),
                    store_id=store_id,
                    created_at=iso(now),
                    expires_at=iso(now + timedelta(hours=hours)),
                )
            )
        return code

    def enroll(self, code: str, terminal_name: str = "") -> Enrolment | None:
        """Trade a one-time code for a new terminal; None when the code is unknown,
        used or expired (one answer for all three: nothing to learn from probing)."""
        now = self.now()
        hashed = auth.code_hash(code)
        token = auth.new_token()
        terminal_id = f"T-{uuid.uuid4().hex[:16]}"
        with self.write() as tx:
            taken = tx.conn.execute(
                enroll_codes.update()
                .where(
                    enroll_codes.c.code_hash == hashed,
                    enroll_codes.c.used_at.is_(None),
                    enroll_codes.c.expires_at > now,
                )
                .values(used_at=now, terminal_id=terminal_id)
            )
            if taken.rowcount != 1:
                return None
            store_id = tx.conn.execute(
                sa.select(enroll_codes.c.store_id).where(enroll_codes.c.code_hash == hashed)
            ).scalar_one()
            store = tx.get("store", store_id)
            tx.conn.execute(
                terminals.insert().values(
                    id=terminal_id,
                    store_id=store_id,
                    name=terminal_name.strip()[:100],
                    token_hash=auth.token_hash(token),
                    enrolled_at=now,
                    last_seen_at=now,
                )
            )
        return Enrolment(terminal_id, token, store_id, store["name"] if store else "")

    def terminal_for_token(self, token: str) -> TerminalRecord | None:
        with self.lookup() as conn:
            row = conn.execute(_TERMINAL_BY_TOKEN, {"h": auth.token_hash(token)}).first()
        return TerminalRecord(*row) if row else None

    def touch_terminal(
        self, terminal: TerminalRecord, *, pulled: bool = False, cursor: str | None = None
    ) -> None:
        """Record that a terminal was seen; after a pull, also the cursor it sent (it has
        applied everything up to there, and compaction stops below it).

        At most once a minute per terminal, so a busy terminal's syncs stay read-only. A
        recorded cursor that lags only makes compaction keep more; it never costs
        correctness: a terminal below the horizon is told to resync whatever was recorded.
        """
        now = self.clock()
        fresh = terminal.last_seen_at and terminal.last_seen_at >= iso(
            now - timedelta(seconds=_TERMINAL_TOUCH_S)
        )
        first_cursor = pulled and terminal.cursor is None and cursor is not None
        if fresh and not first_cursor:
            return
        values: dict[str, Any] = {"last_seen_at": iso(now)}
        if pulled:
            values["cursor"] = cursor
        with self.write() as tx:
            tx.conn.execute(terminals.update().where(terminals.c.id == terminal.id).values(values))

    def revoke_terminal(self, terminal_id: str) -> None:
        with self.write() as tx:
            done = tx.conn.execute(
                terminals.update()
                .where(terminals.c.id == terminal_id, terminals.c.revoked_at.is_(None))
                .values(revoked_at=self.now())
            )
            if done.rowcount == 0:
                exists = tx.conn.execute(
                    sa.select(terminals.c.id).where(terminals.c.id == terminal_id)
                ).first()
                if exists is None:
                    raise NotFound(f"terminal {terminal_id} does not exist")

    def list_terminals(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            rows = conn.execute(
                sa.select(terminals).order_by(terminals.c.store_id, terminals.c.enrolled_at)
            ).mappings()
            return [
                {k: v for k, v in r.items() if k != "token_hash"} | {"active": not r["revoked_at"]}
                for r in rows
            ]


_TERMINAL_BY_TOKEN = sa.select(terminals).where(terminals.c.token_hash == sa.bindparam("h"))
