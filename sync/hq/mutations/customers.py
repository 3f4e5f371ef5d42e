"""Customer mutations: a follow-up (跟进) written on a terminal, and a customer edit,
merged field by field with a lost edit kept as a conflict."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from app.domain.customers import EDITABLE_CUSTOMER_FIELDS, Channel
from sync import protocol
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
    customer = _customer_for(tx, guide, p.get("customer_id"))
    channel = _field(p, "channel", max_len=32)
    if channel not in {c.value for c in Channel}:
        raise Rejected(f"未知的跟进方式 / unknown follow-up channel {channel!r}")
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
    tx.insert_if_new(
        "followup",
        record,
        scope=customer["store_id"],
        extra={"terminal_id": terminal.id, "received_at": now},
    )


def _customer_update(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    fields = m.payload.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise Rejected("缺少修改内容 / payload needs {'fields': {name: {'old', 'new'}}}")
    for name, change in fields.items():
        if name not in EDITABLE_CUSTOMER_FIELDS:
            raise Rejected(f"字段不可在终端修改 / field {name!r} is not editable on a terminal")
        if not isinstance(change, dict) or "new" not in change:
            raise Rejected(f"字段 {name} 缺少新值 / field {name!r} needs 'old' and 'new'")
        _check_value(name, change.get("old"), allow_none=True)
        _check_value(name, change["new"], allow_none=False)
    customer = _customer_for(tx, guide, m.entity_id)
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


def _check_value(name: str, value: Any, *, allow_none: bool) -> None:
    if value is None:
        if allow_none:
            return
        raise Rejected(f"字段 {name} 的新值为空 / field {name!r} has no new value")
    if name == "tags":
        ok = isinstance(value, list) and all(isinstance(t, str) and len(t) <= 40 for t in value)
        ok = ok and len(value) <= 100
    elif name == "sizes":
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 40 and len(v) <= 40
            for k, v in value.items()
        )
    else:
        ok = isinstance(value, str) and len(value) <= _MAX_TEXT
    if not ok:
        raise Rejected(f"字段 {name} 的格式不对 / field {name!r} has a value of the wrong shape")
