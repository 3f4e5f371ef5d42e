"""Task mutations: a guide completes a task target (one customer of a task); the store
manager (店长) approves or rejects it (manager-only: sync/records.py, sync/hq/authz.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.tasks import TaskTargetStatus
from sync import protocol
from sync.hq.errors import Rejected
from sync.hq.mutations.payload import _customer_for
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx


def _target(tx: Tx, m: protocol.Mutation) -> tuple[dict[str, Any], str]:
    p = m.payload
    task_id, customer_id = p.get("task_id"), p.get("customer_id")
    if task_id is None or customer_id is None:
        task_id, _, customer_id = m.entity_id.partition(":")
    if not (task_id and customer_id):
        raise Rejected("任务目标不明 / task target needs task_id and customer_id")
    target = tx.get("task_target", f"{task_id}:{customer_id}", lock=True)
    if target is None:
        raise Rejected(f"任务目标不存在 / task target {task_id}:{customer_id} is unknown to HQ")
    return target, customer_id


def _task_target_complete(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    target, customer_id = _target(tx, m)
    customer = _customer_for(tx, guide, customer_id, m)
    if target["status"] == TaskTargetStatus.APPROVED:
        raise Rejected("店长已确认，不能再修改 / the manager approved this target already")
    updated = {
        **target,
        "status": TaskTargetStatus.DONE.value,
        "completed_at": m.payload.get("completed_at") or m.created_at,
        "completed_by": guide["id"],  # the author keeps the completion, whoever owns it later
        "outcome": m.payload.get("outcome"),
        "evidence": m.payload.get("evidence") or "",
        "evidence_picture": m.payload.get("evidence_picture"),
        "review_comment": "",
        "reviewed_by": None,
        "reviewed_at": None,
    }
    if updated != target:
        tx.put("task_target", [updated], scopes=customer["store_id"])


_REVIEWED = (TaskTargetStatus.APPROVED.value, TaskTargetStatus.REJECTED.value)


def _task_target_review(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    target, customer_id = _target(tx, m)
    customer = _customer_for(tx, guide, customer_id, m)
    status = m.payload["status"]
    if status not in _REVIEWED:
        raise Rejected("审核结果应为通过或驳回 / a review is 'approved' or 'rejected'")
    if target["status"] not in (TaskTargetStatus.DONE, *_REVIEWED):
        raise Rejected("导购尚未完成，无法审核 / the guide has not completed this target yet")
    # Rejected is open again for its guide (complete accepts it), with the comment shown.
    updated = {
        **target,
        "status": status,
        "review_comment": m.payload.get("review_comment") or "",
        "reviewed_by": guide["id"],
        "reviewed_at": m.created_at,
    }
    if updated != target:
        tx.put("task_target", [updated], scopes=customer["store_id"])


def _task_target_reassign(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    target, customer_id = _target(tx, m)
    customer = _customer_for(tx, guide, customer_id, m)
    if target["status"] not in (TaskTargetStatus.OPEN, TaskTargetStatus.REJECTED):
        raise Rejected("只能转派未完成的任务 / only an open target can be given to another guide")
    heir = tx.get("guide", m.payload["guide_id"])
    if heir is None or heir["store_id"] != guide["store_id"] or not heir["active"]:
        raise Rejected("只能转派给本店在职导购 / choose an active guide of this store")
    if target["guide_id"] != heir["id"]:
        tx.put("task_target", [{**target, "guide_id": heir["id"]}], scopes=customer["store_id"])
