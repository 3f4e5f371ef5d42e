"""A share: content a guide sent to a customer.

Completing a content_share target is not derived here: the terminal queues
``task_target/complete`` right after ``share/create`` (app/store/content.record_share), the
one source of truth for a completion, so nothing is counted twice.

Contact cap (app/domain/outreach.py): HQ re-counts the customer's outreach in the store's
window across all guides from its own tables. A share over the cap is still stored (the
message was sent already) with ``over_cap`` true; with the guide's ``override_reason`` it
is over the cap too, but justified. A share to a customer who had opted out of marketing
by then (the sending terminal did not know yet) is stored with ``opted_out`` true. Never a
rejection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from app.domain.outreach import DEFAULT_CAP_DAYS, Cap, is_marketing_followup
from sync import protocol, records
from sync.hq.mutations.payload import _customer_for, _field, _record_id, _timestamp
from sync.hq.schema import ENTITY_SPECS
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx


def _share_create(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    share_id = _record_id(m)
    customer = _customer_for(tx, guide, p.get("customer_id"), m)
    record = {
        "id": share_id,
        "customer_id": customer["id"],
        "guide_id": guide["id"],
        "content_id": _field(p, "content_id", required=False, max_len=128),
        "task_id": _field(p, "task_id", required=False, max_len=128),
        "channel": _field(p, "channel", required=False, max_len=32) or "wechat",
        "shared_at": _timestamp(p, "shared_at"),
        "override_reason": _field(p, "override_reason", required=False, max_len=200) or "",
        # Checked against the contract before any handler runs (records.check_payload).
        "category_631": p.get("category_631"),
        "body": p.get("body") or "",
        "images": list(p.get("images") or []),
        "skus": list(p.get("skus") or []),
    }
    if record["category_631"] is None and record["content_id"]:
        piece = tx.get("content", record["content_id"])  # an older terminal: the piece's
        record["category_631"] = piece.get("category_631") if piece else None
    record["over_cap"] = _over_cap(tx, customer, share_id, record["shared_at"])
    # Sent from a terminal that did not know of the opt-out yet: stored (it was sent),
    # flagged for the manager, never a rejection.
    record["opted_out"] = bool(customer.get("marketing_opt_out"))
    tx.insert_if_new("share", record, scope=customer["store_id"])


def _over_cap(tx: Tx, customer: Mapping[str, Any], share_id: str, shared_at: str) -> bool:
    """The customer was at or over the store's cap when this share was sent (it not counted)."""
    store = tx.get("store", customer["store_id"]) or {}
    cap = Cap(store.get("contact_cap"), store.get("contact_cap_days") or DEFAULT_CAP_DAYS)
    moment = records.parse_timestamp(shared_at)
    if cap.limit is None or moment is None:
        return False
    start = cap.window_start(moment)

    def within(value: Any) -> bool:
        when = records.parse_timestamp(str(value)) if value is not None else None
        return when is not None and start <= when <= moment

    shares = ENTITY_SPECS["share"].table
    count = sum(
        within(r.shared_at)
        for r in tx.conn.execute(
            sa.select(shares.c.id, shares.c.shared_at).where(
                shares.c.customer_id == customer["id"], shares.c.id != share_id
            )
        )
    )
    followups = ENTITY_SPECS["followup"].table
    tasks = ENTITY_SPECS["task"].table
    rows = tx.conn.execute(
        sa.select(followups.c.created_at, tasks.c.kind)
        .select_from(followups.join(tasks, tasks.c.id == followups.c.task_id))
        .where(followups.c.customer_id == customer["id"])
    )
    count += sum(within(r.created_at) and is_marketing_followup(r.kind) for r in rows)
    return cap.over(count)


def set_contact_cap(storage: Any, cap: int | None, days: int, store: str | None) -> list[str]:
    """HQ's ``set-contact-cap``: the stores' ``contact_cap`` / ``contact_cap_days`` (one store,
    or all), written through the changelog so terminals get it at their next pull."""
    if (cap is not None and not 1 <= cap <= 1000) or not 1 <= days <= 366:
        raise ValueError("cap must be 1..1000 (0/none clears) and days 1..366")
    table = ENTITY_SPECS["store"].table
    with storage.write() as tx:
        query = sa.select(table.c.id)
        if store is not None:
            query = query.where(table.c.id == store)
        ids = [r.id for r in tx.conn.execute(query)]
        for sid in ids:
            record = tx.get("store", sid, lock=True)
            if record is None:
                continue
            new = record | {"contact_cap": cap, "contact_cap_days": days}
            if new != record:
                tx.put("store", [new], scopes=sid)
    return ids
