"""Shared benchmark helpers: build a terminal store from the demo brand, percentiles."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

from app.domain.customers import to_record
from app.domain.demo_brand import generate_brand
from app.store import db
from app.store.replica import TerminalReplica

BENCH_TODAY = date(2026, 11, 22)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    return (
        f"p50={percentile(values, 50) * 1000:.2f}ms p95={percentile(values, 95) * 1000:.2f}ms "
        f"max={max(values) * 1000:.2f}ms mean={statistics.fmean(values) * 1000:.2f}ms n={len(values)}"
    )


def build_terminal_store(
    path: Path, customers: int, *, seed: int = 20261122, purchases: bool = True
) -> float:
    """Fill a terminal database through the replica's first-sync path. Returns seconds."""
    brand = generate_brand(customers, seed=seed, today=BENCH_TODAY)
    conn = db.connect(path)
    replica = TerminalReplica(conn, clock=lambda: datetime(2026, 11, 22, 10, tzinfo=UTC))
    started = time.perf_counter()
    version = 0

    def change(entity: str, key: str, record: dict) -> dict:
        nonlocal version
        version += 1
        return {
            "entity": entity,
            "op": "upsert",
            "id": record[key],
            "version": version,
            "data": record,
        }

    head = [change("store", "id", to_record(s)) for s in brand.stores]
    head += [
        change("guide", "id", {**to_record(g), "active": True, "pin_verifier": None})
        for g in brand.guides
    ]
    head += [change("product", "sku", to_record(p)) for p in brand.products]
    replica.apply_page(head, str(version), more=True)
    batch: list[dict] = []
    for customer in brand.iter_customers():
        batch.append(change("customer", "id", to_record(customer)))
        if len(batch) == 5000:
            replica.apply_page(batch, str(version), more=True)
            batch = []
    if purchases:
        for purchase in brand.iter_purchases():
            batch.append(change("purchase", "id", to_record(purchase)))
            if len(batch) == 20000:
                replica.apply_page(batch, str(version), more=True)
                batch = []
    replica.apply_page(batch, str(version), more=False)
    conn.close()
    return time.perf_counter() - started
