"""Who signed in, provably: a guide's PIN checked at HQ, wrong PINs counted per guide,
and the guide sessions mutations carry (``/v1/sign-in`` and the endpoints after it).

A good PIN at HQ gives a session: a random secret the terminal keeps, HQ keeps its
SHA-256 (``guide_sessions.id``, which is also what the ``mutations`` table records as
the actor's session). It was issued to one terminal for one guide and lives
``protocol.SESSION_HOURS``; a sign-out or a lock ends it early (``revoked_at``), a
departure by the guide being inactive. Mutations are judged against it by
``sync/hq/authz.py`` :func:`~sync.hq.authz.check_session`. A PIN change does not end the
guide's sessions: HQ cannot tell the other terminals at once, and ending them there
would refuse the edits the guide goes on making under them (a refused edit is kept, but
it is work lost).

Wrong PINs: counted per guide in ``guide_pins`` (in the database, so every worker sees the
same count and a restart forgets nothing). ``protocol.PIN_LOCK_AFTER`` wrong PINs in a
row lock that guide only, and no time unlocks them: HQ (``guidedesk-hq unlock-guide``)
or their store manager (``/v1/unlock-guide``) does. A locked guide cannot sign in at HQ,
their sessions end, and edits made after the lock are refused; terminals learn the lock
from hello (``locked_guides``) and refuse offline sign-in too. Every failure, lock and
unlock is in the audit log (never a PIN, never what was typed).

A PIN shorter than the rule (app/domain/pin.py) still signs in, with ``must_change_pin``;
so does a guide HQ gave a temporary PIN (``set-pin --must-change``). A verifier made with
older argon2 parameters is re-made at the next good sign-in (and synced to terminals).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from app.domain import pin as pin_rules
from sync import protocol, records
from sync.hq import audit, auth
from sync.hq.auth import AuthFailure
from sync.hq.db import iso
from sync.hq.errors import NotFound, StorageError
from sync.hq.schema import ENTITY_SPECS, _meta_get, _meta_set, guide_pins, guide_sessions, guides
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx

IDLE_LOCK_RANGE = (30, 8 * 3600)  # seconds: from half a minute to a working day

# argon2 takes 64 MiB and ~0.1 s per check: at most this many at once per worker, so a
# burst of sign-ins cannot take a gigabyte (the rest queue for a moment).
_VERIFYING = threading.BoundedSemaphore(4)


@dataclass(frozen=True, slots=True)
class GuideSession:
    id: str  # SHA-256 of the secret
    guide_id: str
    terminal_id: str
    issued_at: str
    expires_at: str
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class SignIn:
    session: str  # the secret, shown to the terminal once
    expires_at: str
    guide_id: str
    must_change_pin: bool
    idle_lock_seconds: int


def _plain_id(value: str) -> bool:
    return bool(value) and records.text_problem(value, max_len=64) is None


def _not_of_store(guide_id: str) -> AuthFailure:
    return AuthFailure(
        "forbidden",
        f"导购 {guide_id} 不属于本门店 / guide {guide_id} is not a guide of this store",
        403,
    )


def _disabled(guide_id: str) -> AuthFailure:
    return AuthFailure(
        "guide_disabled",
        f"导购 {guide_id} 已停用，不能登录 / guide {guide_id} is no longer active",
        403,
    )


def _locked(guide_id: str) -> AuthFailure:
    return AuthFailure(
        "guide_locked",
        f"导购 {guide_id} 因多次输错密码已被锁定，请店长或总部解锁"
        f" / guide {guide_id} is locked after too many wrong PINs: the store manager or HQ"
        " unlocks",
        423,
    )


def _session_invalid(why: str) -> AuthFailure:
    return AuthFailure("session_invalid", f"登录已失效，请重新登录 / {why}: sign in again", 401)


def _session_record(row: Mapping[str, Any]) -> GuideSession:
    return GuideSession(
        row["id"],
        row["guide_id"],
        row["terminal_id"],
        row["issued_at"],
        row["expires_at"],
        row["revoked_at"],
    )


class Sessions:
    """HQStorage's sign-in operations (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    # -- brand settings --------------------------------------------------------------

    def idle_lock_seconds(self) -> int:
        with self.lookup() as conn:
            return _idle_lock(conn)

    def set_idle_lock(self, seconds: int) -> None:
        low, high = IDLE_LOCK_RANGE
        if not low <= seconds <= high:
            raise StorageError(f"the idle lock is between {low} and {high} seconds")
        with self.write() as tx:
            _meta_set(tx.conn, "idle_lock_seconds", str(seconds))

    # -- signing in ------------------------------------------------------------------

    def sign_in(self, terminal: TerminalRecord, guide_id: str, pin: str) -> SignIn:
        """Check ``pin`` for ``guide_id`` at ``terminal``; a session, or AuthFailure
        (forbidden, guide_disabled, guide_locked, wrong_pin with remaining_tries)."""
        if not _plain_id(guide_id):
            raise _not_of_store("?")
        with self.lookup() as conn:
            guide = (
                conn.execute(sa.select(guides).where(guides.c.id == guide_id)).mappings().first()
            )
            state = (
                conn.execute(sa.select(guide_pins).where(guide_pins.c.guide_id == guide_id))
                .mappings()
                .first()
            )
        if guide is None or guide["store_id"] != terminal.store_id:
            raise _not_of_store(guide_id)
        if not guide["active"]:
            raise _disabled(guide_id)
        if state is not None and state["locked_at"]:
            raise _locked(guide_id)
        verifier = guide["pin_verifier"]
        if not verifier:
            raise AuthFailure(
                "forbidden",
                f"导购 {guide_id} 还没有密码，请总部设置 / guide {guide_id} has no PIN: HQ sets"
                " one with guidedesk-hq set-pin",
                403,
            )
        with _VERIFYING:
            good = auth.verify_pin(verifier, pin)
            renewed = (
                auth.PIN_HASHER.hash(pin)
                if good and not pin_rules.must_change(pin) and auth.verifier_outdated(verifier)
                else None
            )
        if not good:
            self._wrong_pin(terminal, guide_id)
        return self._signed_in(terminal, guide_id, pin, verifier, renewed)

    def _wrong_pin(self, terminal: TerminalRecord, guide_id: str) -> None:
        with self.write() as tx:
            failures, locked_now, locked = _count_failure(tx, guide_id)
            audit.record(
                tx,
                action="pin_wrong",
                guide_id=guide_id,
                terminal_id=terminal.id,
                details={"failures": failures},
            )
            if locked_now:
                _end_sessions(tx, guide_id)
                audit.record(
                    tx,
                    action="guide_locked",
                    guide_id=guide_id,
                    terminal_id=terminal.id,
                    reason="wrong_pins",
                    details={"failures": failures},
                )
        if locked:
            raise _locked(guide_id)
        remaining = max(0, protocol.PIN_LOCK_AFTER - failures)
        raise AuthFailure(
            "wrong_pin",
            f"密码不对，还可以再试 {remaining} 次 / wrong PIN: {remaining} tries left before"
            " this guide is locked",
            401,
            remaining_tries=remaining,
        )

    def _signed_in(
        self,
        terminal: TerminalRecord,
        guide_id: str,
        pin: str,
        verifier: str,
        renewed: str | None,
    ) -> SignIn:
        secret = auth.new_session()
        now = self.clock()
        expires = iso(now + timedelta(hours=protocol.SESSION_HOURS))
        with self.write() as tx:
            # Judged again inside the transaction: a lock or a departure may have landed
            # while the PIN was being checked.
            guide = (
                tx.conn.execute(sa.select(guides).where(guides.c.id == guide_id)).mappings().first()
            )
            state = (
                tx.conn.execute(sa.select(guide_pins).where(guide_pins.c.guide_id == guide_id))
                .mappings()
                .first()
            )
            if guide is None or not guide["active"]:
                raise _disabled(guide_id)
            if state is not None and state["locked_at"]:
                raise _locked(guide_id)
            if state is not None and state["failures"]:
                tx.conn.execute(
                    guide_pins.update().where(guide_pins.c.guide_id == guide_id).values(failures=0)
                )
            must_change = bool(guide["pin_must_change"]) or pin_rules.must_change(pin)
            if must_change and not guide["pin_must_change"]:
                tx.conn.execute(
                    guides.update().where(guides.c.id == guide_id).values(pin_must_change=True)
                )
            if renewed is not None and guide["pin_verifier"] == verifier:
                record = ENTITY_SPECS["guide"].to_record(guide) | {"pin_verifier": renewed}
                tx.put("guide", [record], scopes=guide["store_id"])
            tx.conn.execute(
                guide_sessions.insert().values(
                    id=auth.token_hash(secret),
                    guide_id=guide_id,
                    terminal_id=terminal.id,
                    issued_at=iso(now),
                    expires_at=expires,
                )
            )
            idle = _idle_lock(tx.conn)
        return SignIn(secret, expires, guide_id, must_change, idle)

    def guide_session(self, terminal: TerminalRecord, secret: str | None) -> GuideSession:
        """The live session ``secret`` names, issued to ``terminal``, of a guide who is
        still active and not locked; AuthFailure otherwise."""
        if not secret or len(secret) > 128:
            raise _session_invalid("no guide session (X-GuideDesk-Session)")
        now = self.now()
        with self.lookup() as conn:
            row = (
                conn.execute(
                    sa.select(guide_sessions).where(guide_sessions.c.id == auth.token_hash(secret))
                )
                .mappings()
                .first()
            )
            if row is None or row["terminal_id"] != terminal.id:
                raise _session_invalid("unknown guide session")
            guide = conn.execute(
                sa.select(guides.c.active).where(guides.c.id == row["guide_id"])
            ).first()
            locked = conn.execute(
                sa.select(guide_pins.c.locked_at).where(guide_pins.c.guide_id == row["guide_id"])
            ).scalar()
        # The guide's state first: a lock or a departure also ended the session, and the
        # terminal should say which.
        if guide is None or not guide[0]:
            raise _disabled(row["guide_id"])
        if locked:
            raise _locked(row["guide_id"])
        if row["revoked_at"] or row["expires_at"] <= now:
            raise _session_invalid("the guide session ended")
        return _session_record(row)

    def sign_out(self, session: GuideSession) -> None:
        with self.write() as tx:
            tx.conn.execute(
                guide_sessions.update()
                .where(guide_sessions.c.id == session.id, guide_sessions.c.revoked_at.is_(None))
                .values(revoked_at=tx.now)
            )

    def change_pin(self, session: GuideSession, new_pin: str) -> None:
        """The signed-in guide's new PIN (AuthFailure weak_pin when the rule refuses it,
        or when it is the PIN it would replace); terminals get the new verifier with the
        next pull."""
        problem = auth.pin_problem(new_pin)
        with self.lookup() as conn:
            current = conn.execute(
                sa.select(guides.c.pin_verifier).where(guides.c.id == session.guide_id)
            ).scalar()
        if problem is None:
            with _VERIFYING:
                if auth.verify_pin(current, new_pin):
                    problem = "the new PIN is the one it replaces"
        if problem is not None:
            raise AuthFailure("weak_pin", f"新密码不符合要求 / {problem}", 422)
        verifier = auth.pin_verifier(new_pin)
        with self.write() as tx:
            _set_verifier(tx, session.guide_id, verifier, must_change=False)
            audit.record(
                tx, action="pin_changed", guide_id=session.guide_id, terminal_id=session.terminal_id
            )

    def set_pin(
        self, guide_id: str, pin: str, *, must_change: bool = False, actor: str | None = None
    ) -> None:
        """HQ sets a guide's PIN (refused when shorter than the rule or trivial). Wrong
        PINs are forgotten and a lock is lifted: a new PIN starts afresh. ``must_change``:
        a temporary PIN the guide replaces at their next sign-in at HQ."""
        try:
            verifier = auth.pin_verifier(pin)
        except ValueError as exc:
            raise StorageError(str(exc)) from exc
        with self.write() as tx:
            if tx.get("guide", guide_id) is None:
                raise NotFound(f"guide {guide_id} does not exist")
            _set_verifier(tx, guide_id, verifier, must_change=must_change)
            tx.conn.execute(
                guide_pins.update()
                .where(guide_pins.c.guide_id == guide_id)
                .values(failures=0, locked_at=None)
            )
            audit.record(
                tx,
                action="pin_set",
                guide_id=guide_id,
                actor=actor,
                details={"must_change": must_change},
            )

    # -- locks -----------------------------------------------------------------------

    def unlock_guide(
        self,
        guide_id: str,
        *,
        actor: str | None = None,
        by: GuideSession | None = None,
    ) -> bool:
        """Lift a guide's lock and forget their wrong PINs; True when they were locked.

        ``by``: the session of the store manager doing it at a terminal (checked here: a
        manager of the guide's store); otherwise HQ does it (``actor``, the operator)."""
        with self.write() as tx:
            guide = tx.get("guide", guide_id) if _plain_id(guide_id) else None
            if by is not None:
                manager = tx.get("guide", by.guide_id)
                if (
                    manager is None
                    or not manager["is_manager"]
                    or guide is None
                    or guide["store_id"] != manager["store_id"]
                ):
                    raise AuthFailure(
                        "forbidden",
                        "只有本店店长可以解锁导购 / only the manager of the guide's store may"
                        " unlock them",
                        403,
                    )
            if guide is None:
                raise NotFound(f"guide {guide_id} does not exist")
            locked_at = tx.conn.execute(
                sa.select(guide_pins.c.locked_at).where(guide_pins.c.guide_id == guide_id)
            ).scalar()
            tx.conn.execute(
                guide_pins.update()
                .where(guide_pins.c.guide_id == guide_id)
                .values(failures=0, locked_at=None)
            )
            was_locked = locked_at is not None
            if was_locked:
                audit.record(
                    tx,
                    action="guide_unlocked",
                    guide_id=guide_id,
                    actor=actor,
                    terminal_id=by.terminal_id if by else None,
                    details={"by_guide": by.guide_id} if by else None,
                )
        return was_locked

    def pin_state(self, guide_id: str) -> dict[str, Any]:
        """Wrong PINs, lock and must-change of a guide (for the CLI)."""
        with self.read() as conn:
            guide = conn.execute(
                sa.select(guides.c.id, guides.c.pin_must_change).where(guides.c.id == guide_id)
            ).first()
            if guide is None:
                raise NotFound(f"guide {guide_id} does not exist")
            state = (
                conn.execute(sa.select(guide_pins).where(guide_pins.c.guide_id == guide_id))
                .mappings()
                .first()
            )
        return {
            "guide_id": guide_id,
            "failures": state["failures"] if state else 0,
            "last_failure_at": state["last_failure_at"] if state else None,
            "locked_at": state["locked_at"] if state else None,
            "must_change_pin": bool(guide[1]),
        }

    def locked_guides(self, store_id: str) -> list[str]:
        with self.lookup() as conn:
            rows = conn.execute(
                sa.select(guide_pins.c.guide_id)
                .join(guides, guides.c.id == guide_pins.c.guide_id)
                .where(guides.c.store_id == store_id, guide_pins.c.locked_at.is_not(None))
                .order_by(guide_pins.c.guide_id)
            )
            return [r[0] for r in rows]


def sessions_by_secret(conn: Connection, secrets: Iterable[str]) -> dict[str, GuideSession]:
    """The sessions these secrets name (for a push), by secret."""
    by_hash = {auth.token_hash(s): s for s in secrets if s and len(s) <= 128}
    found: dict[str, GuideSession] = {}
    hashes = list(by_hash)
    for start in range(0, len(hashes), 500):
        rows = conn.execute(
            sa.select(guide_sessions).where(guide_sessions.c.id.in_(hashes[start : start + 500]))
        ).mappings()
        for row in rows:
            found[by_hash[row["id"]]] = _session_record(row)
    return found


def locks_of(conn: Connection, guide_ids: Iterable[str]) -> dict[str, str]:
    """When each of these guides was locked (only the locked ones)."""
    ids = list(guide_ids)
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            sa.select(guide_pins.c.guide_id, guide_pins.c.locked_at).where(
                guide_pins.c.guide_id.in_(ids[start : start + 500]),
                guide_pins.c.locked_at.is_not(None),
            )
        )
        found.update({g: at for g, at in rows})
    return found


def _idle_lock(conn: Connection) -> int:
    value = _meta_get(conn, "idle_lock_seconds")
    return int(value) if value else protocol.IDLE_LOCK_SECONDS


def _count_failure(tx: Tx, guide_id: str) -> tuple[int, bool, bool]:
    """One more wrong PIN for ``guide_id``: (failures in a row, locked by this one,
    locked at all)."""
    insert = (pg_insert if tx.postgres else sqlite_insert)(guide_pins)
    tx.conn.execute(insert.values(guide_id=guide_id, failures=0).on_conflict_do_nothing())
    failures, locked_at = tx.conn.execute(
        guide_pins.update()
        .where(guide_pins.c.guide_id == guide_id)
        .values(failures=guide_pins.c.failures + 1, last_failure_at=tx.now)
        .returning(guide_pins.c.failures, guide_pins.c.locked_at)
    ).one()
    if locked_at is None and failures >= protocol.PIN_LOCK_AFTER:
        tx.conn.execute(
            guide_pins.update().where(guide_pins.c.guide_id == guide_id).values(locked_at=tx.now)
        )
        return failures, True, True
    return failures, False, locked_at is not None


def _end_sessions(tx: Tx, guide_id: str) -> None:
    tx.conn.execute(
        guide_sessions.update()
        .where(guide_sessions.c.guide_id == guide_id, guide_sessions.c.revoked_at.is_(None))
        .values(revoked_at=tx.now)
    )


def _set_verifier(tx: Tx, guide_id: str, verifier: str, *, must_change: bool) -> None:
    guide = tx.get("guide", guide_id, lock=True)
    if guide is None:
        raise NotFound(f"guide {guide_id} does not exist")
    record = guide | {"pin_verifier": verifier}
    tx.put("guide", [record], scopes=guide["store_id"], extra={"pin_must_change": must_change})
