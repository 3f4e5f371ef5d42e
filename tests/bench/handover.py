"""Benchmark: a guide with 6,000 customers and 60,000 follow-ups leaves (离职继承).

    python tests/bench/handover.py [--customers 6000] [--followups 10] [--pg postgresql://…]

The HQ (SQLite, served by a real ``guidedesk-hq serve`` process on loopback) holds two
stores: S001 with the leaving guide GL (``--customers`` customers, ``--followups`` each,
two purchases each, tiers 10 % head / 30 % waist / 60 % regular) and a colleague GS, and
S002 with GX. An open campaign targets a third of GL's customers (their targets follow).
The heir's terminal is enrolled and synced before the departure. Then, timed:

1. ``HQStorage.depart("GL", [heir])`` — what ``guidedesk-hq depart GL --to HEIR`` runs:
   every customer moved in one transaction, a handover record with its brief per
   customer, one handover task with a target per customer, an audit entry per move, the
   guide deactivated;
2. the heir's terminal: one ``sync_once()`` after which it has every customer with their
   whole history (checked by counting), the handover records and the task.

Twice: the heir in the same store (GS: the customers are upserted, their history is
already on the terminal) and in another store (GX: the whole history is re-sent to S002,
and the old store's terminal receives the tombstones, timed too). With ``--pg`` (or
``GUIDEDESK_TEST_PG_URL``) step 1 is also timed on PostgreSQL (a scratch database).

Budgets (issue #8): HQ ≤ 5 s; the heir's terminal has them all after one sync ≤ 10 s.
The last line is a summary of name=value pairs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import terminal as terminal_services
from app.embedded_hq import EmbeddedHQ
from app.store import db
from sync import credentials
from sync.hq.storage import HQStorage, engine_url

BENCH_NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
HQ_BUDGET_S = 5.0
TERMINAL_BUDGET_S = 10.0
_NOTES = (
    "发了新品图，她说周末来试穿",
    "电话回访：上次的大衣很合身，想再看一条围巾",
    "生日祝福已发，提醒到店领取生日礼",
    "询问羊绒衫的保养方法，已发保养指南",
    "约了下周三下午来店改裤长",
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def brand_records(customers: int, followups: int) -> dict[str, Any]:
    """The benchmark brand as load_brand's wire records (iterators where they are big)."""
    tiers = ["head"] * 1 + ["waist"] * 3 + ["regular"] * 6

    def customer_rows():
        for n in range(customers):
            yield {
                "id": f"C{n:06d}",
                "store_id": "S001",
                "guide_id": "GL",
                "name": f"顾客{n:05d}",
                "phone": f"139{n:08d}",
                "gender": "F" if n % 3 else "M",
                "birthday": f"19{70 + n % 30}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "tier": tiers[n % 10],
                "points": n * 7 % 20_000,
                "tags": ["新品控", "职场通勤"] if n % 3 == 0 else ["周末休闲"],
                "sizes": {"top": "M", "shoe": "37"},
                "preferences": "喜欢真丝和浅色，不喜欢亮片",
                "note": "工作日下午方便联系" if n % 2 else "",
                "joined_at": "2024-03-01T02:00:00Z",
            }
        yield {"id": "COLLEAGUE", "store_id": "S001", "guide_id": "GS", "name": "同事的顾客"}

    def purchase_rows():
        for n in range(customers):
            for k in range(2):
                yield {
                    "id": f"O{n:06d}-{k}",
                    "customer_id": f"C{n:06d}",
                    "store_id": "S001",
                    "guide_id": "GL",
                    "paid_at": _iso(BENCH_NOW - timedelta(days=30 + 97 * k + n % 60)),
                    "amount_cents": 59_900 + 10_000 * k,
                    "items": [{"sku": "SKU1", "qty": 1, "price_cents": 59_900}],
                }

    def followup_rows():
        for n in range(customers):
            for k in range(followups):
                yield {
                    "id": f"F{n:06d}-{k:02d}",
                    "customer_id": f"C{n:06d}",
                    "guide_id": "GL",
                    "channel": ("wechat", "call", "in_store", "sms")[k % 4],
                    "note": _NOTES[(n + k) % len(_NOTES)],
                    "next_followup_on": None,
                    "created_at": _iso(BENCH_NOW - timedelta(days=3 + 11 * k + n % 9)),
                    "task_id": None,
                }

    guide = {"is_manager": False, "active": True, "pin_verifier": None}
    return {
        "stores_": [
            {"id": "S001", "name": "上海南京西路店", "city": "上海"},
            {"id": "S002", "name": "杭州湖滨店", "city": "杭州"},
        ],
        "guides_": [
            {**guide, "id": "GL", "store_id": "S001", "name": "王芳"},
            {**guide, "id": "GS", "store_id": "S001", "name": "李娜"},
            {**guide, "id": "GX", "store_id": "S002", "name": "陈静"},
        ],
        "products_": [{"sku": "SKU1", "name": "羊绒围巾", "price_cents": 59_900, "image": None}],
        "customers_": customer_rows(),
        "purchases_": purchase_rows(),
        "followups_": followup_rows(),
    }


CAMPAIGN = {
    "id": "T-BENCH-NEW",
    "title": "冬季新品到店",
    "kind": "content_share",
    "instructions": "把冬季新品发给喜欢新品的顾客",
    "starts_on": "2026-12-01",
    "due_on": "2026-12-20",
    "targets": {"tag_groups": [["新品控"]]},
    "content": [],
    "evidence": "none",
    "review": False,
}


def build(url: str, customers: int, followups: int) -> HQStorage:
    storage = HQStorage(url, clock=lambda: BENCH_NOW)
    storage.migrate()
    started = time.perf_counter()
    counts = storage.load_brand(**brand_records(customers, followups))
    result = storage.publish_task(CAMPAIGN)
    print(
        f"  brand loaded in {time.perf_counter() - started:.1f} s: {counts['customers']:,}"
        f" customers, {counts['followups']:,} follow-ups, {counts['purchases']:,} purchases,"
        f" campaign with {result.targets:,} targets",
        flush=True,
    )
    return storage


def enrolled(hq: EmbeddedHQ, storage: HQStorage, home: Path, store: str) -> Any:
    home.mkdir(parents=True)
    db_file = home / db.DB_FILENAME
    terminal_services.enroll_terminal(db_file, hq.url, storage.create_enroll_code(store))
    engine = terminal_services.engine_factory(db_file, page_size=5000)()
    report = engine.sync_once()
    assert report.ok, report.error
    return engine, db_file


def count(db_file: Path, sql: str) -> int:
    conn = db.connect(db_file)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def scenario(work: Path, heir: str, customers: int, followups: int) -> dict[str, float]:
    heir_store = "S001" if heir == "GS" else "S002"
    label = "same store" if heir_store == "S001" else "another store"
    print(f"heir {heir} ({label}):", flush=True)
    folder = work / f"hq-{heir}"
    folder.mkdir()
    url = f"sqlite:///{folder / 'hq.sqlite3'}"
    storage = build(url, customers, followups)
    hq = EmbeddedHQ(folder)
    hq.db_url = url
    hq.start()
    try:
        engine, db_file = enrolled(hq, storage, work / f"terminal-{heir}", heir_store)
        old = enrolled(hq, storage, work / f"old-{heir}", "S001") if heir_store != "S001" else None

        started = time.perf_counter()
        report = storage.depart("GL", [heir], actor="bench")
        hq_s = time.perf_counter() - started
        assert len(report.moved) == customers

        started = time.perf_counter()
        synced = engine.sync_once()
        terminal_s = time.perf_counter() - started
        assert synced.ok, synced.error
        engine.close()
        mine = count(
            db_file,
            f"SELECT count(*) FROM customers WHERE guide_id = '{heir}' AND id != 'COLLEAGUE'",
        )
        notes = count(
            db_file,
            "SELECT count(*) FROM followups f JOIN customers c ON c.id = f.customer_id"
            f" WHERE c.guide_id = '{heir}' AND f.guide_id = 'GL'",
        )
        bought = count(
            db_file,
            "SELECT count(*) FROM purchases p JOIN customers c ON c.id = p.customer_id"
            f" WHERE c.guide_id = '{heir}'",
        )
        briefs = count(db_file, f"SELECT count(*) FROM handovers WHERE to_guide_id = '{heir}'")
        intro = count(
            db_file,
            "SELECT count(*) FROM task_targets t JOIN tasks k ON k.id = t.task_id"
            f" WHERE k.kind = 'handover_intro' AND t.guide_id = '{heir}'",
        )
        gone = count(db_file, "SELECT count(*) FROM guides WHERE id = 'GL' AND active = 1")
        assert (mine, notes, bought, briefs, intro, gone) == (
            customers,
            customers * followups,
            customers * 2,
            customers,
            customers,
            0,
        ), (mine, notes, bought, briefs, intro, gone)
        old_s = 0.0
        if old is not None:
            old_engine, old_file = old
            started = time.perf_counter()
            assert old_engine.sync_once().ok
            old_s = time.perf_counter() - started
            old_engine.close()
            left = count(old_file, "SELECT count(*) FROM customers WHERE guide_id = 'GL'")
            assert left == 0, left
        print(
            f"  HQ depart {hq_s:.2f} s (budget {HQ_BUDGET_S:.0f} s); heir's terminal, one sync:"
            f" {terminal_s:.2f} s for {synced.pulled:,} changes (budget {TERMINAL_BUDGET_S:.0f} s)"
            f" → {mine:,} customers, {notes:,} follow-ups, {bought:,} purchases,"
            f" {briefs:,} briefs, {intro:,} intro targets"
            + (f"; old store's terminal {old_s:.2f} s (tombstones)" if old is not None else ""),
            flush=True,
        )
        return {"hq_s": hq_s, "terminal_s": terminal_s, "old_s": old_s}
    finally:
        hq.stop()
        storage.close()


def pg_depart(admin_url: str, customers: int, followups: int) -> float:
    name = f"bench_handover_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(engine_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.make_url(engine_url(admin_url)).set(database=name)
        print("PostgreSQL:", flush=True)
        storage = build(url.render_as_string(hide_password=False), customers, followups)
        try:
            started = time.perf_counter()
            storage.depart("GL", ["GX"], actor="bench")
            across = time.perf_counter() - started
        finally:
            storage.close()
        print(f"  HQ depart to another store {across:.2f} s", flush=True)
        return across
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=6_000)
    parser.add_argument("--followups", type=int, default=10, help="per customer")
    parser.add_argument("--pg", default=os.environ.get("GUIDEDESK_TEST_PG_URL"))
    args = parser.parse_args()
    credentials.use_memory_keyring_if_none()
    with tempfile.TemporaryDirectory(prefix="bench-handover-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("GUIDEDESK_HOME", str(work / "home"))
        same = scenario(work, "GS", args.customers, args.followups)
        across = scenario(work, "GX", args.customers, args.followups)
    pg_s = (
        f"{pg_depart(args.pg, args.customers, args.followups):.2f}" if args.pg else "not_measured"
    )
    ok = max(same["hq_s"], across["hq_s"]) <= HQ_BUDGET_S and (
        max(same["terminal_s"], across["terminal_s"]) <= TERMINAL_BUDGET_S
    )
    print(
        f"handover customers={args.customers} followups={args.customers * args.followups}"
        f" hq_same_store_s={same['hq_s']:.2f} terminal_same_store_s={same['terminal_s']:.2f}"
        f" hq_other_store_s={across['hq_s']:.2f} terminal_other_store_s={across['terminal_s']:.2f}"
        f" old_terminal_s={across['old_s']:.2f} hq_pg_other_store_s={pg_s}"
        f" budgets_hq_s={HQ_BUDGET_S:.0f} budgets_terminal_s={TERMINAL_BUDGET_S:.0f}"
        f" within_budget={'yes' if ok else 'no'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
