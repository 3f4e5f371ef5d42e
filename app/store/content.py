"""The content library as this terminal holds it, and the guide's shares (转发) of it.

Reads are tolerant of an older schema: the columns HQ's publisher added (tags, campaign,
valid_from / valid_until, status …) are used when the store has them. A share is one
transaction: the row and its ``share/create`` outbox mutation, recorded offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.domain.outreach import (
    DEFAULT_CAP_DAYS,
    MARKETING_TASK_KINDS,
    Cap,
    Eligibility,
    eligibility,
    reason_problem,
)
from app.domain.share_text import fill_placeholders, form_of_address
from app.domain.tasks import EvidenceKind, Outcome
from app.store import outbox
from app.store.changes import Changes
from app.store.customers import _require_customer, check_entry
from app.store.db import transaction
from app.store.errors import InvalidEntry
from app.store.sqlite import driver as sqlite3
from app.store.tasks import mark_target_done
from sync.records import clean_text, parse_timestamp

OPTIONAL = (
    "tags",
    "campaign",
    "valid_from",
    "valid_until",
    "sku",
    "price_cents",
    "caption",
    "status",
)


@dataclass(frozen=True, slots=True)
class ContentPiece:
    id: str
    kind: str
    title: str
    body: str
    images: tuple[str, ...]
    category_631: str
    tags: tuple[str, ...] = ()
    campaign: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    sku: str | None = None
    price_cents: int | None = None
    caption: str = ""
    skus: tuple[str, ...] = ()
    # A free composition (自由组合) of the guide's own, not a piece HQ published: shared
    # with content_id None, carrying its words, pictures, products and chosen category.
    composed: bool = False

    def valid_on(self, day: date) -> bool:
        iso = day.isoformat()
        return (self.valid_from or "") <= iso and (not self.valid_until or iso <= self.valid_until)


@dataclass(frozen=True, slots=True)
class ContentQuery:
    text: str = ""
    kind: str | None = None
    tag: str | None = None
    campaign: str | None = None
    category_631: str | None = None
    valid_on: date | None = None  # "valid today": the store's today

    @property
    def unfiltered(self) -> bool:
        return not (
            self.text.strip()
            or self.kind
            or self.tag
            or self.campaign
            or self.category_631
            or self.valid_on
        )


@dataclass(frozen=True, slots=True)
class Library:
    pieces: list[ContentPiece]
    total: int  # pieces in circulation before the filters
    tags: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)


def _columns(conn: sqlite3.Connection) -> set[str]:
    return {r[1] for r in conn.execute("PRAGMA table_info(content)")}


def _json_list(text: str | None, memo: dict[str, tuple]) -> tuple:
    """A JSON list column as a tuple; the same text is parsed once (tags repeat)."""
    text = text or "[]"
    found = memo.get(text)
    if found is None:
        found = memo[text] = tuple(json.loads(text))
    return found


def _piece(row: sqlite3.Row, have: set[str], memo: dict[str, tuple] | None = None) -> ContentPiece:
    memo = {} if memo is None else memo
    extra: dict[str, Any] = {}
    for name in OPTIONAL:
        if name in have and name != "status":
            extra[name] = row[name]
    if "tags" in extra:
        extra["tags"] = _json_list(extra["tags"], memo)
    if extra.get("caption") is None:
        extra.pop("caption", None)
    return ContentPiece(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"] or "",
        images=_json_list(row["images"], memo),
        category_631=row["category_631"],
        **extra,
    )


def list_content(
    conn: sqlite3.Connection, query: ContentQuery = ContentQuery(), *, first: int | None = None
) -> Library:
    """Pieces in circulation (retired ones hidden, tips aside), newest first, filtered.

    ``first`` (an unfiltered query only): just the first pieces of that order — what a
    first screen shows while the whole library is read — with ``total`` still counting
    them all (``tags`` and ``campaigns`` then come from those pieces only).
    """
    have = _columns(conn)
    where = ["kind <> 'tip'"]
    if "status" in have:
        where.append("status <> 'retired'")
    limit = ""
    if first is not None:
        if not query.unfiltered:
            raise ValueError("first= needs an unfiltered query")
        limit = f" LIMIT {int(first)}"
    cursor = conn.execute(
        f"SELECT * FROM content WHERE {' AND '.join(where)}"
        " ORDER BY coalesce(published_at, '') DESC, title, id" + limit
    )
    names = [d[0] for d in cursor.description]
    # Plain dicts: a lookup by name in a Row costs more than the rest of a piece.
    memo: dict[str, tuple] = {}
    every = [_piece(dict(zip(names, tuple(r), strict=True)), have, memo) for r in cursor.fetchall()]
    text = query.text.strip().casefold()

    def keep(p: ContentPiece) -> bool:
        if query.kind and p.kind != query.kind:
            return False
        if query.category_631 and p.category_631 != query.category_631:
            return False
        if query.tag and query.tag not in p.tags:
            return False
        if query.campaign and p.campaign != query.campaign:
            return False
        if query.valid_on is not None and not p.valid_on(query.valid_on):
            return False
        if text:
            hay = " ".join((p.title, p.body, p.caption, p.campaign or "", *p.tags)).casefold()
            return all(term in hay for term in text.split())
        return True

    total = len(every)
    if first is not None and total >= int(first):
        total = conn.execute(
            f"SELECT count(*) FROM content WHERE {' AND '.join(where)}"
        ).fetchone()[0]
    return Library(
        pieces=[p for p in every if keep(p)],
        total=total,
        tags=sorted({t for p in every for t in p.tags}),
        campaigns=sorted({p.campaign for p in every if p.campaign}),
    )


@dataclass(frozen=True, slots=True)
class ShareCandidate:
    id: str
    name: str
    gender: str
    opted_out: bool = False
    opt_out_reason: str = ""
    contacts: int = 0  # outreaches in the cap's window, by every guide (app/domain/outreach)
    eligibility: Eligibility = Eligibility.OK
    window_days: int = DEFAULT_CAP_DAYS  # the cap's window the count covers
    cap: int | None = None  # the store's cap (None: none)


def store_cap(conn: sqlite3.Connection) -> Cap:
    """The contact cap HQ set for this terminal's store (None: no cap)."""
    row = conn.execute(
        "SELECT s.contact_cap, s.contact_cap_days FROM stores s"
        " JOIN sync_state st ON st.key = 'store_id' AND st.value = s.id"
    ).fetchone()
    if row is None:
        row = conn.execute("SELECT contact_cap, contact_cap_days FROM stores LIMIT 1").fetchone()
    if row is None:
        return Cap(None)
    return Cap(row[0], row[1] or DEFAULT_CAP_DAYS)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def outreach_counts(
    conn: sqlite3.Connection, customer_ids: list[str], *, since: datetime
) -> dict[str, int]:
    """Outreaches per customer since ``since`` that this terminal knows: every guide's
    shares and marketing follow-ups (app/domain/outreach.py)."""
    if not customer_ids:
        return {}
    ids, start = json.dumps(customer_ids), _iso(since)
    marketing = json.dumps(sorted(MARKETING_TASK_KINDS))
    counts: dict[str, int] = {}
    for row in conn.execute(
        "SELECT customer_id, count(*) FROM shares"
        " WHERE customer_id IN (SELECT value FROM json_each(?))"
        " AND julianday(shared_at) >= julianday(?) GROUP BY customer_id"
        " UNION ALL "
        "SELECT f.customer_id, count(*) FROM followups f JOIN tasks t ON t.id = f.task_id"
        " WHERE f.customer_id IN (SELECT value FROM json_each(?))"
        " AND t.kind IN (SELECT value FROM json_each(?))"
        " AND julianday(f.created_at) >= julianday(?) GROUP BY f.customer_id",
        (ids, start, ids, marketing, start),
    ):
        counts[row[0]] = counts.get(row[0], 0) + row[1]
    return counts


def guide_customers(
    conn: sqlite3.Connection,
    guide_id: str,
    text: str = "",
    limit: int = 200,
    *,
    now: datetime | None = None,
) -> list[ShareCandidate]:
    """The guide's own customers to pick for a share, by name or phone tail, each with
    whether they may be sent marketing now (opted out; at the store's contact cap)."""
    sql = (
        "SELECT id, name, gender, marketing_opt_out, opt_out_reason FROM customers"
        " WHERE guide_id = ?"
    )
    args: list[Any] = [guide_id]
    if text.strip():
        sql += " AND (name LIKE ? OR phone LIKE ?)"
        args += [f"%{text.strip()}%", f"%{text.strip()}"]
    sql += " ORDER BY name LIMIT ?"
    args.append(limit)
    rows = conn.execute(sql, args).fetchall()
    cap = store_cap(conn)
    moment = now or datetime.now(UTC)
    counts = outreach_counts(conn, [r["id"] for r in rows], since=cap.window_start(moment))
    found = []
    for r in rows:
        contacts = counts.get(r["id"], 0)
        opted_out = bool(r["marketing_opt_out"])
        found.append(
            ShareCandidate(
                r["id"],
                r["name"],
                r["gender"],
                opted_out=opted_out,
                opt_out_reason=r["opt_out_reason"] or "",
                contacts=contacts,
                eligibility=eligibility(opted_out=opted_out, count=contacts, cap=cap),
                window_days=cap.days,
                cap=cap.limit,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class ShareText:
    customer_id: str
    address: str
    text: str


def share_text(
    conn: sqlite3.Connection, piece: ContentPiece, customer_id: str, *, guide: str, store: str
) -> ShareText:
    row = _require_customer(conn, customer_id)
    address = form_of_address(row["name"], row["gender"])
    body = piece.body or piece.caption or piece.title
    return ShareText(
        customer_id, address, fill_placeholders(body, address=address, guide=guide, store=store)
    )


def open_share_task(conn: sqlite3.Connection, customer_id: str, guide_id: str) -> str | None:
    """An open ``content_share`` task that has this customer as an open target, if any."""
    row = conn.execute(
        "SELECT t.id FROM task_targets tt JOIN tasks t ON t.id = tt.task_id"
        " WHERE tt.customer_id = ? AND tt.status = 'open' AND t.kind = 'content_share'"
        " AND t.status = 'open' AND (tt.guide_id IS NULL OR tt.guide_id = ?)"
        " ORDER BY coalesce(t.due_on, '9999') LIMIT 1",
        (customer_id, guide_id),
    ).fetchone()
    return row["id"] if row else None


def _check_may_share(
    conn: sqlite3.Connection, customer: sqlite3.Row, *, now: str, override_reason: str
) -> None:
    """The share dialog's promise, kept where the share is written: an opted-out customer
    is never sent marketing; one at the contact cap only with the guide's reason."""
    if customer["marketing_opt_out"]:
        raise InvalidEntry(
            "没有记录：这位顾客已退订营销消息 / not recorded: the customer opted out of marketing"
        )
    if override_reason:
        if reason_problem(override_reason):
            raise InvalidEntry("没有记录：原因太长 / not recorded: the reason is too long")
        return
    cap, moment = store_cap(conn), parse_timestamp(now)
    if cap.limit is None or moment is None:
        return
    count = outreach_counts(conn, [customer["id"]], since=cap.window_start(moment))
    if cap.over(count.get(customer["id"], 0)):
        raise InvalidEntry(
            "没有记录：这位顾客已达到联系上限，需要写明原因 / not recorded: the customer is at"
            " the contact cap; a reason is needed"
        )


def record_share(
    conn: sqlite3.Connection,
    *,
    customer_id: str,
    piece: ContentPiece,
    guide_id: str,
    now: str,
    channel: str = "wechat",
    share_id: str | None = None,
    override_reason: str = "",
) -> Changes:
    """Record that the guide shared ``piece`` to the customer: the row and the
    ``share/create`` mutation in one transaction, linked to an open content_share task.

    A piece HQ published is named by its id; a free composition (``piece.composed``)
    travels as its words, pictures and products, with the 631 category the guide chose.
    """
    record = {
        "id": share_id or outbox.new_id(),
        "customer_id": customer_id,
        "content_id": None if piece.composed else piece.id,
        "task_id": None,
        "channel": channel,
        "shared_at": now,
        "category_631": piece.category_631,
        "body": piece.body if piece.composed else "",
        "images": list(piece.images) if piece.composed else [],
        "skus": list(piece.skus) if piece.composed else [],
        "override_reason": override_reason,
    }
    record["override_reason"] = clean_text(override_reason)
    with transaction(conn):
        customer = _require_customer(conn, customer_id)
        _check_may_share(conn, customer, now=now, override_reason=record["override_reason"])
        record["task_id"] = open_share_task(conn, customer_id, guide_id)
        check_entry("share", "create", record)
        conn.execute(
            "INSERT INTO shares (id, customer_id, guide_id, content_id, task_id, channel,"
            " shared_at, category_631, body, images, skus, override_reason)"
            " VALUES (:id, :customer_id, :guide_id, :content_id, :task_id, :channel,"
            " :shared_at, :category_631, :body, :images, :skus, :override_reason)",
            {
                **record,
                "guide_id": guide_id,
                "images": json.dumps(record["images"]),
                "skus": json.dumps(record["skus"]),
            },
        )
        outbox.append(
            conn,
            guide_id=guide_id,
            entity="share",
            entity_id=record["id"],
            op="create",
            payload=record,
            created_at=now,
        )
        if record["task_id"] is not None and _target_needs_no_evidence(conn, record["task_id"]):
            # The share is the task's work: its target done now (Tasks page, manager review,
            # offline). HQ learns of it through task_target/complete queued right after the
            # share -- the one source of truth for a completion; HQ does not derive it.
            payload = {
                "task_id": record["task_id"],
                "customer_id": customer_id,
                "completed_at": now,
                "outcome": Outcome.CONTACTED.value,
                "evidence": "",
                "evidence_picture": None,
            }
            check_entry("task_target", "complete", payload)
            mark_target_done(conn, payload, guide_id=guide_id)
            entities = frozenset({"share", "task_target"})
        else:
            entities = frozenset({"share"})
    return Changes(customers=frozenset({customer_id}), outbox=True, entities=entities)


def _target_needs_no_evidence(conn: sqlite3.Connection, task_id: str) -> bool:
    """A task asking for a note or picture stays open: the guide completes it with that."""
    row = conn.execute("SELECT evidence FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return row is not None and row["evidence"] in (None, "", EvidenceKind.NONE.value)
