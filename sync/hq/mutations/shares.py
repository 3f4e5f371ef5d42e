"""A share: content a guide sent to a customer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import protocol
from sync.hq.mutations.payload import _customer_for, _field, _record_id, _timestamp
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
    }
    tx.insert_if_new("share", record, scope=customer["store_id"])
