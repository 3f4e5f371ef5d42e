"""Applying pushed mutations: one transaction each, recorded by client id so a retried
push is recognised and never applied twice.

:class:`Push` is HQStorage's ``push``; :data:`HANDLERS` maps (entity, op) to a handler,
one module per entity family. The payload helpers every handler shares are
``payload.py`` (a module of their own, so handler modules can import them without an
import circle through this package), re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync import protocol, records
from sync.hq import authz, sessions
from sync.hq.errors import Rejected
from sync.hq.mutations.appointments import _appointment_create, _appointment_update
from sync.hq.mutations.audit import _audit_copy_phone, _audit_reveal_phone
from sync.hq.mutations.customers import _customer_update, _followup_counter, _followup_create
from sync.hq.mutations.payload import _MAX_TEXT, _customer_for, _field, _record_id, _timestamp
from sync.hq.mutations.shares import _share_create
from sync.hq.mutations.tasks import (
    _task_target_complete,
    _task_target_reassign,
    _task_target_review,
)
from sync.hq.mutations.tips import _tip_create
from sync.hq.schema import ENTITY_SPECS, guides, mutations
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx

__all__ = [
    "HANDLERS",
    "_MAX_TEXT",
    "Push",
    "_customer_for",
    "_field",
    "_record_id",
    "_seen_mutations",
    "_timestamp",
]


class Push:
    """HQStorage's push (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    def push(
        self, terminal: TerminalRecord, batch: Sequence[protocol.Mutation]
    ) -> list[dict[str, str]]:
        """Apply pushed mutations, each in its own transaction with its ``mutations`` row.

        Answers per mutation: applied, duplicate (seen before; a rejected one is rejected
        again with its first reason), or rejected with a plain reason. Nothing a mutation
        carries can fail the push: a bad one is rejected and the rest go on.
        """
        with self.lookup() as conn:
            seen = _seen_mutations(conn, [m.id for m in batch])
            # Only ids that are plain text reach a query (a NUL is an error on PostgreSQL).
            wanted = list({m.guide_id for m in batch if m.id not in seen and _plain(m.guide_id)})
            found = conn.execute(sa.select(guides).where(guides.c.id.in_(wanted))).mappings()
            by_id = {
                g["id"]: ENTITY_SPECS["guide"].to_record(g) | {"left_at": g["left_at"]}
                for g in found
            }
            locks = sessions.locks_of(conn, by_id)
            for guide_id, locked_at in locks.items():
                by_id[guide_id]["locked_at"] = locked_at
            claimed = sessions.sessions_by_secret(
                conn, {m.session for m in batch if m.id not in seen and m.session}
            )
        results = []
        for mutation in batch:
            previous = seen.get(mutation.id)
            if previous is None:
                session = claimed.get(mutation.session) if mutation.session else None
                previous = self._apply_mutation(
                    terminal, mutation, by_id.get(mutation.guide_id), session
                )
                seen[mutation.id] = previous
                status, reason = previous
            else:
                status, reason = previous
                status = "rejected" if status == "rejected" else "duplicate"
            results.append({"id": mutation.id, "status": status, "reason": reason})
        return results

    def _seen_mutations(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        with self.lookup() as conn:
            return _seen_mutations(conn, ids)

    def _apply_mutation(
        self,
        terminal: TerminalRecord,
        m: protocol.Mutation,
        guide: Mapping[str, Any] | None,
        session: sessions.GuideSession | None = None,
    ) -> tuple[str, str]:
        now = self.now()
        storable = all(_plain(v) for v in (m.guide_id, m.entity, m.op))
        row = {
            "id": m.id,
            "terminal_id": terminal.id,
            "guide_id": m.guide_id,
            "entity": m.entity,
            "op": m.op,
            "received_at": now,
            # Who acted: the HQ session it names (its id, never the secret), or offline.
            "session_id": session.id if session is not None else None,
            "signed_in": "hq" if m.session is not None else "offline",
        }
        try:
            handler, admitted = _admit(terminal, m, guide, self.clock(), session)
            with self.write() as tx:
                handler(tx, terminal, guide, admitted, now)
                tx.conn.execute(mutations.insert().values(**row, status="applied", reason=""))
            return ("applied", "")
        except Rejected as refusal:
            reason = str(refusal)
        except sa.exc.IntegrityError as exc:
            # A concurrent push of the same mutation won the race: report its outcome.
            again = self._seen_mutations([m.id]).get(m.id)
            if again is not None:
                return again
            reason = _cannot_store(exc)
        except sa.exc.OperationalError:
            raise  # the database is busy or gone: a 503, and the terminal retries
        except sa.exc.DBAPIError as exc:
            # Anything else the database refuses about this one record (a value it cannot
            # hold) rejects this mutation only; the message names no value.
            reason = _cannot_store(exc)
        if not storable:
            return ("rejected", reason)  # not recordable as given; rejected alike each time
        try:
            with self.write() as tx:
                tx.conn.execute(mutations.insert().values(**row, status="rejected", reason=reason))
        except sa.exc.IntegrityError:
            again = self._seen_mutations([m.id]).get(m.id)
            if again is None:
                raise
            return again
        return ("rejected", reason)


def _plain(value: str) -> bool:
    """One line of text HQ may store and echo (no controls, no lone surrogates)."""
    return records.text_problem(value, max_len=128) is None


def _cannot_store(exc: sa.exc.DBAPIError) -> str:
    return f"总部无法保存这条记录 / HQ cannot store this record ({type(exc.orig).__name__})"


def _admit(
    terminal: TerminalRecord,
    m: protocol.Mutation,
    guide: Mapping[str, Any] | None,
    now: datetime,
    session: sessions.GuideSession | None = None,
) -> tuple[_Handler, protocol.Mutation]:
    """Check a mutation before any transaction: a known kind, plain ids, a sane
    ``created_at``, a payload that fits its declaration (sync/records.py), an acting
    guide who may send it, and the guide session it names, if any (sync/hq/authz.py;
    ``session`` is what HQ found for ``m.session``). Returns its handler and the
    mutation; Rejected otherwise. Reasons echo only text that passed.

    (An envelope field that is not valid Unicode at all, such as a lone surrogate in
    ``op``, never gets here: the JSON decoder refuses the whole request with a 422. No
    terminal of ours can produce one: its own database cannot store such text.)"""
    for name, value in (("entity", m.entity), ("op", m.op), ("guide_id", m.guide_id)):
        if not _plain(value):
            raise Rejected(f"字段格式不对 / mutation field {name!r} is not plain text")
    if records.text_problem(m.entity_id, max_len=128) is not None:
        raise Rejected("记录编号格式不对 / entity_id is not plain text of at most 128 characters")
    handler = HANDLERS.get((m.entity, m.op))
    declared = records.MUTATIONS.get((m.entity, m.op))
    if handler is None or declared is None:
        raise Rejected(f"不支持的操作 / unknown mutation {m.entity}/{m.op}")
    made_at = records.parse_timestamp(m.created_at)
    decision = authz.check_made_at(made_at, now)
    if decision.allowed and made_at is not None:
        decision = authz.check_guide(
            guide,
            guide_id=m.guide_id,
            terminal_store=terminal.store_id,
            declared=declared,
            made_at=made_at,
        )
    if decision.allowed and made_at is not None and m.session is not None:
        decision = authz.check_session(
            _session_facts(session),
            guide_id=m.guide_id,
            terminal_id=terminal.id,
            made_at=made_at,
        )
    if decision.allowed and made_at is not None and guide is not None:
        decision = authz.check_lock(guide.get("locked_at"), guide_id=m.guide_id, made_at=made_at)
    if not decision.allowed:
        raise Rejected(decision.reason)
    try:
        checked = records.check_payload(m.entity, m.op, m.payload)
    except records.ContractError as exc:
        raise Rejected(f"内容不符合要求 / {exc}") from exc
    for name, value in checked.items():
        moment = records.parse_timestamp(value) if name in _MADE_AT else None
        if moment is not None and not authz.check_made_at(moment, now).allowed:
            raise Rejected(f"时间在未来 / payload field {name!r} is in the future")
    return handler, m


def _session_facts(session: sessions.GuideSession | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {
        "guide_id": session.guide_id,
        "terminal_id": session.terminal_id,
        "issued_at": session.issued_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
    }


# Payload fields that say when something happened: never far in the future.
_MADE_AT = frozenset({"created_at", "shared_at", "completed_at", "at"})


def _seen_mutations(conn: Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Outcome (status, reason) of the mutations HQ has seen among ``ids``."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        query = sa.select(mutations.c.id, mutations.c.status, mutations.c.reason).where(
            mutations.c.id.in_(ids[start : start + 500])
        )
        found.update({mid: (status, reason) for mid, status, reason in conn.execute(query)})
    return found


_Handler = Callable[[Tx, TerminalRecord, Mapping[str, Any], protocol.Mutation, str], None]
# The registry: (entity, op) -> handler. Public: the contract test checks it against the
# mutations sync/records.py declares.
HANDLERS: dict[tuple[str, str], _Handler] = {
    ("followup", "create"): _followup_create,
    ("followup", "counter"): _followup_counter,
    ("customer", "update"): _customer_update,
    ("share", "create"): _share_create,
    ("appointment", "create"): _appointment_create,
    ("appointment", "update"): _appointment_update,
    ("task_target", "complete"): _task_target_complete,
    ("task_target", "review"): _task_target_review,
    ("task_target", "reassign"): _task_target_reassign,
    ("audit", "reveal_phone"): _audit_reveal_phone,
    ("audit", "copy_phone"): _audit_copy_phone,
    ("tip", "create"): _tip_create,
}
