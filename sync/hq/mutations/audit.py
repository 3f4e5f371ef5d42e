"""Audit records terminals send: a guide revealed a customer's full phone number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from sync import protocol
from sync.hq.mutations.payload import _field, _timestamp
from sync.hq.schema import audit_log
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx


def _audit_reveal_phone(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    # Recorded even when the customer has moved on since: the audit trail is the point.
    p = m.payload
    audit_id = _field(p, "id", required=False, max_len=128) or m.id
    customer_id = _field(p, "customer_id", required=False, max_len=128) or m.entity_id
    at = _timestamp(p, "at", required=False) or m.created_at or now
    exists = tx.conn.execute(sa.select(audit_log.c.id).where(audit_log.c.id == audit_id)).first()
    if exists is None:
        tx.conn.execute(
            audit_log.insert().values(
                id=audit_id,
                action="reveal_phone",
                guide_id=guide["id"],
                terminal_id=terminal.id,
                customer_id=customer_id,
                at=at,
                received_at=now,
            )
        )
