"""The customer book in the local store: search, the profile, and the guide's own writes.

Search (PERFORMANCE.md): a query is split into terms (``domain.search_keys.query_terms``)
that must each be a prefix of some token of the customer's ``search_keys``. Two plans:

* rare terms: FTS5 finds at most ``RARE_LIMIT`` + 1 rowids through its prefix indexes; if
  that is all of them, the few rows are filtered and sorted in SQL.
* common terms (王, w, 8 match 10–30 % of a store): sorting every hit costs 35–65 ms, so
  we walk the sort column's index instead and test each row with ``instr`` on the same
  keys — the first page is found after a few thousand rows. The total is then reported
  as "more than RARE_LIMIT" rather than counted (a live count costs ~20 ms).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from app.domain import lifecycle
from app.domain.customers import EDITABLE_CUSTOMER_FIELDS, Channel
from app.domain.followups import due_cutoff, utc_offset_minutes
from app.domain.search_keys import query_terms
from app.store import outbox
from app.store.changes import Changes
from app.store.db import transaction
from app.store.errors import InvalidEntry
from app.store.sqlite import driver as sqlite3
from sync.records import ContractError, check_payload, clean_text

RARE_LIMIT = 2000
PAGE_SIZE = 200

BirthdayWindow = Literal["week", "month"]

# sort key -> (SQL expression, natural direction is descending)
SORTS: dict[str, str] = {
    "recency": "recency",
    "name": "name_sort",
    "points": "points",
    "last_contact": "last_contact_at",
    "last_purchase": "last_purchase_at",
    "birthday": "birthday_md",
    "tier": "CASE tier WHEN 'head' THEN 3 WHEN 'waist' THEN 2 ELSE 1 END",
    "stage": "stage",
    "spent": "spent_365_cents",
}

# The columns of a row in the customer list, in order (``CustomerRow`` fields).
LIST_COLUMNS = (
    "id",
    "name",
    "phone",
    "tier",
    "stage",
    "points",
    "last_purchase_at",
    "last_contact_at",
    "birthday",
    "tags",
    "guide_id",
    "next_followup_on",
)
_LIST_SELECT = ", ".join(LIST_COLUMNS)


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    """What the guide asked the customer list for: search text, filters and a sort."""

    text: str = ""
    guide_id: str | None = None
    stage: str | None = None
    tier: str | None = None
    tag: str | None = None
    birthday: BirthdayWindow | None = None
    not_contacted_days: int | None = None
    due: bool = False  # only follow-ups due or overdue (待跟进, app/domain/followups.py)
    sort: str = "recency"
    descending: bool = True


@dataclass(frozen=True, slots=True)
class SearchPage:
    rows: list[tuple[Any, ...]]
    total: int
    exact: bool  # False: at least ``total`` matches, not counted further


def _birthday_mds(window: BirthdayWindow, today: date) -> list[str]:
    if window == "week":
        start = today - timedelta(days=today.weekday())
        days = [start + timedelta(days=i) for i in range(7)]
    else:
        start = today.replace(day=1)
        days = []
        day = start
        while day.month == start.month:
            days.append(day)
            day += timedelta(days=1)
    mds = [d.strftime("%m-%d") for d in days]
    # 29 Feb birthdays are celebrated on 28 Feb in common years.
    if "02-28" in mds and "02-29" not in mds:
        mds.append("02-29")
    return mds


def _filters(
    query: CustomerQuery, today: date, timezone: str | None = None
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if query.guide_id:
        where.append("guide_id = ?")
        params.append(query.guide_id)
    if query.stage:
        where.append("stage = ?")
        params.append(query.stage)
    if query.tier:
        where.append("tier = ?")
        params.append(query.tier)
    if query.tag:
        where.append("id IN (SELECT customer_id FROM customer_tags WHERE tag = ?)")
        params.append(query.tag)
    if query.birthday:
        mds = _birthday_mds(query.birthday, today)
        where.append(f"birthday_md IN ({','.join('?' * len(mds))})")
        params.extend(mds)
    if query.not_contacted_days is not None:
        cutoff = (today - timedelta(days=query.not_contacted_days)).isoformat()
        where.append("(last_contact_at IS NULL OR last_contact_at < ?)")
        params.append(cutoff)
    if query.due:
        # app/domain/followups.followup_due in SQL: planned on or before today, and no
        # contact since that day (the contact's day is the store's: its UTC time shifted).
        where.append(
            "next_followup_on <= ? AND (last_contact_at IS NULL"
            " OR date(last_contact_at, ?) < next_followup_on)"
        )
        shift = utc_offset_minutes(timezone, today)
        params.extend([due_cutoff(today).isoformat(), f"{shift:+d} minutes"])
    return where, params


def _order_by(query: CustomerQuery) -> str:
    expr = SORTS.get(query.sort, "recency")
    direction = "DESC" if query.descending else "ASC"
    return f"{expr} {direction}, rid {direction}"


def fts_expression(terms: list[str]) -> str:
    """FTS5 MATCH text: every term a quoted prefix query (terms hold no quotes)."""
    return " AND ".join('"' + t.replace('"', '""') + '"*' for t in terms)


def search_customers(
    conn: sqlite3.Connection,
    query: CustomerQuery,
    *,
    today: date,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> SearchPage:
    """One page of the customer list for ``query``, sorted in SQL."""
    where, params = _filters(query, today, _store_timezone(conn) if query.due else None)
    order = _order_by(query)
    terms = query_terms(query.text)
    exact = True
    known_total: int | None = None  # the FTS hit count, when nothing else filters
    if terms:
        hits = conn.execute(
            "SELECT rowid FROM customer_fts WHERE customer_fts MATCH ? LIMIT ?",
            (fts_expression(terms), RARE_LIMIT + 1),
        ).fetchall()
        if len(hits) <= RARE_LIMIT:
            if not where:
                known_total = len(hits)
            where.insert(0, "rid IN (SELECT value FROM json_each(?))")
            params.insert(0, json.dumps([h[0] for h in hits]))
        else:
            exact = False
            for term in terms:
                where.append("instr(search_keys, ?) > 0")
                params.append(" " + term)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(
        f"SELECT {_LIST_SELECT} FROM customers {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    rows = [tuple(r) for r in rows]
    if known_total is not None:
        total = known_total
    elif exact and (where or offset or len(rows) == limit):
        if offset == 0 and len(rows) < limit:
            total = len(rows)
        else:
            total = conn.execute(f"SELECT count(*) FROM customers {clause}", params).fetchone()[0]
    elif exact:
        total = len(rows)
    else:
        total = max(RARE_LIMIT + 1, offset + len(rows))
    return SearchPage(rows=rows, total=total, exact=exact)


def _store_timezone(conn: sqlite3.Connection) -> str | None:
    """The terminal's store's time zone (the day of a contact, for the due filter)."""
    from app.store.replica import store_timezone  # replica imports this module

    return store_timezone(conn)


def count_customers(conn: sqlite3.Connection, guide_id: str | None = None) -> int:
    if guide_id:
        return conn.execute(
            "SELECT count(*) FROM customers WHERE guide_id = ?", (guide_id,)
        ).fetchone()[0]
    return conn.execute("SELECT count(*) FROM customers").fetchone()[0]


def all_tags(conn: sqlite3.Connection) -> list[str]:
    """Tags in use, most used first (for the tag filter)."""
    rows = conn.execute(
        "SELECT tag FROM customer_tags GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 200"
    )
    return [r[0] for r in rows]


# -- the profile --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurchaseLine:
    sku: str
    name: str
    qty: int
    price_cents: int | None


@dataclass(frozen=True, slots=True)
class PurchaseView:
    id: str
    paid_at: str
    amount_cents: int
    store_id: str
    guide_id: str | None
    items: tuple[PurchaseLine, ...]


@dataclass(frozen=True, slots=True)
class FollowUpView:
    id: str
    guide_id: str
    guide_name: str
    channel: str
    note: str
    created_at: str
    next_followup_on: str | None
    synced: bool


@dataclass(frozen=True, slots=True)
class ShareView:
    """One piece of content sent to the customer (转发记录), by any guide."""

    id: str
    guide_name: str
    title: str  # the content's title, or the first line of a free composition
    category_631: str | None
    channel: str
    shared_at: str
    override_reason: str
    over_cap: bool
    synced: bool
    opted_out: bool = False  # HQ found the customer had opted out when it arrived


@dataclass(frozen=True, slots=True)
class ConflictView:
    field: str
    kept_value: str | None
    lost_value: str | None
    lost_by: str | None
    created_at: str
    detail: str = ""  # HQ's words on what happened (a task completed after its cancel …)


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """Everything the profile pane shows about one customer."""

    id: str
    name: str
    phone: str
    gender: str
    birthday: str | None
    tier: str
    points: int
    stage: str
    tags: tuple[str, ...]
    sizes: dict[str, str]
    preferences: str
    note: str
    joined_at: str | None
    guide_id: str | None
    guide_name: str
    store_id: str
    last_purchase_at: str | None
    last_contact_at: str | None
    next_followup_on: str | None
    orders_365: int
    spent_365_cents: int
    total_spent_cents: int
    purchases: tuple[PurchaseView, ...] = ()
    followups: tuple[FollowUpView, ...] = ()
    conflicts: tuple[ConflictView, ...] = ()
    shares: tuple[ShareView, ...] = ()
    pending_changes: int = 0
    marketing_opt_out: bool = False
    opt_out_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def customer_profile(
    conn: sqlite3.Connection, customer_id: str, *, purchases_limit: int = 100
) -> CustomerProfile | None:
    row = conn.execute(
        "SELECT c.*, coalesce(g.name, '') AS guide_name FROM customers c"
        " LEFT JOIN guides g ON g.id = c.guide_id WHERE c.id = ?",
        (customer_id,),
    ).fetchone()
    if row is None:
        return None
    purchase_rows = conn.execute(
        "SELECT id, paid_at, amount_cents, store_id, guide_id FROM purchases"
        " WHERE customer_id = ? ORDER BY paid_at DESC LIMIT ?",
        (customer_id, purchases_limit),
    ).fetchall()
    items: dict[str, list[PurchaseLine]] = {}
    if purchase_rows:
        ids = json.dumps([p["id"] for p in purchase_rows])
        for item in conn.execute(
            "SELECT i.purchase_id, i.sku, coalesce(p.name, i.sku) AS name, i.qty, i.price_cents"
            " FROM purchase_items i LEFT JOIN products p ON p.sku = i.sku"
            " WHERE i.purchase_id IN (SELECT value FROM json_each(?)) ORDER BY i.line",
            (ids,),
        ):
            items.setdefault(item["purchase_id"], []).append(
                PurchaseLine(item["sku"], item["name"], item["qty"], item["price_cents"])
            )
    purchases = tuple(
        PurchaseView(
            p["id"],
            p["paid_at"],
            p["amount_cents"],
            p["store_id"],
            p["guide_id"],
            tuple(items.get(p["id"], ())),
        )
        for p in purchase_rows
    )
    followups = tuple(
        FollowUpView(
            f["id"],
            f["guide_id"],
            f["guide_name"],
            f["channel"],
            f["note"],
            f["created_at"],
            f["next_followup_on"],
            f["version"] > 0,
        )
        for f in conn.execute(
            "SELECT f.*, coalesce(g.name, f.guide_id) AS guide_name FROM followups f"
            " LEFT JOIN guides g ON g.id = f.guide_id"
            " WHERE f.customer_id = ? ORDER BY f.created_at DESC",
            (customer_id,),
        )
    )
    shares = tuple(
        ShareView(
            r["id"],
            r["guide_name"],
            r["title"] or (r["body"].splitlines() or [""])[0][:40],
            r["category_631"],
            r["channel"],
            r["shared_at"],
            r["override_reason"],
            bool(r["over_cap"]),
            r["version"] > 0,
            bool(r["opted_out"]),
        )
        for r in conn.execute(
            "SELECT s.*, coalesce(g.name, s.guide_id) AS guide_name,"
            " coalesce(k.title, '') AS title FROM shares s"
            " LEFT JOIN guides g ON g.id = s.guide_id"
            " LEFT JOIN content k ON k.id = s.content_id"
            " WHERE s.customer_id = ? ORDER BY s.shared_at DESC LIMIT 50",
            (customer_id,),
        )
    )
    conflicts = tuple(
        ConflictView(
            c["field"],
            c["kept_value"],
            c["lost_value"],
            c["lost_by"],
            c["created_at"],
            c["detail"] or "",
        )
        for c in conn.execute(
            "SELECT * FROM conflicts WHERE customer_id = ? ORDER BY created_at DESC",
            (customer_id,),
        )
    )
    pending = conn.execute(
        "SELECT count(*) FROM outbox WHERE status = 'pending' AND entity_id = ?",
        (customer_id,),
    ).fetchone()[0]
    pending += conn.execute(
        "SELECT count(*) FROM outbox o JOIN followups f ON f.id = o.entity_id"
        " WHERE o.status = 'pending' AND f.customer_id = ?",
        (customer_id,),
    ).fetchone()[0]
    return CustomerProfile(
        id=row["id"],
        name=row["name"],
        phone=row["phone"],
        gender=row["gender"],
        birthday=row["birthday"],
        tier=row["tier"],
        points=row["points"],
        stage=row["stage"],
        tags=tuple(json.loads(row["tags"])),
        sizes=json.loads(row["sizes"]),
        preferences=row["preferences"],
        note=row["note"],
        joined_at=row["joined_at"],
        guide_id=row["guide_id"],
        guide_name=row["guide_name"],
        store_id=row["store_id"],
        last_purchase_at=row["last_purchase_at"],
        last_contact_at=row["last_contact_at"],
        next_followup_on=row["next_followup_on"],
        orders_365=row["orders_365"],
        spent_365_cents=row["spent_365_cents"],
        total_spent_cents=row["total_spent_cents"],
        purchases=purchases,
        followups=followups,
        conflicts=conflicts,
        shares=shares,
        pending_changes=pending,
        marketing_opt_out=bool(row["marketing_opt_out"]),
        opt_out_reason=row["opt_out_reason"] or "",
    )


# -- derived columns ----------------------------------------------------------------------


def refresh_derived(conn: sqlite3.Connection, customer_ids: list[str] | None, today: date) -> int:
    """Recompute purchase and contact summaries, stage and recency (None: everybody).

    Runs inside the caller's transaction. Stage depends on today, so the app also calls
    this once a day for everybody. A colleague's counter visit (Channel.COUNTER) is in the
    timeline but is not the owner's contact: it moves neither the last contact nor the
    next follow-up date, so the owner's due follow-up stays theirs to do.
    """
    year_ago = (today - timedelta(days=365)).isoformat()
    if customer_ids is None:
        scope_sql, scope_params = "", []
    else:
        if not customer_ids:
            return 0
        scope_sql = "WHERE c.id IN (SELECT value FROM json_each(?))"
        scope_params = [json.dumps(customer_ids)]
    rows = conn.execute(
        f"""
        SELECT c.id, c.joined_at,
               (SELECT max(f.created_at) FROM followups f WHERE f.customer_id = c.id
                   AND f.channel != ?) AS last_contact,
               (SELECT f.next_followup_on FROM followups f WHERE f.customer_id = c.id
                   AND f.channel != ? ORDER BY f.created_at DESC LIMIT 1) AS next_followup,
               min(p.paid_at) AS first_paid, max(p.paid_at) AS last_paid,
               count(p.id) AS orders_total,
               coalesce(sum(p.amount_cents), 0) AS spent_total,
               coalesce(sum(p.paid_at >= ?), 0) AS orders_365,
               coalesce(sum(CASE WHEN p.paid_at >= ? THEN p.amount_cents END), 0) AS spent_365
        FROM customers c LEFT JOIN purchases p ON p.customer_id = c.id
        {scope_sql}
        GROUP BY c.id
        """,
        (Channel.COUNTER.value, Channel.COUNTER.value, year_ago, year_ago, *scope_params),
    ).fetchall()
    updates = []
    for r in rows:
        summary = lifecycle.PurchaseSummary(
            first_purchase_on=r["first_paid"][:10] if r["first_paid"] else None,
            last_purchase_on=r["last_paid"][:10] if r["last_paid"] else None,
            orders_365=r["orders_365"],
            spent_365_cents=r["spent_365"],
            total_spent_cents=r["spent_total"],
            orders_total=r["orders_total"],
        )
        updates.append(
            (
                r["last_paid"],
                r["orders_365"],
                r["spent_365"],
                r["spent_total"],
                r["last_contact"],
                r["next_followup"],
                lifecycle.recency(r["last_paid"], r["last_contact"], r["joined_at"]),
                lifecycle.lifecycle_stage(summary, today).value,
                r["id"],
            )
        )
    conn.executemany(
        "UPDATE customers SET last_purchase_at = ?, orders_365 = ?, spent_365_cents = ?,"
        " total_spent_cents = ?, last_contact_at = ?, next_followup_on = ?, recency = ?,"
        " stage = ? WHERE id = ?",
        updates,
    )
    return len(updates)


# -- the guide's writes: each one transaction with its outbox mutation ----------------------


class CustomerNotFound(LookupError):
    pass


def _require_customer(conn: sqlite3.Connection, customer_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        raise CustomerNotFound(f"顾客 {customer_id} 不在本机的顾客簿中")
    return row


def followup_record(
    *,
    customer_id: str,
    guide_id: str,
    channel: Channel | str,
    note: str,
    now: str,
    next_followup_on: str | None = None,
    task_id: str | None = None,
    followup_id: str | None = None,
) -> dict[str, Any]:
    """A follow-up (跟进) as its row and mutation payload: text cleaned, contract checked.

    The contract HQ checks, checked here first: a guide hears now, not after a sync.
    """
    record = {
        "id": followup_id or outbox.new_id(),
        "customer_id": customer_id,
        "guide_id": guide_id,
        "channel": Channel(channel).value,
        "note": clean_text(note, multiline=True),
        "next_followup_on": next_followup_on,
        "created_at": now,
        "task_id": task_id,
    }
    check_entry("followup", "create", record)
    return record


def write_followup(conn: sqlite3.Connection, record: dict[str, Any]) -> Changes:
    """Write a checked ``followup_record``: the row, the customer's contact dates and the
    mutation. Runs inside the caller's open transaction (one user action, one transaction:
    ``log_followup`` alone, or a task completion that also logs its follow-up)."""
    if not conn.in_transaction:
        raise RuntimeError("write_followup must run inside the action's own transaction")
    customer_id, now = record["customer_id"], record["created_at"]
    customer = _require_customer(conn, customer_id)
    conn.execute(
        "INSERT INTO followups (id, customer_id, guide_id, channel, note, next_followup_on,"
        " created_at, task_id) VALUES (:id, :customer_id, :guide_id, :channel, :note,"
        " :next_followup_on, :created_at, :task_id)",
        record,
    )
    last_contact = max(customer["last_contact_at"] or "", now)
    conn.execute(
        "UPDATE customers SET last_contact_at = ?, next_followup_on = coalesce(?, next_followup_on),"
        " recency = max(recency, ?) WHERE id = ?",
        (last_contact, record["next_followup_on"], last_contact, customer_id),
    )
    outbox.append(
        conn,
        guide_id=record["guide_id"],
        entity="followup",
        entity_id=record["id"],
        op="create",
        payload=record,
        created_at=now,
    )
    return Changes(
        customers=frozenset({customer_id}), followups=frozenset({record["id"]}), outbox=True
    )


def log_followup(
    conn: sqlite3.Connection,
    *,
    customer_id: str,
    guide_id: str,
    channel: Channel | str,
    note: str,
    now: str,
    next_followup_on: str | None = None,
    task_id: str | None = None,
    followup_id: str | None = None,
) -> Changes:
    """Record a follow-up (跟进): the row, the customer's contact dates and the mutation."""
    record = followup_record(
        customer_id=customer_id,
        guide_id=guide_id,
        channel=channel,
        note=note,
        now=now,
        next_followup_on=next_followup_on,
        task_id=task_id,
        followup_id=followup_id,
    )
    with transaction(conn):
        return write_followup(conn, record)


def check_entry(entity: str, op: str, payload: Mapping[str, Any]) -> None:
    """What a guide entered, checked against the contract HQ enforces (sync/records.py):
    InvalidEntry in plain words, before anything is written."""
    try:
        check_payload(entity, op, payload)
    except ContractError as exc:
        raise InvalidEntry(f"没有保存：内容不符合要求（{exc}） / not saved: {exc}") from exc


def update_customer(
    conn: sqlite3.Connection,
    *,
    customer_id: str,
    guide_id: str,
    fields: dict[str, Any],
    now: str,
) -> Changes:
    """Edit tags / sizes / preferences / note / the marketing opt-out and its reason; the
    mutation carries old and new per field."""
    unknown = set(fields) - set(EDITABLE_CUSTOMER_FIELDS)
    if unknown:
        raise ValueError(f"fields not editable on a terminal: {sorted(unknown)}")
    with transaction(conn):
        row = _require_customer(conn, customer_id)
        diff: dict[str, dict[str, Any]] = {}
        for name, new in fields.items():
            old = json.loads(row[name]) if name in ("tags", "sizes") else row[name]
            if name == "marketing_opt_out":
                old, new = bool(old), bool(new)
            elif name == "opt_out_reason":
                new = clean_text(str(new))
            elif name == "tags":
                new = sorted(dict.fromkeys(t for t in (clean_text(t) for t in new) if t))
            elif name == "sizes":
                new = {clean_text(k): clean_text(v) for k, v in new.items() if clean_text(k)}
            else:
                new = clean_text(new, multiline=True)
            if old != new:
                diff[name] = {"old": old, "new": new}
        if not diff:
            return Changes()
        check_entry("customer", "update", {"fields": diff})
        for name, change in diff.items():
            value = change["new"]
            stored = json.dumps(value, ensure_ascii=False) if name in ("tags", "sizes") else value
            if name == "marketing_opt_out":
                stored = int(value)
            conn.execute(f"UPDATE customers SET {name} = ? WHERE id = ?", (stored, customer_id))
        if "tags" in diff:
            conn.execute("DELETE FROM customer_tags WHERE customer_id = ?", (customer_id,))
            conn.executemany(
                "INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)",
                [(customer_id, t) for t in diff["tags"]["new"]],
            )
        outbox.append(
            conn,
            guide_id=guide_id,
            entity="customer",
            entity_id=customer_id,
            op="update",
            payload={"fields": diff},
            created_at=now,
        )
    return Changes(customers=frozenset({customer_id}), outbox=True)


def reveal_phone(conn: sqlite3.Connection, *, customer_id: str, guide_id: str, now: str) -> str:
    """The full phone number, with the reveal audited locally and on HQ (PIPL)."""
    return _audited_phone(conn, "reveal_phone", customer_id=customer_id, guide_id=guide_id, now=now)


def copy_phone(conn: sqlite3.Connection, *, customer_id: str, guide_id: str, now: str) -> str:
    """The full phone number for the clipboard, with the copy audited locally and on HQ."""
    return _audited_phone(conn, "copy_phone", customer_id=customer_id, guide_id=guide_id, now=now)


def _audited_phone(
    conn: sqlite3.Connection, action: str, *, customer_id: str, guide_id: str, now: str
) -> str:
    with transaction(conn):
        row = _require_customer(conn, customer_id)
        audit_id = outbox.new_id()
        conn.execute(
            "INSERT INTO audit_log (id, guide_id, action, customer_id, at) VALUES (?, ?, ?, ?, ?)",
            (audit_id, guide_id, action, customer_id, now),
        )
        outbox.append(
            conn,
            guide_id=guide_id,
            entity="audit",
            entity_id=customer_id,
            op=action,
            payload={"id": audit_id, "customer_id": customer_id, "at": now},
            created_at=now,
        )
    return row["phone"]
