"""Small reads the UI needs beyond the customer book's own queries. No Qt here.

Kept apart from ``customers.py`` so the UI's conveniences do not crowd the store's verbs.
"""

from __future__ import annotations

import json
from typing import Any

from app.store.customers import LIST_COLUMNS
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
