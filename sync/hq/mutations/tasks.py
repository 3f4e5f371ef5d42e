"""Task mutations: a guide completes a task target (one customer of a task); the store
manager (店长) approves or rejects it, or gives an open one to another guide
(manager-only: sync/records.py, sync/hq/authz.py).

Conflicts are kept and shown, never dropped (a ``conflict`` record with field
``task_target`` on the customer, which the terminal's profile lists):

- **Completed after cancel.** A completion that reaches HQ after its task was cancelled
  is applied (the target is ``done``, its author in ``completed_by``) and a conflict says
  "completed after cancel". Likewise a completion for a target HQ removed meanwhile (a
  re-publish no longer selected the customer, or the customer moved to another store):
  the target is written back as ``done`` and a conflict says so. A completion made against
  an older version of an edited task applies to the task as it is now.
- **Two guides complete the same target offline: first received wins.** HQ applies the
  first completion it receives; a later one by another guide leaves the target as it is
  and becomes a conflict naming its author and outcome (``lost_by``, ``lost_value``),
  beside the kept one (``kept_value``). The same guide completing again edits their own
  completion (until the manager approved it). A rejected target is open again: whoever
  completes it next is its new completion.
- **A review of a completion that changed since.** A review carries the ``completed_at``
  of the completion the manager saw; when the target's completion is another one now
  (completed again after a rejection, or by someone else), the review is rejected with
  the reason, which the manager's terminal shows. A review without it is judged on the
  target as it is (terminals older than this rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.tasks import TaskStatus, TaskTargetStatus
from sync import protocol, records
from sync.hq.errors import Rejected
from sync.hq.mutations.payload import _customer_for
from sync.hq.tasks import conflict_record
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx


def _ids(m: protocol.Mutation) -> tuple[str, str]:
    p = m.payload
    task_id, customer_id = p.get("task_id"), p.get("customer_id")
    if task_id is None or customer_id is None:
        task_id, _, customer_id = m.entity_id.partition(":")
    if not (task_id and customer_id):
        raise Rejected("任务目标不明 / task target needs task_id and customer_id")
    return task_id, customer_id


def _target(tx: Tx, m: protocol.Mutation) -> tuple[dict[str, Any], str]:
    task_id, customer_id = _ids(m)
    target = tx.get("task_target", f"{task_id}:{customer_id}", lock=True)
    if target is None:
        raise Rejected(f"任务目标不存在 / task target {task_id}:{customer_id} is unknown to HQ")
    return target, customer_id


_DONE = (TaskTargetStatus.DONE.value, TaskTargetStatus.APPROVED.value)


def _task_target_complete(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    task_id, customer_id = _ids(m)
    customer = _customer_for(tx, guide, customer_id, m)
    task = tx.get("task", task_id)
    if task is None:
        raise Rejected(f"任务不存在 / task {task_id} is unknown to HQ")
    target = tx.get("task_target", f"{task_id}:{customer_id}", lock=True)
    completion = {
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
    scope = customer["store_id"]
    notes: list[dict[str, Any]] = []
    who = f"{guide['name']}（{guide['id']}）"
    if target is None:
        target = {"task_id": task_id, "customer_id": customer_id, "guide_id": customer["guide_id"]}
        notes.append(
            conflict_record(
                customer_id,
                kept={**target, **completion},
                lost=None,
                lost_by=None,
                detail=(
                    f"{who}完成时该顾客已不在任务「{task['title']}」的目标中；完成记录已保留"
                    f" / completed after the customer was removed from task {task_id}:"
                    f" {guide['id']}'s completion is kept"
                ),
                now=now,
            )
        )
    elif target["status"] in _DONE and target.get("completed_by") not in (None, guide["id"]):
        # First received wins: the later completion is kept as a conflict, not applied.
        first = target["completed_by"]
        record = conflict_record(
            customer_id,
            kept=target,
            lost={**target, **completion},
            lost_by=guide["id"],
            detail=(
                f"两位导购都完成了此任务目标：保留先到总部的 {first} 的记录，"
                f"{who}的记录（{completion['outcome'] or '无结果'}）未采用"
                f" / two guides completed this target: HQ kept the first it received"
                f" ({first}'s); {guide['id']}'s ({completion['outcome'] or 'no outcome'})"
                " is not applied"
            ),
            now=now,
        )
        tx.put("conflict", [record], scopes=scope)
        return
    elif target["status"] == TaskTargetStatus.APPROVED:
        raise Rejected("店长已确认，不能再修改 / the manager approved this target already")
    updated = {**target, **completion}
    if task["status"] == TaskStatus.CANCELLED:
        notes.append(
            conflict_record(
                customer_id,
                kept=updated,
                lost=None,
                lost_by=None,
                detail=(
                    f"任务「{task['title']}」已取消，{who}在取消后完成；完成记录已保留"
                    f" / completed after cancel: task {task_id} was cancelled;"
                    f" {guide['id']}'s completion is kept"
                ),
                now=now,
            )
        )
    if updated != target:
        tx.put("task_target", [updated], scopes=scope)
    tx.put("conflict", notes, scopes=scope)


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
    seen = m.payload.get("completed_at")
    current = target["completed_at"]
    if seen is not None and (
        current is None or records.parse_timestamp(seen) != records.parse_timestamp(current)
    ):
        raise Rejected(
            f"完成记录在您审核后已更新（{target['completed_by'] or '?'} 于 {current or '?'}），"
            f"请重新审核 / the completion changed since you reviewed it (now"
            f" {target['completed_by'] or '?'}'s of {current or '?'}, you saw {seen}):"
            " review it again"
        )
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
