"""Customer mutations: a follow-up (跟进) written on a terminal, and a customer edit,
merged field by field with a lost edit kept as a conflict."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from app.domain.customers import Channel
from sync import protocol
from sync.hq import authz, handover, tasks
from sync.hq.db import _json
from sync.hq.errors import Rejected
from sync.hq.mutations.payload import _MAX_TEXT, _customer_for, _field, _record_id, _timestamp
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx


def _followup_create(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    followup_id = _record_id(m)
    customer = _customer_for(tx, guide, p.get("customer_id"), m)
    channel = _field(p, "channel", max_len=32)
    if channel not in {c.value for c in Channel}:
        raise Rejected(f"未知的跟进方式 / unknown follow-up channel {channel!r}")
    if channel == Channel.COUNTER:
        raise Rejected("接待记录请用 followup/counter 发送 / a counter visit is followup/counter")
    record = {
        "id": followup_id,
        "customer_id": customer["id"],
        "guide_id": guide["id"],
        "channel": channel,
        "note": _field(p, "note", required=False, max_len=_MAX_TEXT) or "",
        "next_followup_on": _timestamp(p, "next_followup_on", required=False),
        "created_at": _timestamp(p, "created_at"),
        "task_id": _field(p, "task_id", required=False, max_len=128),
    }
    inserted = tx.insert_if_new(
        "followup",
        record,
        scope=customer["store_id"],
        extra={"terminal_id": terminal.id, "received_at": now},
    )
    if inserted and customer["guide_id"] != guide["id"]:
        handover.refresh_brief(tx, customer["id"], guide["id"])  # a late edit of the former owner


def _followup_counter(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    """A colleague's counter visit (接待记录): any guide of the customer's store may write
    it (authz.check_colleague); stored as a follow-up of channel 'counter' by that guide,
    with no next date, so it reaches the owner's timeline and changes nothing else."""
    p = m.payload
    followup_id = _record_id(m)
    customer_id = p.get("customer_id")
    if not isinstance(customer_id, str) or not customer_id:
        raise Rejected("缺少顾客编号 / payload field 'customer_id' is missing")
    customer = tx.get("customer", customer_id, lock=True)
    if customer is None:
        raise Rejected(f"顾客 {customer_id} 在总部不存在 / customer {customer_id} is unknown to HQ")
    decision = authz.check_colleague(guide, customer)
    if not decision.allowed:
        raise Rejected(decision.reason)
    record = {
        "id": followup_id,
        "customer_id": customer["id"],
        "guide_id": guide["id"],
        "channel": Channel.COUNTER.value,
        "note": _field(p, "note", required=False, max_len=_MAX_TEXT) or "",
        "next_followup_on": None,
        "created_at": _timestamp(p, "created_at"),
        "task_id": None,
    }
    tx.insert_if_new(
        "followup",
        record,
        scope=customer["store_id"],
        extra={"terminal_id": terminal.id, "received_at": now},
    )


def _customer_update(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    # Shape and values checked against sync/records.py (check_payload) before this runs.
    fields = m.payload["fields"]
    customer = _customer_for(tx, guide, m.entity_id, m)
    authors = tx.field_authors(customer["id"])
    updated = dict(customer)
    lost: list[dict[str, Any]] = []
    for name, change in fields.items():
        old, new, current = change.get("old"), change["new"], customer[name]
        if name == "tags":
            # A set merge: apply what this guide added and removed to the current set.
            added = [t for t in new if t not in (old or [])]
            removed = set(old or []) - set(new)
            merged = [t for t in current if t not in removed]
            merged += [t for t in dict.fromkeys(added) if t not in merged]
            if merged != current:
                updated["tags"] = merged
                authors["tags"] = guide["id"]
        elif current == new:
            continue
        elif current == old:
            updated[name] = new
            authors[name] = guide["id"]
        else:
            loser = authors.get(name)
            lost.append(
                {
                    "id": str(uuid.uuid4()),
                    "customer_id": customer["id"],
                    "field": name,
                    "kept_value": _json(new),
                    "lost_value": _json(current),
                    "lost_by": loser,
                    "detail": (
                        f"{guide['name']}（{guide['id']}）的修改覆盖了"
                        f"{loser or '他人'}在此之前的修改 / {guide['id']}'s edit of {name}"
                        f" replaced a change made meanwhile by {loser or 'someone else'}"
                    ),
                    "created_at": now,
                }
            )
            updated[name] = new
            authors[name] = guide["id"]
    if updated != customer:
        tx.put(
            "customer",
            [updated],
            scopes=customer["store_id"],
            extra={"field_authors": _json(authors), "updated_at": now},
        )
    if lost:
        tx.put("conflict", lost, scopes=customer["store_id"])
    if updated.get("marketing_opt_out") and not customer.get("marketing_opt_out"):
        tasks.drop_marketing_targets(tx, customer["id"])  # no more marketing to them
    if updated != customer and customer["guide_id"] != guide["id"]:
        handover.refresh_brief(tx, customer["id"], guide["id"])  # a late edit of the former owner
