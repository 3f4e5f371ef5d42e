"""Audit records terminals send: a guide revealed a customer's full phone number, or
copied it to the clipboard (PIPL: who saw which member's number, when, on which terminal).

HQ first checks that the guide may see that customer (sync/hq/authz.check_customer, by the
mutation's ``created_at``: a reveal made before a move is the former owner's right); a
guide's reveal or copy of another guide's customer is refused, and the refusal, with its
reason, stays in HQ's mutation log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from sync import protocol
from sync.hq.mutations.payload import _customer_for, _field, _timestamp
from sync.hq.schema import audit_log
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx


def _audit_phone(
    action: str,
    tx: Tx,
    terminal: TerminalRecord,
    guide: Mapping[str, Any],
    m: protocol.Mutation,
    now: str,
) -> None:
    p = m.payload
    audit_id = _field(p, "id", required=False, max_len=128) or m.id
    customer_id = _field(p, "customer_id", required=False, max_len=128) or m.entity_id
    customer = _customer_for(tx, guide, customer_id, m)
    at = _timestamp(p, "at", required=False) or m.created_at or now
    exists = tx.conn.execute(sa.select(audit_log.c.id).where(audit_log.c.id == audit_id)).first()
    if exists is None:
        tx.conn.execute(
            audit_log.insert().values(
                id=audit_id,
                action=action,
                guide_id=guide["id"],
                terminal_id=terminal.id,
                customer_id=customer["id"],
                at=at,
                received_at=now,
            )
        )


def _audit_reveal_phone(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    _audit_phone("reveal_phone", tx, terminal, guide, m, now)


def _audit_copy_phone(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    _audit_phone("copy_phone", tx, terminal, guide, m, now)
