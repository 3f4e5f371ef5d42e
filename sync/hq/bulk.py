"""Bulk writes: a whole brand into an empty HQ (demo data, benchmarks), the CRM's
customer and order imports, and the row counts reports show.

The CSV side of the imports (parsing, checking a file) is ``sync/hq/importers.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sync.hq.db import _json
from sync.hq.errors import StorageError
from sync.hq.schema import (
    BRAND_SCOPE,
    _meta_set,
    audit_log,
    changes,
    content,
    customer_owners,
    customers,
    guides,
    metadata,
    products,
    stores,
    task_targets,
    tasks,
    terminals,
)

HQ_AUTHOR = "HQ"  # who set a customer field, when it came from an import rather than a guide
_ANALYZE_AFTER = 20_000  # rows an import writes before PostgreSQL's statistics are refreshed


@dataclass
class ImportCounts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0


class Bulk:
    """HQStorage's bulk writes and counts (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    def load_brand(
        self,
        *,
        stores_: Iterable[Mapping[str, Any]],
        guides_: Iterable[Mapping[str, Any]],
        products_: Iterable[Mapping[str, Any]],
        customers_: Iterable[Mapping[str, Any]],
        purchases_: Iterable[Mapping[str, Any]],
        followups_: Iterable[Mapping[str, Any]] = (),
        content_: Iterable[Mapping[str, Any]] = (),
        meta: Mapping[str, str] | None = None,
    ) -> dict[str, int]:
        """Insert a whole brand into an empty HQ in one transaction (demo data, benchmarks).

        Records are wire records; customers' and purchases' scope is the customer's store.
        ``meta`` entries are written in the same transaction (a marker that it happened).
        """
        counts: dict[str, int] = {}
        with self.write() as tx:
            existing = tx.conn.execute(sa.select(sa.func.count()).select_from(customers)).scalar()
            if existing:
                raise StorageError("HQ already holds customers: bulk loading needs an empty HQ")
            counts["stores"] = tx.insert_new("store", stores_, scope_of=lambda r: r["id"])
            counts["guides"] = tx.insert_new("guide", guides_, scope_of=lambda r: r["store_id"])
            counts["products"] = tx.insert_new("product", products_, scope_of=lambda r: BRAND_SCOPE)
            counts["content"] = tx.insert_new("content", content_, scope_of=lambda r: BRAND_SCOPE)
            store_of: dict[str, str] = {}
            owners: list[tuple[Any, ...]] = []

            def customer_scope(record: Mapping[str, Any]) -> str:
                store_of[record["id"]] = record["store_id"]
                owners.append(
                    (
                        record["id"],
                        record["guide_id"],
                        record["store_id"],
                        record.get("joined_at") or tx.now,
                        None,
                    )
                )
                return record["store_id"]

            counts["customers"] = tx.insert_new("customer", customers_, scope_of=customer_scope)
            tx.insert_rows(
                customer_owners, ("customer_id", "guide_id", "store_id", "since", "until"), owners
            )
            counts["purchases"] = tx.insert_new(
                "purchase", purchases_, scope_of=lambda r: store_of[r["customer_id"]]
            )
            counts["followups"] = tx.insert_new(
                "followup", followups_, scope_of=lambda r: store_of[r["customer_id"]]
            )
            for key, value in (meta or {}).items():
                _meta_set(tx.conn, key, value)
        self._analyze()
        return counts

    def _analyze(self) -> None:
        """After a bulk load on PostgreSQL: fresh statistics, or the planner guesses at a
        million new rows (and a first sync's pages come from bitmap scans and sorts)."""
        if self.dialect == "postgresql":
            with self._autocommit.connect() as conn:
                conn.exec_driver_sql("ANALYZE changes, customers, purchases, customer_owners")

    # -- imports -------------------------------------------------------------------------

    def import_customers(self, records: Sequence[Mapping[str, Any]]) -> ImportCounts:
        """Create or update customers (wire records from the CRM) in one transaction.

        Tags from the CRM are added to the customer's tags (a guide's tags are kept);
        identity, tier, points and joined_at are HQ's and overwrite; a change of owner
        goes through :meth:`Tx.move` like any other move. Only real changes are logged.
        """
        counts = ImportCounts()
        with self.write() as tx:
            current = tx.load("customer", [r["id"] for r in records])
            fresh = [r for r in records if r["id"] not in current]
            tx.insert_new(
                "customer",
                [{**r, "field_authors": _json(_authors_of(r))} for r in fresh],
                scope_of=lambda r: r["store_id"],
                extra=("field_authors",),
            )
            tx.insert_rows(
                customer_owners,
                ("customer_id", "guide_id", "store_id", "since", "until"),
                [(r["id"], r["guide_id"], r["store_id"], tx.now, None) for r in fresh],
            )
            counts.imported = len(fresh)
            moves: dict[str, list[str]] = {}
            for record in records:
                old = current.get(record["id"])
                if old is None:
                    continue
                merged = {**old, **{k: record[k] for k in _IMPORTED_FIELDS}}
                merged["tags"] = list(dict.fromkeys([*old["tags"], *record["tags"]]))
                owner_changes = (old["store_id"], old["guide_id"]) != (
                    record["store_id"],
                    record["guide_id"],
                )
                if merged == old and not owner_changes:
                    counts.unchanged += 1
                    continue
                counts.updated += 1
                if owner_changes:
                    result = tx.move(record["id"], record["store_id"], record["guide_id"])
                    if result.moved and record["guide_id"]:
                        moves.setdefault(record["guide_id"], []).append(record["id"])
                if merged != old:
                    authors = tx.field_authors(record["id"])
                    if merged["tags"] != old["tags"]:
                        authors["tags"] = HQ_AUTHOR
                    owner = {"store_id": record["store_id"], "guide_id": record["guide_id"]}
                    tx.put(
                        "customer",
                        [merged | owner],
                        scopes=record["store_id"],
                        extra={"field_authors": _json(authors), "updated_at": tx.now},
                    )
            for guide_id, moved in moves.items():
                tx.handover_task(tx.active_guide(guide_id), moved, None)
        if counts.imported + counts.updated > _ANALYZE_AFTER:
            self._analyze()
        return counts

    def import_purchases(self, records: Sequence[Mapping[str, Any]]) -> ImportCounts:
        """Create or update orders (wire records) in one transaction; scope = the
        customer's current store. Unknown customers must be refused by the caller."""
        counts = ImportCounts()
        with self.write() as tx:
            current = tx.load("purchase", [r["id"] for r in records])
            store_of = tx.customer_stores({r["customer_id"] for r in records})
            fresh = [r for r in records if r["id"] not in current]
            counts.imported = tx.insert_new(
                "purchase", fresh, scope_of=lambda r: store_of[r["customer_id"]]
            )
            changed = [r for r in records if r["id"] in current and current[r["id"]] != dict(r)]
            if changed:
                tx.put("purchase", changed, scopes=[store_of[r["customer_id"]] for r in changed])
            counts.updated = len(changed)
            counts.unchanged = len(records) - counts.imported - counts.updated
        if counts.imported + counts.updated > _ANALYZE_AFTER:
            self._analyze()
        return counts

    # -- reports -------------------------------------------------------------------------

    def counts(self, store_id: str | None = None) -> dict[str, int]:
        """Rows per kind, brand-wide or for one store (records of its customers)."""
        by_customer = ("purchases", "followups", "shares", "appointments", "conflicts")
        found: dict[str, int] = {}
        with self.read() as conn:

            def count(table: sa.Table, where: Any = None) -> int:
                query = sa.select(sa.func.count()).select_from(table)
                if where is not None:
                    query = query.where(where)
                return int(conn.execute(query).scalar() or 0)

            store_customers = sa.select(customers.c.id).where(customers.c.store_id == store_id)
            found["stores"] = count(stores, stores.c.id == store_id if store_id else None)
            found["guides"] = count(guides, guides.c.store_id == store_id if store_id else None)
            found["customers"] = count(
                customers, customers.c.store_id == store_id if store_id else None
            )
            for name in by_customer:
                table = metadata.tables[name]
                found[name] = count(
                    table, table.c.customer_id.in_(store_customers) if store_id else None
                )
            found["tasks"] = count(tasks, tasks.c.store_id == store_id if store_id else None)
            found["task_targets"] = count(
                task_targets,
                task_targets.c.customer_id.in_(store_customers) if store_id else None,
            )
            found["products"] = count(products)
            found["content"] = count(content)
            found["terminals"] = count(
                terminals, terminals.c.store_id == store_id if store_id else None
            )
            found["active_terminals"] = count(
                terminals,
                sa.and_(
                    terminals.c.revoked_at.is_(None),
                    terminals.c.store_id == store_id if store_id else sa.true(),
                ),
            )
            found["changes"] = count(
                changes, changes.c.scope.in_([store_id, BRAND_SCOPE]) if store_id else None
            )
            found["audit_log"] = count(audit_log)
        return found


# What a CRM import overwrites (the owner goes through a move; tags are added to).
_IMPORTED_FIELDS = (
    "name",
    "phone",
    "gender",
    "birthday",
    "tier",
    "points",
    "joined_at",
)


def _authors_of(record: Mapping[str, Any]) -> dict[str, str]:
    return {"tags": HQ_AUTHOR} if record.get("tags") else {}
