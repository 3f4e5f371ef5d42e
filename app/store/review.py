"""The store manager's side of tasks (店长): team figures, the review queue, and the two
manager-only writes, approve / reject (审核) and reassign (转派). No Qt.

Figures count the targets of the store's open tasks (a task HQ cancelled is no longer
work), one row per target, attributed to the guide who holds it now:

* ``open``: open, or rejected by the manager (a rejection reopens it for its guide);
* ``done``: completed and standing (done, or approved);
* ``overdue``: open and its task was due before the store's today — the store's local
  date (``app.domain.clock.store_today``), so a Shanghai store's day turns at 16:00 UTC,
  as HQ counts it;
* ``approved`` / ``rejected``: the manager's decisions that stand.

The per-day chart counts standing completions by the store's local date of
``completed_at`` (stored in UTC); the zone conversion happens here in Python, not in SQL,
because SQLite knows nothing of time zones.

Each write is ONE transaction that changes the local ``task_targets`` row and appends the
outbox mutation, its payload checked first against the contract (``sync.records``), so a
manager hears now what HQ would refuse later. HQ checks again (manager-only, the target's
state when the mutation arrives); what it refuses stays in the outbox with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.domain.clock import store_today, store_zone
from app.domain.tasks import TaskStatus, TaskTargetStatus
from app.store import outbox
from app.store.changes import Changes
from app.store.customers import check_entry
from app.store.db import transaction
from app.store.errors import InvalidEntry, StoreError
from app.store.replica import store_timezone
from app.store.sqlite import driver as sqlite3
from sync.records import MUTATIONS, clean_text

CHART_DAYS = 14
# The queue carries evidence pictures (up to ~400 KB of base64 each): one screen's worth,
# oldest first; ``TeamSnapshot.queue_total`` says how many wait in all.
QUEUE_LIMIT = 200
OPEN_LIMIT = 500

_OPEN = (TaskTargetStatus.OPEN.value, TaskTargetStatus.REJECTED.value)
_DONE = (TaskTargetStatus.DONE.value, TaskTargetStatus.APPROVED.value)
_DECISIONS = (TaskTargetStatus.APPROVED.value, TaskTargetStatus.REJECTED.value)


class ReviewRefused(StoreError):
    """The manager's write cannot be made on this terminal (not a manager, the target is no
    longer waiting for review, the guide has left); nothing was written."""


@dataclass(frozen=True, slots=True)
class Figures:
    """Completion of one guide's or one task's targets."""

    key: str  # guide id ('' for targets nobody holds) or task id
    name: str  # guide name or task title
    targets: int
    done: int
    open: int
    overdue: int
    approved: int
    rejected: int
    due_on: str | None = None  # tasks only

    @property
    def rate(self) -> float:
        return self.done / self.targets if self.targets else 0.0


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    completions: int


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A completed target waiting for the manager's decision (待审核)."""

    task_id: str
    task_title: str
    customer_id: str
    customer_name: str
    guide_id: str  # who completed it (else who holds it)
    guide_name: str
    outcome: str | None
    evidence: str  # the evidence note
    evidence_picture: str | None  # base64
    completed_at: str | None


@dataclass(frozen=True, slots=True)
class OpenTarget:
    """An open (or rejected, so reopened) target the manager may give to another guide."""

    task_id: str
    task_title: str
    customer_id: str
    customer_name: str
    guide_id: str | None
    guide_name: str
    status: str
    due_on: str | None
    overdue: bool
    review_comment: str


@dataclass(frozen=True, slots=True)
class GuideChoice:
    id: str
    name: str
    is_manager: bool


@dataclass(frozen=True, slots=True)
class RefusedDecision:
    """A review or reassignment HQ refused, with HQ's reason (it stays in the outbox)."""

    op: str  # 'review' / 'reassign'
    task_id: str
    customer_id: str
    created_at: str
    reason: str


@dataclass(frozen=True, slots=True)
class TeamSnapshot:
    """Everything the team view shows, read in one go on the read lane."""

    today: date
    by_guide: tuple[Figures, ...]
    by_task: tuple[Figures, ...]
    per_day: tuple[DayCount, ...]  # CHART_DAYS days, oldest first, ending today
    queue: tuple[ReviewItem, ...]
    queue_total: int
    open_targets: tuple[OpenTarget, ...]
    open_total: int
    guides: tuple[GuideChoice, ...]
    refused: tuple[RefusedDecision, ...]

    @property
    def totals(self) -> Figures:
        rows = self.by_task
        return Figures(
            "",
            "",
            *(sum(getattr(r, f) for r in rows) for f in _COUNTS),
        )


_COUNTS = ("targets", "done", "open", "overdue", "approved", "rejected")


def _counts_sql() -> str:
    return (
        "count(*),"
        f" sum(tt.status IN {_DONE}),"
        f" sum(tt.status IN {_OPEN}),"
        f" sum(tt.status IN {_OPEN} AND t.due_on IS NOT NULL AND t.due_on < :today),"
        " sum(tt.status = 'approved'),"
        " sum(tt.status = 'rejected')"
    )


def _store_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = 'store_id'").fetchone()
    return None if row is None else row[0]


def today_of(conn: sqlite3.Connection, now: datetime) -> date:
    """The store's local date at ``now``."""
    return store_today(now, store_timezone(conn))


def active_guides(conn: sqlite3.Connection) -> list[GuideChoice]:
    """The store's active guides (who a target can be given to), by name."""
    store = _store_id(conn)
    rows = conn.execute(
        "SELECT id, name, is_manager FROM guides WHERE active = 1"
        " AND (:store IS NULL OR store_id = :store) ORDER BY is_manager, name, id",
        {"store": store},
    )
    return [GuideChoice(r[0], r[1], bool(r[2])) for r in rows]


def completion_by_guide(conn: sqlite3.Connection, today: date) -> list[Figures]:
    """Every active guide (with zeros when they hold nothing), then anybody else who
    still holds targets (a guide who left, or nobody: key '')."""
    found = {
        r[0] or "": r
        for r in conn.execute(
            f"SELECT tt.guide_id, {_counts_sql()} FROM task_targets tt"
            " JOIN tasks t ON t.id = tt.task_id WHERE t.status = :open"
            " GROUP BY tt.guide_id",
            {"today": today.isoformat(), "open": TaskStatus.OPEN.value},
        )
    }
    names = dict(conn.execute("SELECT id, name FROM guides").fetchall())
    out: list[Figures] = []
    for guide in active_guides(conn):
        row = found.pop(guide.id, None)
        counts = tuple(row[1:]) if row else (0,) * len(_COUNTS)
        out.append(Figures(guide.id, guide.name, *counts))
    for key, row in sorted(found.items()):
        out.append(Figures(key, names.get(key, key), *row[1:]))
    return out


def completion_by_task(conn: sqlite3.Connection, today: date) -> list[Figures]:
    """Open tasks with targets, the soonest due first (no due date last)."""
    rows = conn.execute(
        f"SELECT t.id, t.title, t.due_on, {_counts_sql()} FROM tasks t"
        " JOIN task_targets tt ON tt.task_id = t.id WHERE t.status = :open"
        " GROUP BY t.id ORDER BY t.due_on IS NULL, t.due_on, t.title, t.id",
        {"today": today.isoformat(), "open": TaskStatus.OPEN.value},
    )
    return [Figures(r[0], r[1], *r[3:], due_on=r[2]) for r in rows]


def completions_per_day(
    conn: sqlite3.Connection, today: date, timezone: str | None, days: int = CHART_DAYS
) -> list[DayCount]:
    """Standing completions (done or approved) per store-local day, ``days`` days up to
    ``today``, oldest first; a day without any is 0."""
    first = today - timedelta(days=days - 1)
    zone = store_zone(timezone)
    # A UTC lower bound a day early covers every zone; the exact day is decided below.
    since = (datetime.combine(first, datetime.min.time(), UTC) - timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    per_day = dict.fromkeys((first + timedelta(days=i) for i in range(days)), 0)
    rows = conn.execute(
        "SELECT tt.completed_at FROM task_targets tt JOIN tasks t ON t.id = tt.task_id"
        f" WHERE t.status = ? AND tt.status IN {_DONE} AND tt.completed_at >= ?",
        (TaskStatus.OPEN.value, since),
    )
    for (completed_at,) in rows:
        moment = _moment(completed_at)
        if moment is None:
            continue
        local_day = moment.astimezone(zone).date()
        if local_day in per_day:
            per_day[local_day] += 1
    return [DayCount(d, n) for d, n in per_day.items()]


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def review_queue(conn: sqlite3.Connection, limit: int = QUEUE_LIMIT) -> list[ReviewItem]:
    """Completed targets of open tasks that ask for a review, oldest completion first."""
    rows = conn.execute(
        "SELECT tt.task_id, t.title, tt.customer_id, coalesce(c.name, tt.customer_id),"
        " coalesce(tt.completed_by, tt.guide_id, ''),"
        " coalesce(g.name, tt.completed_by, tt.guide_id, ''),"
        " tt.outcome, tt.evidence, tt.evidence_picture, tt.completed_at"
        " FROM task_targets tt JOIN tasks t ON t.id = tt.task_id"
        " LEFT JOIN customers c ON c.id = tt.customer_id"
        " LEFT JOIN guides g ON g.id = coalesce(tt.completed_by, tt.guide_id)"
        " WHERE tt.status = 'done' AND t.review = 1 AND t.status = ?"
        " ORDER BY tt.completed_at IS NULL, tt.completed_at, tt.task_id, tt.customer_id"
        " LIMIT ?",
        (TaskStatus.OPEN.value, limit),
    )
    return [ReviewItem(*r) for r in rows]


def queue_size(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM task_targets tt JOIN tasks t ON t.id = tt.task_id"
        " WHERE tt.status = 'done' AND t.review = 1 AND t.status = ?",
        (TaskStatus.OPEN.value,),
    ).fetchone()[0]


def open_targets(
    conn: sqlite3.Connection, today: date, limit: int = OPEN_LIMIT
) -> tuple[list[OpenTarget], int]:
    """Open and rejected targets of open tasks, overdue first, then by due date; and how
    many there are in all."""
    where = f" WHERE tt.status IN {_OPEN} AND t.status = :open"
    params = {"today": today.isoformat(), "open": TaskStatus.OPEN.value, "limit": limit}
    rows = conn.execute(
        "SELECT tt.task_id, t.title, tt.customer_id, coalesce(c.name, tt.customer_id),"
        " tt.guide_id, coalesce(g.name, tt.guide_id, ''), tt.status, t.due_on,"
        " coalesce(t.due_on < :today, 0), tt.review_comment"
        " FROM task_targets tt JOIN tasks t ON t.id = tt.task_id"
        " LEFT JOIN customers c ON c.id = tt.customer_id"
        " LEFT JOIN guides g ON g.id = tt.guide_id"
        f"{where}"
        " ORDER BY coalesce(t.due_on < :today, 0) DESC, t.due_on IS NULL, t.due_on,"
        " t.title, c.name, tt.customer_id LIMIT :limit",
        params,
    )
    targets = [OpenTarget(*r[:8], bool(r[8]), r[9]) for r in rows]
    total = conn.execute(
        f"SELECT count(*) FROM task_targets tt JOIN tasks t ON t.id = tt.task_id{where}", params
    ).fetchone()[0]
    return targets, total


def refused_decisions(conn: sqlite3.Connection, manager_id: str) -> list[RefusedDecision]:
    """The manager's reviews and reassignments HQ refused, newest first, with HQ's reason."""
    out = []
    for entry in outbox.rejected(conn):
        if entry.entity != "task_target" or entry.guide_id != manager_id:
            continue
        task_id, _, customer_id = entry.entity_id.partition(":")
        out.append(
            RefusedDecision(
                entry.op,
                entry.payload.get("task_id") or task_id,
                entry.payload.get("customer_id") or customer_id,
                entry.created_at,
                entry.reject_reason,
            )
        )
    return out[::-1]


def team_snapshot(conn: sqlite3.Connection, *, now: datetime, manager_id: str) -> TeamSnapshot:
    """The whole team view at ``now``, by the store's today."""
    timezone = store_timezone(conn)
    today = store_today(now, timezone)
    targets, open_total = open_targets(conn, today)
    return TeamSnapshot(
        today=today,
        by_guide=tuple(completion_by_guide(conn, today)),
        by_task=tuple(completion_by_task(conn, today)),
        per_day=tuple(completions_per_day(conn, today, timezone)),
        queue=tuple(review_queue(conn)),
        queue_total=queue_size(conn),
        open_targets=tuple(targets),
        open_total=open_total,
        guides=tuple(active_guides(conn)),
        refused=tuple(refused_decisions(conn, manager_id)),
    )


# -- the manager's writes: each one transaction with its outbox mutation ----------------------


def _declared(op: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of ``task_target/op``: exactly the fields its declaration names."""
    return {name: values.get(name) for name in MUTATIONS[("task_target", op)].fields}


def _require_manager(conn: sqlite3.Connection, manager_id: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT id, store_id FROM guides WHERE id = ? AND active = 1 AND is_manager = 1",
        (manager_id,),
    ).fetchone()
    if row is None:
        raise ReviewRefused(
            "只有本店在职店长可以审核或转派任务 / only an active store manager may do this"
        )
    return row


def _require_target(conn: sqlite3.Connection, task_id: str, customer_id: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT tt.status, tt.guide_id, tt.completed_at, t.review, t.status AS task_status FROM task_targets tt"
        " JOIN tasks t ON t.id = tt.task_id WHERE tt.task_id = ? AND tt.customer_id = ?",
        (task_id, customer_id),
    ).fetchone()
    if row is None:
        raise ReviewRefused("本机没有这条任务目标 / this task target is not on this terminal")
    if row["task_status"] != TaskStatus.OPEN:
        raise ReviewRefused("总部已取消这个任务 / HQ cancelled this task")
    return row


def review_target(
    conn: sqlite3.Connection,
    *,
    task_id: str,
    customer_id: str,
    manager_id: str,
    decision: str,
    comment: str,
    now: str,
    completed_at: str | None = None,
) -> Changes:
    """Approve (通过) or reject (驳回) a completed target. A rejection needs a comment and
    reopens the target for its guide (status ``rejected``), who sees the comment.

    ``completed_at`` is the completion the manager looked at (the queue's): when a sync
    brought another one meanwhile, the review is refused here; the mutation carries the
    completion's time as declared, so HQ refuses a review of a completion that changed
    there before the push arrived."""
    if decision not in _DECISIONS:
        raise ValueError(f"a review decision is 'approved' or 'rejected', not {decision!r}")
    comment = clean_text(comment, multiline=True)
    if decision == TaskTargetStatus.REJECTED and not comment:
        raise InvalidEntry("驳回需要写明原因，导购会看到 / a rejection needs a comment")
    with transaction(conn):
        _require_manager(conn, manager_id)
        target = _require_target(conn, task_id, customer_id)
        if not target["review"]:
            raise ReviewRefused("这个任务不需要店长审核 / this task asks for no review")
        if target["status"] != TaskTargetStatus.DONE:
            raise ReviewRefused(
                "这条任务已不在待审核状态 / this target is no longer waiting for review"
                f" ({target['status']})"
            )
        if completed_at is not None and target["completed_at"] != completed_at:
            raise ReviewRefused(
                "导购刚刚更新了完成记录，请重新查看后再审核 / the completion changed since you"
                " opened it: look at it again"
            )
        payload = _declared(
            "review",
            {
                "task_id": task_id,
                "customer_id": customer_id,
                "status": decision,
                "review_comment": comment,
                "completed_at": target["completed_at"],
            },
        )
        check_entry("task_target", "review", payload)
        conn.execute(
            "UPDATE task_targets SET status = ?, review_comment = ?, reviewed_by = ?,"
            " reviewed_at = ? WHERE task_id = ? AND customer_id = ?",
            (decision, comment, manager_id, now, task_id, customer_id),
        )
        outbox.append(
            conn,
            guide_id=manager_id,
            entity="task_target",
            entity_id=f"{task_id}:{customer_id}",
            op="review",
            payload=payload,
            created_at=now,
        )
    return Changes(
        customers=frozenset({customer_id}), entities=frozenset({"task_target"}), outbox=True
    )


def reassign_target(
    conn: sqlite3.Connection,
    *,
    task_id: str,
    customer_id: str,
    manager_id: str,
    to_guide_id: str,
    now: str,
) -> Changes:
    """Give an open (or rejected) target to another active guide of the store (转派)."""
    payload = _declared(
        "reassign", {"task_id": task_id, "customer_id": customer_id, "guide_id": to_guide_id}
    )
    check_entry("task_target", "reassign", payload)
    with transaction(conn):
        manager = _require_manager(conn, manager_id)
        target = _require_target(conn, task_id, customer_id)
        if target["status"] not in _OPEN:
            raise ReviewRefused(
                "只能转派未完成的任务 / only an open target can be given to another guide"
            )
        heir = conn.execute(
            "SELECT id FROM guides WHERE id = ? AND active = 1 AND store_id = ?",
            (to_guide_id, manager["store_id"]),
        ).fetchone()
        if heir is None:
            raise ReviewRefused("只能转派给本店在职导购 / choose an active guide of this store")
        if target["guide_id"] == to_guide_id:
            raise ReviewRefused("这条任务已经是该导购的 / the target is this guide's already")
        conn.execute(
            "UPDATE task_targets SET guide_id = ? WHERE task_id = ? AND customer_id = ?",
            (to_guide_id, task_id, customer_id),
        )
        outbox.append(
            conn,
            guide_id=manager_id,
            entity="task_target",
            entity_id=f"{task_id}:{customer_id}",
            op="reassign",
            payload=payload,
            created_at=now,
        )
    return Changes(
        customers=frozenset({customer_id}), entities=frozenset({"task_target"}), outbox=True
    )
