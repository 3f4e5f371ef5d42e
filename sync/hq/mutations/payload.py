"""What every mutation handler shares: reading payload fields, and whether a guide may
write to a customer. Each check fails with :class:`Rejected`, whose message goes back
to the terminal as the reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from sync import protocol
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
    value = _field(payload, name, required=required, max_len=40)
    if value is not None and not (len(value) >= 10 and value[:4].isdigit() and value[4] == "-"):
        raise Rejected(f"时间格式不对 / payload field {name!r} is not an ISO date or time")
    return value


def _customer_for(tx: Tx, guide: Mapping[str, Any], customer_id: Any) -> dict[str, Any]:
    """The customer, locked, if this guide may write to them; otherwise Rejected.

    Allowed: the owner now; the manager of the customer's store; and anyone who owned
    the customer before (or managed a store that held them) — a late edit made on a
    terminal before HQ moved the customer is accepted, never dropped.
    """
    if not isinstance(customer_id, str) or not customer_id:
        raise Rejected("缺少顾客编号 / payload field 'customer_id' is missing")
    customer = tx.get("customer", customer_id, lock=True)
    if customer is None:
        raise Rejected(f"顾客 {customer_id} 在总部不存在 / customer {customer_id} is unknown to HQ")
    if customer["guide_id"] == guide["id"]:
        return customer
    if guide["is_manager"] and customer["store_id"] == guide["store_id"]:
        return customer
    earlier = customer_owners.c.guide_id == guide["id"]
    if guide["is_manager"]:
        earlier = sa.or_(earlier, customer_owners.c.store_id == guide["store_id"])
    owned_before = tx.conn.execute(
        sa.select(customer_owners.c.id)
        .where(customer_owners.c.customer_id == customer_id, earlier)
        .limit(1)
    ).first()
    if owned_before is not None:
        return customer
    raise Rejected(
        f"顾客不属于该导购 / customer {customer_id} is not assigned to guide {guide['id']}"
    )


def _record_id(m: protocol.Mutation) -> str:
    record_id = m.payload.get("id", m.entity_id)
    if record_id != m.entity_id:
        raise Rejected(f"记录编号不一致 / payload id {record_id!r} differs from {m.entity_id!r}")
    if ":" in m.entity_id:
        raise Rejected("记录编号不能包含冒号 / a record id may not contain ':'")
    return m.entity_id
