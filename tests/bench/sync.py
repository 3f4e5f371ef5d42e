"""Sync benchmark: a real HQ process over loopback, a real terminal store.

    python tests/bench/sync.py [--customers 50000] [--terminals 50] [--seconds 10]
                               [--pg postgresql://…] [--skip-first]

1. First sync: an HQ whose store S001 holds ``--customers`` customers with their two years
   of purchases (~11 each: 50,000 customers → ~555,000 purchases), and a freshly enrolled
   terminal running ``SyncEngine.sync_once()``. Printed: the total, and where it went —
   fetching (HQ's query from its Server-Timing header, transfer = round trip minus HQ's
   time, JSON decoding), which runs one page ahead on a helper thread, and on the sync
   thread the local apply, the wait for pages fetching did not hide, and the rest —
   beside a raw ``executemany`` of the same number of rows into a SQLite table (the
   local limit).
2. Incremental sync: 100 follow-ups typed on the terminal (one push), then 100 changes made
   elsewhere (another terminal's follow-ups) pulled by it.
3. HQ throughput: ``--terminals`` simulated terminals at once, each in a loop of "push one
   follow-up, pull until up to date" over its own keep-alive connection, on SQLite and —
   with ``--pg`` or ``GUIDEDESK_TEST_PG_URL`` — on PostgreSQL. A round trip is one request
   and its answer (push or pull); a sync is one loop (push + pull).

Budgets (issue #3): first sync ≤ 30 s, incremental ≤ 0.5 s, HQ ≥ 200 round trips/s on
PostgreSQL. The last line is a summary of name=value pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx
import sqlalchemy as sa

from app import terminal as terminal_services
from app.domain.demo_brand import generate_brand
from app.embedded_hq import EmbeddedHQ
from app.store import db
from app.store.customers import log_followup
from sync import credentials, protocol
from sync.hq import storage as hq_storage
from sync.hq.cli import demo_records
from sync.hq.storage import HQStorage

BENCH_TODAY = date(2026, 11, 22)
NOW = "2026-11-22T10:00:00Z"


# -- building HQs ----------------------------------------------------------------------


def one_store_brand(customers: int) -> dict[str, Any]:
    """The demo brand with every customer in S001 (a flagship with a big book)."""
    brand = generate_brand(customers, seed=20261122, today=BENCH_TODAY)
    records = demo_records(brand)
    s001 = [g["id"] for g in records["guides_"] if g["store_id"] == "S001"]
    others = [g["id"] for g in records["guides_"] if g["store_id"] != "S001"]
    to_s001 = {g: s001[i % len(s001)] for i, g in enumerate(others)}

    def moved(rows):
        for row in rows:
            guide = row["guide_id"]
            yield {**row, "store_id": "S001", "guide_id": to_s001.get(guide, guide)}

    records["followups_"] = ()  # the workload: customers and purchases
    records["customers_"] = moved(records["customers_"])
    records["purchases_"] = moved(records["purchases_"])
    return records


def build_hq(url: str, records: dict[str, Any]) -> dict[str, int]:
    with HQStorage(url) as storage:
        storage.migrate()
        return storage.load_brand(**records)


def start_hq(folder: Path, db_url: str, workers: int = 1) -> EmbeddedHQ:
    hq = EmbeddedHQ(folder)
    hq.db_url = db_url
    hq.start(workers=workers)
    return hq


# -- 1 and 2: one terminal -------------------------------------------------------------


def first_sync(hq: EmbeddedHQ, storage: HQStorage, home: Path) -> tuple[Any, float, Any]:
    db_file = home / db.DB_FILENAME
    home.mkdir(parents=True)
    terminal_services.enroll_terminal(db_file, hq.url, storage.create_enroll_code("S001"))
    engine = terminal_services.engine_factory(db_file, page_size=5000)()
    started = time.perf_counter()
    report = engine.sync_once()
    elapsed = time.perf_counter() - started
    assert report.ok, report.error
    return engine, elapsed, report


def raw_executemany_rate(rows: int) -> float:
    """Rows a second of a bare executemany into SQLite (the local limit for apply)."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "raw.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, b TEXT, c INTEGER, d TEXT, e TEXT)"
        )
        data = [
            (f"P{i:09d}", f"C{i % 50000:07d}", "G001", i * 7, "2025-03-01T10:00:00Z", '[{"sku":1}]')
            for i in range(rows)
        ]
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", data)
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        conn.close()
    return rows / elapsed


def incremental(engine: Any, storage: HQStorage, hq: EmbeddedHQ, home: Path) -> tuple[float, float]:
    """(push 100 local follow-ups, pull 100 changes made by another terminal), seconds."""
    conn = db.connect(home / db.DB_FILENAME)
    ids = [r[0] for r in conn.execute("SELECT id FROM customers ORDER BY id LIMIT 100")]
    manager = conn.execute("SELECT id FROM guides WHERE is_manager AND store_id='S001'").fetchone()
    for n, customer_id in enumerate(ids):
        log_followup(
            conn,
            customer_id=customer_id,
            guide_id=manager[0],
            channel="wechat",
            note=f"到店试穿 {n}",
            now=NOW,
        )
    conn.close()
    started = time.perf_counter()
    report = engine.sync_once()
    push_s = time.perf_counter() - started
    assert report.ok and report.pushed == 100, report

    other = Simulated(hq.url, *enrolled_token(hq.url, storage, "S001"), manager[0], ids)
    with httpx.Client(base_url=hq.url, timeout=30) as http:
        other.push_sync(http, 100)
    started = time.perf_counter()
    report = engine.sync_once()
    pull_s = time.perf_counter() - started
    assert report.ok and report.pulled >= 100, report
    return push_s, pull_s


# -- 3: many terminals -----------------------------------------------------------------


def enrolled_token(url: str, storage: HQStorage, store_id: str) -> tuple[str, str | None]:
    answer = httpx.post(
        url + "/v1/enroll",
        json={"protocol": protocol.PROTOCOL_VERSION, "code": storage.create_enroll_code(store_id)},
        timeout=30,
    )
    answer.raise_for_status()
    # Start at HQ's head, as a terminal that finished its first sync long ago.
    return answer.json()["token"], storage.head_cursor(store_id)


class Simulated:
    """A terminal reduced to its wire traffic: a token, a cursor, a guide, customers."""

    def __init__(self, url: str, token: str, cursor: str | None, guide: str, customers: list[str]):
        self.url, self.token, self.cursor = url, token, cursor
        self.guide, self.customers = guide, customers
        self.headers = {"Authorization": f"Bearer {token}"}
        self.made = 0

    def _mutations(self, count: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(count):
            self.made += 1
            fid = str(uuid.uuid4())
            out.append(
                {
                    "id": str(uuid.uuid4()),
                    "guide_id": self.guide,
                    "entity": "followup",
                    "op": "create",
                    "entity_id": fid,
                    "payload": {
                        "id": fid,
                        "customer_id": self.customers[self.made % len(self.customers)],
                        "channel": "wechat",
                        "note": f"回访 {self.made}",
                        "next_followup_on": None,
                        "created_at": NOW,
                        "task_id": None,
                    },
                    "created_at": NOW,
                }
            )
        return out

    def _push_body(self, count: int) -> dict[str, Any]:
        return {"protocol": protocol.PROTOCOL_VERSION, "mutations": self._mutations(count)}

    def _pull_body(self) -> dict[str, Any]:
        return {"protocol": protocol.PROTOCOL_VERSION, "cursor": self.cursor, "limit": 500}

    def push_sync(self, http: httpx.Client, count: int) -> None:
        http.post("/v1/push", json=self._push_body(count), headers=self.headers).raise_for_status()

    async def sync(self, http: httpx.AsyncClient) -> int:
        """One sync: push one follow-up, pull until up to date. Returns round trips."""
        answer = await http.post("/v1/push", json=self._push_body(1), headers=self.headers)
        answer.raise_for_status()
        trips = 1
        while True:
            answer = await http.post("/v1/pull", json=self._pull_body(), headers=self.headers)
            answer.raise_for_status()
            trips += 1
            page = answer.json()
            self.cursor = page["cursor"]
            if not page["more"]:
                return trips


def terminals_for(url: str, storage: HQStorage, count: int) -> list[Simulated]:
    with storage.read() as conn:
        stores = [r[0] for r in conn.execute(sa.select(hq_storage.stores.c.id))]
        managers = dict(
            conn.execute(
                sa.select(hq_storage.guides.c.store_id, hq_storage.guides.c.id).where(
                    hq_storage.guides.c.is_manager
                )
            ).all()
        )
        customers: dict[str, list[str]] = {}
        for store_id, customer_id in conn.execute(
            sa.select(hq_storage.customers.c.store_id, hq_storage.customers.c.id)
        ):
            if len(customers.setdefault(store_id, [])) < 200:
                customers[store_id].append(customer_id)
    made = []
    for n in range(count):
        store_id = stores[n % len(stores)]
        token, cursor = enrolled_token(url, storage, store_id)
        made.append(Simulated(url, token, cursor, managers[store_id], customers[store_id]))
    return made


async def hammer(terminals: list[Simulated], seconds: float) -> tuple[int, int, list[float]]:
    deadline = time.perf_counter() + seconds
    trips = syncs = 0
    latencies: list[float] = []

    async def run(t: Simulated) -> None:
        nonlocal trips, syncs
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=t.url, timeout=60, limits=limits) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                done = await t.sync(http)  # not `trips += await …`: that reads trips first
                trips += done
                syncs += 1
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(run(t) for t in terminals))
    return trips, syncs, latencies


def throughput(
    label: str, db_url: str, folder: Path, customers: int, terminals: int, seconds: float
) -> float:
    records = demo_records(generate_brand(customers, seed=20261122, today=BENCH_TODAY))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    build_hq(db_url, records)
    print(f"[{label}] HQ built ({customers:,} customers) in {time.perf_counter() - started:.1f}s")
    workers = 2 if label == "postgresql" else 1  # SQLite has one writer: one process
    hq = start_hq(folder, db_url, workers=workers)
    try:
        with HQStorage(db_url) as storage:
            sims = terminals_for(hq.url, storage, terminals)
        asyncio.run(hammer(sims, 1.0))  # warm-up: connections, caches
        started = time.perf_counter()
        trips, syncs, latencies = asyncio.run(hammer(sims, seconds))
        elapsed = time.perf_counter() - started
    finally:
        hq.stop()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else float("nan")
    rate = trips / elapsed
    print(
        f"[{label}] {terminals} terminals, {elapsed:.1f}s: {trips} round trips ({rate:.0f}/s), "
        f"{syncs} syncs ({syncs / elapsed:.0f}/s), sync p95 {p95 * 1000:.0f} ms, "
        f"{workers} HQ worker process(es)"
    )
    return rate


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(hq_storage.engine_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


# -- main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--terminals", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--throughput-customers", type=int, default=20_000)
    parser.add_argument("--pg", default=os.environ.get("GUIDEDESK_TEST_PG_URL"))
    parser.add_argument("--skip-first", action="store_true", help="only the throughput part")
    args = parser.parse_args()
    credentials.use_memory_keyring_if_none()
    summary: dict[str, str] = {}
    work = Path(tempfile.mkdtemp(prefix="guidedesk-bench-sync-"))
    try:
        if not args.skip_first:
            cache = Path(tempfile.gettempdir()) / f"guidedesk-bench-hq-{args.customers}.sqlite3"
            if not cache.exists():
                started = time.perf_counter()
                counts = build_hq(f"sqlite:///{cache}.building", one_store_brand(args.customers))
                Path(f"{cache}.building").rename(cache)
                print(f"HQ built: {counts} in {time.perf_counter() - started:.1f}s")
            (work / "hq").mkdir()
            shutil.copyfile(cache, work / "hq" / "hq.sqlite3")
            db_url = f"sqlite:///{work / 'hq' / 'hq.sqlite3'}"
            hq = start_hq(work / "hq", db_url)
            try:
                with HQStorage(db_url) as storage:
                    counts = storage.counts("S001")
                    engine, elapsed, report = first_sync(hq, storage, work / "terminal")
                    t = engine.hq.timings
                    rows = report.pulled
                    http = t.http_s.get("/v1/pull", 0.0)
                    server = t.server_s.get("/v1/pull", 0.0)
                    decode = t.decode_s.get("/v1/pull", 0.0)
                    megabytes = t.bytes_in.get("/v1/pull", 0) / 1e6
                    raw = raw_executemany_rate(rows)
                    print(
                        f"first sync: {counts['customers']:,} customers, "
                        f"{counts['purchases']:,} purchases, {rows:,} changes in {elapsed:.1f}s"
                    )
                    print(
                        f"  fetching, one page ahead on a helper thread: HQ query {server:.1f}s"
                        f" | transfer {http - server:.1f}s ({megabytes:.0f} MB)"
                        f" | decode {decode:.1f}s"
                    )
                    print(
                        f"  on the sync thread: local apply {t.apply_s:.1f}s "
                        f"({rows / t.apply_s:,.0f} rows/s) | waiting for pages {t.wait_s:.1f}s"
                        f" | other {elapsed - t.apply_s - t.wait_s:.1f}s"
                    )
                    print(
                        f"  raw executemany into SQLite: {raw:,.0f} rows/s → {rows / raw:.1f}s "
                        f"for the same rows (apply is {t.apply_s / (rows / raw):.1f}× that)"
                    )
                    push_s, pull_s = incremental(engine, storage, hq, work / "terminal")
                    engine.close()
                    print(
                        f"incremental: push 100 follow-ups {push_s:.3f}s, pull 100 changes {pull_s:.3f}s"
                    )
            finally:
                hq.stop()
            summary |= {
                "first_sync_s": f"{elapsed:.1f}",
                "first_sync_budget_ratio": f"{elapsed / 30:.2f}",
                "first_sync_rows": str(rows),
                "apply_rows_per_s": f"{rows / t.apply_s:.0f}",
                "raw_rows_per_s": f"{raw:.0f}",
                "incremental_s": f"{max(push_s, pull_s):.3f}",
                "incremental_budget_ratio": f"{max(push_s, pull_s) / 0.5:.2f}",
            }
        sqlite_rate = throughput(
            "sqlite",
            f"sqlite:///{work / 'tp-sqlite' / 'hq.sqlite3'}",
            work / "tp-sqlite",
            args.throughput_customers,
            args.terminals,
            args.seconds,
        )
        summary["hq_sqlite_rt_per_s"] = f"{sqlite_rate:.0f}"
        if args.pg:
            reset_postgres(args.pg)
            pg_rate = throughput(
                "postgresql",
                args.pg,
                work / "tp-pg",
                args.throughput_customers,
                args.terminals,
                args.seconds,
            )
            summary["hq_pg_rt_per_s"] = f"{pg_rate:.0f}"
            summary["hq_pg_budget_ratio"] = f"{pg_rate / 200:.2f}"
        else:
            print("PostgreSQL: no --pg URL and no GUIDEDESK_TEST_PG_URL; not measured")
            summary["hq_pg_rt_per_s"] = "not_measured"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("sync " + " ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
