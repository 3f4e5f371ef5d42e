"""HQ's audit log: who did what to which customer or guide, and when.

Every move and departure writes its entries in the same transaction as the move itself
(:func:`record`, :func:`record_many`), so the log never claims a move that did not happen
nor misses one that did. Other parts of HQ write here too (a guide's phone reveal, sign-in
locks); :func:`entries` is what ``guidedesk-hq audit`` reads.

Columns (``sync/hq/schema.py`` ``audit_log``): ``at`` (HQ's clock), ``actor`` (the HQ
operator, the OS user of guidedesk-hq; None for what a terminal sent), ``action``
('move', 'depart', 'reveal_phone', …), ``customer_id``, ``guide_id`` (the guide acted on
or acting), ``from_guide`` / ``to_guide`` (a move), ``reason``, ``detail`` (JSON text).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.hq.db import _json
from sync.hq.schema import audit_log

if TYPE_CHECKING:
    from sync.hq.tx import Tx

_COLUMNS = (
    "id",
    "action",
    "guide_id",
    "terminal_id",
    "customer_id",
    "detail",
    "at",
    "received_at",
    "actor",
    "from_guide",
    "to_guide",
    "reason",
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log, as ``guidedesk-hq audit`` shows it."""

    id: str
    at: str
    action: str
    actor: str | None
    customer_id: str | None
    guide_id: str | None
    from_guide: str | None
    to_guide: str | None
    reason: str | None
    terminal_id: str | None
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "action": self.action,
            "actor": self.actor,
            "customer_id": self.customer_id,
            "guide_id": self.guide_id,
            "from_guide": self.from_guide,
            "to_guide": self.to_guide,
            "reason": self.reason,
            "terminal_id": self.terminal_id,
            "details": self.details,
        }


_counter = itertools.count()


def _new_id() -> str:
    """An id that sorts in the order entries were written (nanoseconds, then a counter):
    entries of one transaction share ``at``, and the log lists them as they happened."""
    return f"hq-{time.time_ns():016x}-{next(_counter) % 10**6:06d}-{uuid.uuid4().hex[:8]}"


def _row(
    now: str,
    *,
    action: str,
    actor: str | None = None,
    customer_id: str | None = None,
    guide_id: str | None = None,
    from_guide: str | None = None,
    to_guide: str | None = None,
    reason: str | None = None,
    terminal_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: str | None = None,
    entry_id: str | None = None,
) -> tuple[Any, ...]:
    values = {
        "id": entry_id or _new_id(),
        "action": action,
        "guide_id": guide_id,
        "terminal_id": terminal_id,
        "customer_id": customer_id,
        "detail": _json(dict(details)) if details else "",
        "at": at or now,
        "received_at": now,
        "actor": actor,
        "from_guide": from_guide,
        "to_guide": to_guide,
        "reason": reason,
    }
    return tuple(values[c] for c in _COLUMNS)


def record(tx: Tx, *, action: str, **fields: Any) -> str:
    """Write one audit entry inside ``tx`` (the transaction of what it records).

    Keyword fields: actor, customer_id, guide_id, from_guide, to_guide, reason,
    terminal_id, details (a JSON-able mapping), at (defaults to the transaction's now),
    entry_id (defaults to a new id). Returns the entry's id.
    """
    row = _row(tx.now, action=action, **fields)
    tx.insert_rows(audit_log, _COLUMNS, [row])
    return row[0]


def record_many(tx: Tx, entries: Iterable[Mapping[str, Any]]) -> int:
    """Write many entries at once (a departure's one per customer): the keywords of
    :func:`record`, ``action`` included, one mapping per entry."""
    rows = [_row(tx.now, **entry) for entry in entries]
    for start in range(0, len(rows), 5_000):
        tx.insert_rows(audit_log, _COLUMNS, rows[start : start + 5_000])
    return len(rows)


def _details(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {"note": raw}  # an entry from before the log kept JSON
    return value if isinstance(value, dict) else {"note": raw}


def entries(
    conn: Connection,
    *,
    customer_id: str | None = None,
    guide_id: str | None = None,
    action: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries oldest first; ``guide_id`` matches the guide acted on, or either side of a
    move (from or to)."""
    query = sa.select(audit_log)
    if customer_id is not None:
        query = query.where(audit_log.c.customer_id == customer_id)
    if guide_id is not None:
        query = query.where(
            sa.or_(
                audit_log.c.guide_id == guide_id,
                audit_log.c.from_guide == guide_id,
                audit_log.c.to_guide == guide_id,
            )
        )
    if action is not None:
        query = query.where(audit_log.c.action == action)
    query = query.order_by(audit_log.c.at, audit_log.c.received_at, audit_log.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditEntry(
            id=r["id"],
            at=r["at"],
            action=r["action"],
            actor=r["actor"],
            customer_id=r["customer_id"],
            guide_id=r["guide_id"],
            from_guide=r["from_guide"],
            to_guide=r["to_guide"],
            reason=r["reason"],
            terminal_id=r["terminal_id"],
            details=_details(r["detail"]),
        )
        for r in conn.execute(query).mappings()
    ]
