"""Version 10: every customer's search keys and name sort key are computed again.

The search keys now hold each reading of a surname a guide may type (as a surname and
the everyday one: 曾 zeng and ceng, 盖 ge and gai, 单于 chan yu and dan yu) and, for
one-letter queries, a mark per first letter of the usual tokens
(``app/domain/search_keys.py``); new compound surnames (单于, 子车, 中行 …) also sort
differently. Keys written by an older version lack the marks, so a one-letter query
would find nobody: this step rewrites them all from the stored name and phone, as the
replica does on every pull.

The search index's triggers are dropped for the rewrite and put back from their own SQL
afterwards, and the index is rebuilt once: one 'rebuild' is several times faster than a
delete and an insert per row (200,000 customers: a few seconds, once).
"""

from __future__ import annotations

from app.domain.search_keys import customer_search_keys, name_sort_key
from app.store.sqlite import driver as sqlite3


def migrate(conn: sqlite3.Connection) -> None:
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        " AND tbl_name = 'customers' AND sql LIKE '%customer_fts%'"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    changed = []
    for rid, name, phone, old_keys, old_sort in conn.execute(
        "SELECT rid, name, phone, search_keys, name_sort FROM customers"
    ).fetchall():
        keys = customer_search_keys(name or "", phone or "")
        sort = name_sort_key(name or "")
        if (keys, sort) != (old_keys, old_sort):
            changed.append((keys, sort, rid))
    conn.executemany("UPDATE customers SET search_keys = ?, name_sort = ? WHERE rid = ?", changed)
    if changed:
        conn.execute("INSERT INTO customer_fts (customer_fts) VALUES ('rebuild')")
    for _, sql in triggers:
        conn.execute(sql)
