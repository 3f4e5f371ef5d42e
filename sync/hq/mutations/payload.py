"""What every mutation handler shares: reading payload fields, and whether a guide may
write to a customer. Each check fails with :class:`Rejected`, whose message goes back
to the terminal as the reason.

By the time a handler runs, the payload has been checked against its declaration in
sync/records.py (types, lengths, control characters, dates) and the acting guide
against the rules of sync/hq/authz.py; what is left here is per-record: the customer
exists, and this guide may act on them with an edit made when it was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from sync import protocol, records
from sync.hq import authz
from sync.hq.errors import Rejected
from sync.hq.schema import customer_owners
from sync.hq.tx import Tx

_MAX_TEXT = 4_000


def _field(
    payload: Mapping[str, Any],
    name: str,
    *,
    required: bool = True,
    kind: type = str,
    max_len: int = 200,
) -> Any:
    value = payload.get(name)
    if value is None:
        if required:
            raise Rejected(f"缺少字段 / payload field {name!r} is missing")
        return None
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise Rejected(f"字段格式不对 / payload field {name!r} must be a {kind.__name__}")
    if isinstance(value, str) and len(value) > max_len:
        raise Rejected(f"字段太长 / payload field {name!r} is longer than {max_len}")
    return value


def _timestamp(payload: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    """An ISO date or time (already checked against the declaration; checked again here
    for handlers that read a field the declaration does not type)."""
    value = _field(payload, name, required=required, max_len=40)
    if value is not None and not (records.parse_timestamp(value) or records.parse_date(value)):
        raise Rejected(f"时间格式不对 / payload field {name!r} is not an ISO date or time")
    return value


def _customer_for(
    tx: Tx, guide: Mapping[str, Any], customer_id: Any, m: protocol.Mutation
) -> dict[str, Any]:
    """The customer, locked, if this guide may act on them with this mutation (the rules
    of sync/hq/authz.py, by the mutation's ``created_at``); otherwise Rejected."""
    if not isinstance(customer_id, str) or not customer_id:
        raise Rejected("缺少顾客编号 / payload field 'customer_id' is missing")
    customer = tx.get("customer", customer_id, lock=True)
    if customer is None:
        raise Rejected(f"顾客 {customer_id} 在总部不存在 / customer {customer_id} is unknown to HQ")
    made_at = records.parse_timestamp(m.created_at)
    if made_at is None:  # admitted mutations carry a valid one: this is a second guard
        raise Rejected("时间格式不对 / created_at is not an ISO-8601 time")
    owners = [
        dict(r)
        for r in tx.conn.execute(
            sa.select(customer_owners)
            .where(customer_owners.c.customer_id == customer_id)
            .order_by(customer_owners.c.id)
        ).mappings()
    ]
    decision = authz.check_customer(guide, customer, owners, made_at=made_at)
    if not decision.allowed:
        raise Rejected(decision.reason)
    return customer


def _record_id(m: protocol.Mutation) -> str:
    record_id = m.payload.get("id", m.entity_id)
    if record_id != m.entity_id:
        raise Rejected("记录编号不一致 / payload id differs from the mutation's entity_id")
    if ":" in m.entity_id:
        raise Rejected("记录编号不能包含冒号 / a record id may not contain ':'")
    return m.entity_id
