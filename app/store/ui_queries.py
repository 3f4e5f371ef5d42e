"""Small reads the UI needs beyond the customer book's own queries. No Qt here.

Kept apart from ``customers.py`` so the UI's conveniences do not crowd the store's verbs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.customers import mask_phone
from app.domain.search_keys import query_terms
from app.store.customers import LIST_COLUMNS, CustomerQuery, search_customers
from app.store.sqlite import driver as sqlite3


def customer_rows(conn: sqlite3.Connection, customer_ids: list[str]) -> list[tuple[Any, ...]]:
    """Fresh list rows (``LIST_COLUMNS`` order) for a few customers, to refresh them in place."""
    if not customer_ids:
        return []
    rows = conn.execute(
        f"SELECT {', '.join(LIST_COLUMNS)} FROM customers"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(customer_ids),),
    )
    return [tuple(r) for r in rows]


# -- a store colleague's customer who walks in ---------------------------------------------

COLLEAGUE_LIMIT = 20


@dataclass(frozen=True, slots=True)
class ColleagueMatch:
    """A customer of another guide of the store, as a guide who does not own them may see
    them: the name, the masked number and whose customer they are — nothing else (no
    purchases, notes or profile)."""

    id: str
    name: str
    masked_phone: str
    owner_id: str | None
    owner_name: str


def colleague_matches(
    conn: sqlite3.Connection,
    text: str,
    *,
    guide_id: str,
    today: date,
    limit: int = COLLEAGUE_LIMIT,
) -> tuple[list[ColleagueMatch], bool]:
    """The store's customers of other guides that ``text`` finds (the same search as the
    book, without its filters), at most ``limit``, and whether there are more."""
    if not query_terms(text):
        return [], False
    page = search_customers(conn, CustomerQuery(text=text), today=today, limit=limit * 4)
    at = {name: i for i, name in enumerate(LIST_COLUMNS)}
    others = [r for r in page.rows if r[at["guide_id"]] != guide_id]
    more = len(others) > limit or (not page.exact or page.total > len(page.rows))
    others = others[:limit]
    owners = {r[at["guide_id"]] for r in others if r[at["guide_id"]]}
    names = dict(
        conn.execute(
            "SELECT id, name FROM guides WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(owners)),),
        ).fetchall()
    )
    matches = [
        ColleagueMatch(
            id=r[at["id"]],
            name=r[at["name"]],
            masked_phone=mask_phone(r[at["phone"]] or ""),
            owner_id=r[at["guide_id"]],
            owner_name=names.get(r[at["guide_id"]], r[at["guide_id"]] or ""),
        )
        for r in others
    ]
    return matches, more
