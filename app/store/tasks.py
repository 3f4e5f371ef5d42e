"""Tasks in the local store: the guide's Today, a task's customers, and completing one.

HQ tasks (任务) reach the terminal as synced ``task`` and ``task_target`` records
(sync/records.py); personal tasks are computed here from the customer book with the
rules of ``app.domain.personal_tasks`` (SQL only narrows the candidates by index).

Figures (2-core build machine, 50 tasks × 5,000 targets of one guide): ``guide_tasks``
≈ 3 ms (one pass over the guide's targets through ``task_targets_guide``),
``task_targets`` of a 100-target task < 1 ms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.domain.customers import Channel, mask_phone
from app.domain.outreach import may_target
from app.domain.personal_tasks import (
    Candidate,
    PersonalTask,
    birthday_month_days,
    first_purchase_window,
    personal_tasks,
)
from app.domain.tasks import EvidenceKind, Outcome, TaskStatus, TaskTargetStatus
from app.store import outbox
from app.store.changes import Changes
from app.store.customers import check_entry, followup_record, log_followup, write_followup
from app.store.db import transaction
from app.store.errors import InvalidEntry
from app.store.sqlite import driver as sqlite3
from sync.records import clean_text

# Targets a guide still has to work: open, or rejected by the manager (reopened).
OPEN_STATUSES = (TaskTargetStatus.OPEN.value, TaskTargetStatus.REJECTED.value)
DONE_STATUSES = (TaskTargetStatus.DONE.value, TaskTargetStatus.APPROVED.value)


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """One HQ task on the guide's Today, with how far the guide's targets got."""

    id: str
    campaign_id: str | None
    kind: str
    title: str
    description: str
    content_ids: tuple[str, ...]
    starts_on: str | None
    due_on: str | None
    evidence: str
    review: bool
    total: int
    done: int
    open: int
    rejected: int
    overdue: int  # open targets of a task whose due date has passed (the store's today)

    def is_overdue(self, today: date) -> bool:
        return bool(self.due_on) and self.due_on < today.isoformat() and self.open > 0


@dataclass(frozen=True, slots=True)
class TargetRow:
    """One customer of a task, as the target list shows it."""

    task_id: str
    customer_id: str
    name: str
    phone: str  # masked
    status: str
    outcome: str | None
    review_comment: str
    last_contact_at: str | None
    completed_at: str | None
    detail: str = ""  # personal tasks: the due date / milestone, already worded by the caller
    # A marketing task's customer who opted out since HQ published it (HQ leaves out who
    # had opted out already: app/domain/outreach.may_target): not to be contacted.
    no_marketing: bool = False
    opt_out_reason: str = ""


@dataclass(frozen=True, slots=True)
class OpenTask:
    """An open task of one customer (the profile's list)."""

    task_id: str
    title: str
    due_on: str | None
    status: str


@dataclass(frozen=True, slots=True)
class ContentItem:
    id: str
    title: str
    kind: str
    found: bool  # False: HQ named it but it has not reached this terminal


def guide_tasks(
    conn: sqlite3.Connection, *, guide_id: str, store_id: str, today: date
) -> list[TaskSummary]:
    """The guide's HQ tasks: open, started by ``today``, of this store; those with targets
    of the guide (or given to the guide by name). Sorted by campaign, due date, title."""
    day = today.isoformat()
    rows = conn.execute(
        """
        SELECT t.id, t.campaign_id, t.kind, t.title, t.description, t.content_ids,
               t.starts_on, t.due_on, t.evidence, t.review, t.guide_id,
               count(tt.customer_id) AS total,
               coalesce(sum(tt.status IN ('done', 'approved')), 0) AS done,
               coalesce(sum(tt.status IN ('open', 'rejected')), 0) AS open,
               coalesce(sum(tt.status = 'rejected'), 0) AS rejected
        FROM tasks t
        LEFT JOIN task_targets tt ON tt.task_id = t.id AND tt.guide_id = :guide
        WHERE t.status = :open AND t.store_id = :store
          AND (t.starts_on IS NULL OR t.starts_on <= :day)
          AND (t.guide_id IS NULL OR t.guide_id = :guide)
        GROUP BY t.id
        HAVING total > 0 OR t.guide_id = :guide
        ORDER BY t.campaign_id IS NULL, t.campaign_id, t.due_on IS NULL, t.due_on, t.title, t.id
        """,
        {"guide": guide_id, "store": store_id, "day": day, "open": TaskStatus.OPEN.value},
    ).fetchall()
    return [
        TaskSummary(
            id=r["id"],
            campaign_id=r["campaign_id"],
            kind=r["kind"],
            title=r["title"],
            description=r["description"],
            content_ids=tuple(json.loads(r["content_ids"] or "[]")),
            starts_on=r["starts_on"],
            due_on=r["due_on"],
            evidence=r["evidence"],
            review=bool(r["review"]),
            total=r["total"],
            done=r["done"],
            open=r["open"],
            rejected=r["rejected"],
            overdue=r["open"] if r["due_on"] and r["due_on"] < day else 0,
        )
        for r in rows
    ]


def task_targets(conn: sqlite3.Connection, *, task_id: str, guide_id: str) -> list[TargetRow]:
    """The guide's customers of one task: rejected first (the manager wants them redone),
    then open, then done; by name within each."""
    rows = conn.execute(
        """
        SELECT tt.task_id, tt.customer_id, coalesce(c.name, tt.customer_id) AS name,
               coalesce(c.phone, '') AS phone, tt.status, tt.outcome, tt.review_comment,
               c.last_contact_at, tt.completed_at,
               coalesce(c.marketing_opt_out, 0) AS opted_out,
               coalesce(c.opt_out_reason, '') AS opt_out_reason, t.kind
        FROM task_targets tt LEFT JOIN customers c ON c.id = tt.customer_id
        LEFT JOIN tasks t ON t.id = tt.task_id
        WHERE tt.task_id = ? AND tt.guide_id = ?
        ORDER BY CASE tt.status WHEN 'rejected' THEN 0 WHEN 'open' THEN 1 ELSE 2 END,
                 c.name_sort, tt.customer_id
        """,
        (task_id, guide_id),
    )
    return [
        TargetRow(
            task_id=r["task_id"],
            customer_id=r["customer_id"],
            name=r["name"],
            phone=mask_phone(r["phone"]),
            status=r["status"],
            outcome=r["outcome"],
            review_comment=r["review_comment"],
            last_contact_at=r["last_contact_at"],
            completed_at=r["completed_at"],
            no_marketing=not may_target(r["kind"] or "", opted_out=bool(r["opted_out"])),
            opt_out_reason=r["opt_out_reason"],
        )
        for r in rows
    ]


def task_content(
    conn: sqlite3.Connection, content_ids: list[str] | tuple[str, ...]
) -> list[ContentItem]:
    """The suggested content of a task as this terminal holds it, in the task's order."""
    if not content_ids:
        return []
    found = {
        r["id"]: r
        for r in conn.execute(
            "SELECT id, title, kind FROM content WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(content_ids)),),
        )
    }
    return [
        ContentItem(cid, found[cid]["title"], found[cid]["kind"], True)
        if cid in found
        else ContentItem(cid, "", "", False)
        for cid in content_ids
    ]


def customer_open_tasks(
    conn: sqlite3.Connection, customer_id: str, *, today: date
) -> list[OpenTask]:
    """The customer's HQ tasks still to do (open or rejected targets of open, started
    tasks), soonest due first."""
    rows = conn.execute(
        """
        SELECT t.id, t.title, t.due_on, tt.status
        FROM task_targets tt JOIN tasks t ON t.id = tt.task_id
        WHERE tt.customer_id = ? AND tt.status IN ('open', 'rejected') AND t.status = 'open'
          AND (t.starts_on IS NULL OR t.starts_on <= ?)
        ORDER BY t.due_on IS NULL, t.due_on, t.title
        """,
        (customer_id, today.isoformat()),
    )
    return [OpenTask(r[0], r[1], r[2], r[3]) for r in rows]


# -- personal tasks -------------------------------------------------------------------------

_CANDIDATE_SELECT = """
    SELECT c.id, c.name, c.phone, c.birthday, c.next_followup_on, c.last_contact_at,
           (SELECT min(p.paid_at) FROM purchases p WHERE p.customer_id = c.id) AS first_paid
    FROM customers c
"""


def personal_candidates(conn: sqlite3.Connection, *, guide_id: str, today: date) -> list[Candidate]:
    """Customers of the guide whom a personal-task rule may select today, found by index:
    birthdays by ``customers_birthday_md``, recent first purchases through the guide's
    recency index (a first purchase in the window makes ``recency`` at least as recent),
    due follow-ups by ``customers_guide_next_followup``."""
    keys = birthday_month_days(today)
    oldest, newest = first_purchase_window(today)
    queries: list[tuple[str, tuple[Any, ...]]] = [
        (
            f"{_CANDIDATE_SELECT} WHERE c.birthday_md IN ({','.join('?' * len(keys))})"
            " AND c.guide_id = ?",
            (*keys, guide_id),
        ),
        (
            f"{_CANDIDATE_SELECT} WHERE c.guide_id = ? AND c.next_followup_on IS NOT NULL"
            " AND c.next_followup_on <= ?",
            (guide_id, today.isoformat()),
        ),
        (
            f"SELECT * FROM ({_CANDIDATE_SELECT} WHERE c.guide_id = ? AND c.recency >= ?)"
            " WHERE first_paid >= ? AND first_paid < ?",
            (
                guide_id,
                oldest.isoformat(),
                oldest.isoformat(),
                (newest + timedelta(days=1)).isoformat(),
            ),
        ),
    ]
    found: dict[str, Candidate] = {}
    for sql, params in queries:
        for r in conn.execute(sql, params):
            found[r["id"]] = Candidate(
                customer_id=r["id"],
                name=r["name"],
                phone=r["phone"],
                birthday=r["birthday"],
                next_followup_on=r["next_followup_on"],
                first_purchase_at=r["first_paid"],
                last_contact_at=r["last_contact_at"],
            )
    return list(found.values())


def guide_personal_tasks(
    conn: sqlite3.Connection, *, guide_id: str, today: date, timezone: str | None = None
) -> list[PersonalTask]:
    """The guide's personal tasks on ``today`` (the rules: app/domain/personal_tasks.py)."""
    return personal_tasks(
        personal_candidates(conn, guide_id=guide_id, today=today), today, timezone
    )


# -- completing a target ---------------------------------------------------------------------


class TargetNotOpen(InvalidEntry):
    """The target is done already (or gone): nothing was written."""


def complete_target(
    conn: sqlite3.Connection,
    *,
    task_id: str,
    customer_id: str,
    guide_id: str,
    outcome: Outcome | str,
    note: str,
    evidence_note: str,
    evidence_picture: str | None,
    now: str,
    channel: Channel | str = Channel.WECHAT,
) -> Changes:
    """Record the outcome of one customer of a task: ONE transaction that marks the local
    target done (with its author and evidence), logs the follow-up (跟进, the same row and
    mutation as ``log_followup``) and appends the ``task_target/complete`` mutation.

    A task that asks for evidence refuses a completion without it (nothing written); so
    does a target that is not open (done, approved, or no longer on this terminal).
    """
    outcome = Outcome(outcome)
    evidence = clean_text(evidence_note, multiline=True)
    picture = evidence_picture or None
    followup = followup_record(
        customer_id=customer_id,
        guide_id=guide_id,
        channel=channel,
        note=note,
        now=now,
        task_id=task_id,
    )
    payload = {
        "task_id": task_id,
        "customer_id": customer_id,
        "completed_at": now,
        "outcome": outcome.value,
        "evidence": evidence,
        "evidence_picture": picture,
    }
    check_entry("task_target", "complete", payload)
    with transaction(conn):
        row = conn.execute(
            "SELECT tt.status, t.evidence FROM task_targets tt JOIN tasks t ON t.id = tt.task_id"
            " WHERE tt.task_id = ? AND tt.customer_id = ?",
            (task_id, customer_id),
        ).fetchone()
        if row is None or row["status"] not in OPEN_STATUSES:
            raise TargetNotOpen(
                "没有保存：这位顾客的任务已完成或已不在本机 / not saved: this target is not open"
            )
        if row["evidence"] == EvidenceKind.NOTE and not evidence:
            raise InvalidEntry(
                "没有保存：这个任务需要凭证说明 / not saved: the task asks for a note"
            )
        if row["evidence"] == EvidenceKind.PICTURE and not picture:
            raise InvalidEntry(
                "没有保存：这个任务需要截图凭证 / not saved: the task asks for a picture"
            )
        changes = write_followup(conn, followup)  # queued first: HQ applies it first
        mark_target_done(conn, payload, guide_id=guide_id)
    return changes | Changes(entities=frozenset({"task_target"}), outbox=True)


def mark_target_done(conn: sqlite3.Connection, payload: dict[str, Any], *, guide_id: str) -> None:
    """Inside the caller's transaction: the local target done (its author, outcome and
    evidence from the checked ``task_target/complete`` payload) and that mutation queued.
    HQ learns of a completion only through this mutation, whatever made it (the task's
    dialog, or a share of content for a ``content_share`` task)."""
    conn.execute(
        "UPDATE task_targets SET status = ?, completed_at = ?, completed_by = ?, outcome = ?,"
        " evidence = ?, evidence_picture = ?, review_comment = '', reviewed_by = NULL,"
        " reviewed_at = NULL WHERE task_id = ? AND customer_id = ?",
        (
            TaskTargetStatus.DONE.value,
            payload["completed_at"],
            guide_id,
            payload["outcome"],
            payload["evidence"],
            payload.get("evidence_picture"),
            payload["task_id"],
            payload["customer_id"],
        ),
    )
    outbox.append(
        conn,
        guide_id=guide_id,
        entity="task_target",
        entity_id=f"{payload['task_id']}:{payload['customer_id']}",
        op="complete",
        payload=payload,
        created_at=payload["completed_at"],
    )


def complete_personal(
    conn: sqlite3.Connection,
    *,
    customer_id: str,
    guide_id: str,
    note: str,
    now: str,
    channel: Channel | str = Channel.WECHAT,
    next_followup_on: str | None = None,
) -> Changes:
    """Record the outcome of a personal task: it is a follow-up (the rule then sees the
    contact and drops the task); HQ knows no personal tasks, so nothing else is sent."""
    return log_followup(
        conn,
        customer_id=customer_id,
        guide_id=guide_id,
        channel=channel,
        note=note,
        now=now,
        next_followup_on=next_followup_on,
    )
