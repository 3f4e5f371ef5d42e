"""Applying pushed mutations: one transaction each, recorded by client id so a retried
push is recognised and never applied twice.

:class:`Push` is HQStorage's ``push``; :data:`HANDLERS` maps (entity, op) to a handler,
one module per entity family. The payload helpers every handler shares are
``payload.py`` (a module of their own, so handler modules can import them without an
import circle through this package), re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync import protocol
from sync.hq.errors import Rejected
from sync.hq.mutations.appointments import _appointment_create, _appointment_update
from sync.hq.mutations.audit import _audit_reveal_phone
from sync.hq.mutations.customers import _customer_update, _followup_create
from sync.hq.mutations.payload import _MAX_TEXT, _customer_for, _field, _record_id, _timestamp
from sync.hq.mutations.shares import _share_create
from sync.hq.mutations.tasks import _task_target_complete
from sync.hq.schema import ENTITY_SPECS, guides, mutations
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx

__all__ = [
    "HANDLERS",
    "_MAX_TEXT",
    "Push",
    "_customer_for",
    "_field",
    "_handler",
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
        again with its first reason), or rejected with a plain reason.
        """
        with self.lookup() as conn:
            seen = _seen_mutations(conn, [m.id for m in batch])
            wanted = list({m.guide_id for m in batch if m.id not in seen})
            found = conn.execute(sa.select(guides).where(guides.c.id.in_(wanted))).mappings()
            by_id = {g["id"]: ENTITY_SPECS["guide"].to_record(g) for g in found}
        results = []
        for mutation in batch:
            previous = seen.get(mutation.id)
            if previous is None:
                previous = self._apply_mutation(terminal, mutation, by_id.get(mutation.guide_id))
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
        self, terminal: TerminalRecord, m: protocol.Mutation, guide: Mapping[str, Any] | None
    ) -> tuple[str, str]:
        now = self.now()
        row = {
            "id": m.id,
            "terminal_id": terminal.id,
            "guide_id": m.guide_id,
            "entity": m.entity,
            "op": m.op,
            "received_at": now,
        }
        try:
            handler = _handler(terminal, m, guide)
            with self.write() as tx:
                handler(tx, terminal, guide, m, now)
                tx.conn.execute(mutations.insert().values(**row, status="applied", reason=""))
            return ("applied", "")
        except Rejected as refusal:
            reason = str(refusal)
        except sa.exc.IntegrityError as exc:
            # A concurrent push of the same mutation won the race: report its outcome.
            again = self._seen_mutations([m.id]).get(m.id)
            if again is not None:
                return again
            reason = (
                f"总部无法保存这条记录 / HQ cannot store this record ({type(exc.orig).__name__})"
            )
        try:
            with self.write() as tx:
                tx.conn.execute(mutations.insert().values(**row, status="rejected", reason=reason))
        except sa.exc.IntegrityError:
            again = self._seen_mutations([m.id]).get(m.id)
            if again is None:
                raise
            return again
        return ("rejected", reason)


def _seen_mutations(conn: Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Outcome (status, reason) of the mutations HQ has seen among ``ids``."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        query = sa.select(mutations.c.id, mutations.c.status, mutations.c.reason).where(
            mutations.c.id.in_(ids[start : start + 500])
        )
        found.update({mid: (status, reason) for mid, status, reason in conn.execute(query)})
    return found


def _handler(
    terminal: TerminalRecord, m: protocol.Mutation, guide: Mapping[str, Any] | None
) -> _Handler:
    """The handler of a mutation, if its kind is known and its guide works in the
    terminal's store; otherwise Rejected (checked before any transaction starts)."""
    handler = HANDLERS.get((m.entity, m.op))
    if handler is None:
        raise Rejected(f"不支持的操作 / unknown mutation {m.entity}/{m.op}")
    if guide is None or guide["store_id"] != terminal.store_id:
        raise Rejected(
            f"导购 {m.guide_id} 不属于本门店 / guide {m.guide_id} is not a guide of store"
            f" {terminal.store_id}"
        )
    return handler


_Handler = Callable[[Tx, TerminalRecord, Mapping[str, Any], protocol.Mutation, str], None]
# The registry: (entity, op) -> handler. Public: the contract test checks it against the
# mutations sync/records.py declares.
HANDLERS: dict[tuple[str, str], _Handler] = {
    ("followup", "create"): _followup_create,
    ("customer", "update"): _customer_update,
    ("share", "create"): _share_create,
    ("appointment", "create"): _appointment_create,
    ("appointment", "update"): _appointment_update,
    ("task_target", "complete"): _task_target_complete,
    ("audit", "reveal_phone"): _audit_reveal_phone,
}
