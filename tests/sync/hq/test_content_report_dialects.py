"""HQ's content report on both databases: the attribution window is computed in SQL
(julianday on SQLite, interval arithmetic on PostgreSQL), so each dialect is run."""

from __future__ import annotations

from typing import Any

from sync.hq.storage import HQStorage
from tests.sync.hq.test_content import _share

FIGURES = ("shares", "customers", "guides", "purchases", "purchase_cents")


def test_report_window_on_each_database(storage: HQStorage, hqdata: Any) -> None:
    hqdata.small_brand(storage)  # C1 bought O1 and O2 on 2026-10-01 02:00, 199 yuan each
    storage.put_content(
        [
            {"id": "CT-A", "kind": "copy", "title": "冬季新品到店", "category_631": "brand"},
            {"id": "CT-B", "kind": "copy", "title": "门店活动", "category_631": "selling"},
        ]
    )
    _share(storage, "SH1", "C1", "G002", "CT-A", "2026-09-30T03:00:00Z")  # 23 h before
    _share(storage, "SH2", "C1", "G001", "CT-A", "2026-10-01T02:00:00Z")  # the same second
    _share(storage, "SH3", "C1", "G002", "CT-B", "2026-10-01T02:00:01Z")  # just after: none
    late = {**hqdata.purchase("O9", "C2", "S001", "G002"), "paid_at": "2026-10-15T00:00:00Z"}
    storage.import_purchases([late])
    _share(storage, "SH4", "C2", "G002", "CT-B", "2026-10-01T00:00:00Z")  # 14 days before O9

    with storage.write() as tx:  # HQ's checks: SH4 over the contact cap, SH1 opted out
        tx.put("share", [tx.get("share", "SH4") | {"over_cap": True}], scopes="S001")
        tx.put("share", [tx.get("share", "SH1") | {"opted_out": True}], scopes="S001")
    rows = {r["content_id"]: r for r in storage.content_report()}
    assert (rows["CT-A"]["over_cap"], rows["CT-B"]["over_cap"]) == (0, 1)
    assert (rows["CT-A"]["opted_out"], rows["CT-B"]["opted_out"]) == (1, 0)
    assert tuple(rows["CT-A"][k] for k in FIGURES) == (2, 1, 2, 2, 39800)  # each once
    assert tuple(rows["CT-B"][k] for k in FIGURES) == (2, 2, 1, 1, 19900)  # O9: day 14
    narrow = {r["content_id"]: r for r in storage.content_report(window_days=13)}
    assert narrow["CT-B"]["purchases"] == 0 and narrow["CT-A"]["purchases"] == 2
