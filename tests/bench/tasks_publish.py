"""Benchmark: HQ publishing a campaign task whose rule selects from 200,000 customers.

    python tests/bench/tasks_publish.py [--customers 200000] [--pg postgresql://…]

The demo brand (``app/domain/demo_brand.py``, 2,500 customers per store: 80 stores at
200,000, ~11 purchases each) is loaded with ``HQStorage.load_brand``; then the issue's
example file, widened to every store (``stores: []``), is published — the whole path of
``guidedesk-hq publish-task``: the file checked, candidates narrowed in SQL (store, tags
in the JSON text, a known birthday), ``app.domain.targeting.selects`` over each, the
purchases of those left summarised with ``app.domain.lifecycle.summarize``, one task per
store and the targets written through ``Tx.put`` in one transaction. Also timed: the
same file published again (nothing changes), and a stage-only rule (``win_back`` to the
``at_risk`` stage, no SQL narrowing: every customer's purchases are read) for scale.

Budget (issue #7): ≤ 2 s on SQLite for the example rule; PostgreSQL reported too (with
``--pg`` or ``GUIDEDESK_TEST_PG_URL``; a scratch database is created and dropped). The last
line is a summary of name=value pairs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.domain.demo_brand import generate_brand  # noqa: E402
from sync.hq.cli import demo_records  # noqa: E402
from sync.hq.storage import HQStorage, engine_url  # noqa: E402

BENCH_NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # Shanghai's 22 Nov, 10:00
BUDGET_S = 2.0

EXAMPLE = {
    "id": "T-2026-12-BDAY",
    "title": "十二月生日问候",
    "kind": "birthday",
    "instructions": "生日前一周发祝福并提醒生日礼",
    "starts_on": "2026-12-01",
    "due_on": "2026-12-31",
    "targets": {
        "stores": [],
        "guides": [],
        "stages": [],
        "tiers": [],
        "tag_groups": [["新品控", "会员日常客", "职场通勤"], ["周末休闲", "活动必到", "搭配需求"]],
        "birthday_within_days": 30,
        "days_since_purchase": {"min": 30, "max": 365},
        "customers": [],
    },
    "content": [],
    "evidence": "none",
    "review": True,
}
STAGE_ONLY = {
    **EXAMPLE,
    "id": "T-2026-12-WINBACK",
    "title": "流失预警挽回",
    "kind": "win_back",
    "targets": {"stages": ["at_risk"], "stores": []},
}


def measure(url: str, customers: int, label: str) -> dict[str, float | int]:
    hq = HQStorage(url, clock=lambda: BENCH_NOW)
    try:
        hq.migrate()
        started = time.perf_counter()
        brand = generate_brand(customers, seed=20261122, today=BENCH_NOW.date())
        counts = hq.load_brand(**demo_records(brand))
        print(
            f"{label}: brand loaded in {time.perf_counter() - started:.1f} s"
            f" ({counts['customers']:,} customers, {counts['purchases']:,} purchases,"
            f" {counts['stores']} stores)",
            flush=True,
        )
        started = time.perf_counter()
        result = hq.publish_task(EXAMPLE)
        publish_s = time.perf_counter() - started
        started = time.perf_counter()
        hq.publish_task(EXAMPLE)
        again_s = time.perf_counter() - started
        started = time.perf_counter()
        wide = hq.publish_task(STAGE_ONLY)
        stage_s = time.perf_counter() - started
        print(
            f"{label}: example rule {publish_s:.2f} s → {result.targets:,} targets in"
            f" {len(result.stores)} stores; re-publish (unchanged) {again_s:.2f} s;"
            f" stage-only rule {stage_s:.2f} s → {wide.targets:,} targets",
            flush=True,
        )
        return {
            "publish_s": publish_s,
            "again_s": again_s,
            "stage_s": stage_s,
            "targets": result.targets,
            "stage_targets": wide.targets,
        }
    finally:
        hq.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--pg", default=os.environ.get("GUIDEDESK_TEST_PG_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tasks-") as work:
        lite = measure(f"sqlite:///{Path(work) / 'hq.sqlite3'}", args.customers, "SQLite")
    pg: dict[str, float | int] | None = None
    if args.pg:
        name = f"bench_tasks_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(engine_url(args.pg), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = sa.make_url(engine_url(args.pg)).set(database=name)
            pg = measure(url.render_as_string(hide_password=False), args.customers, "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    else:
        print("PostgreSQL: no --pg URL and no GUIDEDESK_TEST_PG_URL; not measured")
    pg_s = f"{pg['publish_s']:.2f}" if pg else "not_measured"
    pg_stage = f"{pg['stage_s']:.2f}" if pg else "not_measured"
    print(
        f"tasks customers={args.customers} publish_sqlite_s={lite['publish_s']:.2f}"
        f" publish_pg_s={pg_s} targets={lite['targets']}"
        f" budget_ratio={lite['publish_s'] / BUDGET_S:.2f}"
        f" republish_sqlite_s={lite['again_s']:.2f}"
        f" stage_only_sqlite_s={lite['stage_s']:.2f} stage_only_pg_s={pg_stage}"
        f" stage_only_targets={lite['stage_targets']}"
    )
    return 0 if lite["publish_s"] <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
