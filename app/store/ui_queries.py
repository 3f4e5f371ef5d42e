"""Small reads the UI needs beyond the customer book's own queries. No Qt here.

Kept apart from ``customers.py`` so the UI's conveniences do not crowd the store's verbs.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Literal

from app.store.customers import LIST_COLUMNS

EnvironmentProblem = Literal["locked", "disk_full", "read_only", "io", "corrupt"]

_PROBLEMS: tuple[tuple[str, EnvironmentProblem], ...] = (
    ("database is locked", "locked"),
    ("database table is locked", "locked"),
    ("database or disk is full", "disk_full"),
    ("attempt to write a readonly database", "read_only"),
    ("disk i/o error", "io"),
    ("unable to open database file", "io"),
    ("database disk image is malformed", "corrupt"),
    ("file is not a database", "corrupt"),
)


def environment_problem(exc: BaseException) -> EnvironmentProblem | None:
    """The kind of a SQLite failure a person can act on (disk full, file locked …), or None.

    qutebrowser's distinction (misc/sql.py): these come from the machine, not from a bug,
    so the UI shows a plain message instead of a traceback.
    """
    if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return None
    text = str(exc).lower()
    for fragment, problem in _PROBLEMS:
        if fragment in text:
            return problem
    return None


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
