"""Task mutations: a guide completes a task target (one customer of a task)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import protocol
from sync.hq.errors import Rejected
from sync.hq.mutations.payload import _MAX_TEXT, _customer_for, _field, _timestamp
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx


def _task_target_complete(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    task_id = p.get("task_id")
    customer_id = p.get("customer_id")
    if task_id is None or customer_id is None:
        task_id, _, customer_id = m.entity_id.partition(":")
    if not (isinstance(task_id, str) and isinstance(customer_id, str) and task_id and customer_id):
        raise Rejected("任务目标不明 / task target needs task_id and customer_id")
    target = tx.get("task_target", f"{task_id}:{customer_id}", lock=True)
    if target is None:
        raise Rejected(f"任务目标不存在 / task target {task_id}:{customer_id} is unknown to HQ")
    customer = _customer_for(tx, guide, customer_id)
    updated = {
        **target,
        "status": "completed",
        "completed_at": _timestamp(p, "completed_at", required=False) or now,
        "evidence": _field(p, "evidence", required=False, max_len=_MAX_TEXT) or "",
    }
    if updated != target:
        tx.put("task_target", [updated], scopes=customer["store_id"])
