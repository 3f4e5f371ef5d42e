"""Terminals: enrolment codes, enrolment, token lookup and rotation, last-seen and
revocation.

The credentials themselves (hashes, codes, PINs) are ``sync/hq/auth.py``.

Token rotation: a token lives ``token_days`` (hq_meta setting, default
``protocol.TOKEN_DAYS``). :meth:`Terminals.rotate_token` issues a new one that works at
once and keeps the one it replaces as ``previous_token_hash`` until the new one is first
used (:meth:`Terminals.forget_previous_token`, called by ``auth.authenticate``) or for
``protocol.ROTATION_GRACE_HOURS``: a terminal that crashed between HQ's answer and its
keyring write still has a token that works, and rotating with it again replaces the
never-used new one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sync import protocol
from sync.hq import auth
from sync.hq.db import iso
from sync.hq.errors import NotFound, StorageError
from sync.hq.schema import _meta_get, _meta_set, enroll_codes, terminals

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
    token_issued_at: str | None = None
    token_expires_at: str | None = None
    previous_token_hash: str | None = None
    previous_valid_until: str | None = None
    # The request presented the previous token (still in its grace), not the current one.
    by_previous: bool = False

    def rotation(self, now: datetime) -> tuple[str | None, bool]:
        """(rotate_after, should_rotate) for hello: rotate once a third of the token's
        life is gone, at once for a token with no expiry (from before rotation) or when
        the terminal still uses the token a rotation replaced."""
        if not self.token_expires_at or not self.token_issued_at:
            return iso(now), True
        issued = datetime.fromisoformat(self.token_issued_at)
        expires = datetime.fromisoformat(self.token_expires_at)
        after = iso(issued + (expires - issued) / 3)
        return after, self.by_previous or after <= iso(now)


_RECORD_FIELDS = tuple(f.name for f in fields(TerminalRecord) if f.name != "by_previous")


def _record(row: Any) -> TerminalRecord:
    return TerminalRecord(**{name: row[name] for name in _RECORD_FIELDS})


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
            expires = iso(self.clock() + timedelta(days=_token_days(tx.conn)))
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
                    token_issued_at=now,
                    token_expires_at=expires,
                )
            )
        return Enrolment(terminal_id, token, store_id, store["name"] if store else "")

    def terminal_for_token(self, token: str) -> TerminalRecord | None:
        """The terminal whose current or previous (rotated-out) token this is."""
        hashed = auth.token_hash(token)
        with self.lookup() as conn:
            row = conn.execute(_TERMINAL_BY_TOKEN, {"h": hashed}).mappings().first()
            if row is None:
                row = conn.execute(_TERMINAL_BY_PREVIOUS, {"h": hashed}).mappings().first()
        return _record(row) if row else None

    def rotate_token(self, terminal: TerminalRecord) -> tuple[str, str]:
        """A new token for ``terminal`` (authenticated with the token it presented):
        returns (token, expires_at). The presented token stays valid as the previous one
        (see the module docstring); raises StorageError if a concurrent rotation won."""
        token = auth.new_token()
        now = self.clock()
        with self.write() as tx:
            expires = iso(now + timedelta(days=_token_days(tx.conn)))
            if terminal.by_previous:
                # The new token HQ answered last time never arrived: replace it, and keep
                # the grace the first rotation gave (a retry does not extend it).
                keep, until = terminal.previous_token_hash, terminal.previous_valid_until
            else:
                keep = terminal.token_hash
                until = iso(now + timedelta(hours=protocol.ROTATION_GRACE_HOURS))
            done = tx.conn.execute(
                terminals.update()
                .where(
                    terminals.c.id == terminal.id,
                    terminals.c.token_hash == terminal.token_hash,
                    terminals.c.revoked_at.is_(None),
                )
                .values(
                    token_hash=auth.token_hash(token),
                    token_issued_at=iso(now),
                    token_expires_at=expires,
                    previous_token_hash=keep,
                    previous_valid_until=until,
                )
            )
            if done.rowcount != 1:
                raise StorageError("the token changed meanwhile: retry the rotation")
        return token, expires

    def forget_previous_token(self, terminal: TerminalRecord) -> None:
        """The new token was used: the one it replaced stops working now."""
        with self.write() as tx:
            tx.conn.execute(
                terminals.update()
                .where(
                    terminals.c.id == terminal.id,
                    terminals.c.token_hash == terminal.token_hash,
                )
                .values(previous_token_hash=None, previous_valid_until=None)
            )

    def token_days(self) -> int:
        with self.read() as conn:
            return _token_days(conn)

    def set_token_days(self, days: int) -> None:
        """How long tokens issued from now on live (enrolment and rotation)."""
        if not 1 <= days <= 3650:
            raise StorageError("a terminal token lives between 1 and 3650 days")
        with self.write() as tx:
            _meta_set(tx.conn, "token_days", str(days))

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
                {k: v for k, v in r.items() if k not in _SECRET_COLUMNS}
                | {"active": not r["revoked_at"]}
                for r in rows
            ]


_TERMINAL_BY_TOKEN = sa.select(terminals).where(terminals.c.token_hash == sa.bindparam("h"))
_TERMINAL_BY_PREVIOUS = sa.select(terminals).where(
    terminals.c.previous_token_hash == sa.bindparam("h")
)
_SECRET_COLUMNS = frozenset({"token_hash", "previous_token_hash"})


def _token_days(conn: Any) -> int:
    value = _meta_get(conn, "token_days")
    return int(value) if value else protocol.TOKEN_DAYS
