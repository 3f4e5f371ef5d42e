"""Applying HQ's pages: one transaction with the cursor, moves, resets, first-sync mode."""

from __future__ import annotations

import pytest

from app.store import customers, db, outbox
from app.store.errors import StoreError
from app.store.replica import TerminalReplica, sync_status
from app.store.sqlite import driver as sqlite3
from tests.store.helpers import customer_change

NOW = "2026-11-22T10:30:00Z"


def purchase(pid: str, cid: str, paid_at: str, cents: int, version: int) -> dict:
    return {
        "entity": "purchase",
        "op": "upsert",
        "id": pid,
        "version": version,
        "data": {
            "id": pid,
            "customer_id": cid,
            "store_id": "S001",
            "guide_id": "G001",
            "paid_at": paid_at,
            "amount_cents": cents,
            "items": [{"sku": "SKU1", "qty": 1, "price_cents": cents}],
        },
    }


def test_first_sync_is_not_ready_until_the_last_page(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    replica.apply_page([customer_change("C1", "张三", "13812345678", version=1)], "1.1", more=True)
    assert not replica.is_ready() and replica.cursor() == "1.1"
    replica.apply_page([purchase("O1", "C1", "2026-11-01T08:00:00Z", 129900, 2)], "2.2", more=False)
    assert replica.is_ready() and replica.cursor() == "2.2"
    # The search index was rebuilt after the trigger-less first load.
    assert (
        customers.search_customers(conn, customers.CustomerQuery(text="5678"), today=_today()).rows[
            0
        ][0]
        == "C1"
    )
    profile = customers.customer_profile(conn, "C1")
    assert profile.stage == "new" and profile.total_spent_cents == 129900
    assert profile.purchases[0].items[0].qty == 1


def test_a_record_changed_twice_in_one_page_keeps_its_last_items_and_tags(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    """HQ's log keeps every change: a re-imported order or a re-tagged customer can stand
    twice in one page. The later version wins whole; no line or tag of the first stays."""
    first = purchase("O1", "C1", "2026-11-01T08:00:00Z", 300, 2)
    first["data"]["items"] = [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]
    second = purchase("O1", "C1", "2026-11-01T08:00:00Z", 200, 3)
    second["data"]["items"] = [{"sku": "C", "qty": 4}]
    page = [
        customer_change("C1", "张三", "13812345678", version=1, tags=["老客", "爱羊绒"]),
        first,
        second,
        customer_change("C1", "张三", "13812345678", version=4, tags=["爱羊绒"]),
    ]
    replica.apply_page(page, "4.4", more=False)
    items = conn.execute("SELECT line, sku, qty FROM purchase_items").fetchall()
    assert [tuple(r) for r in items] == [(0, "C", 4)]
    assert [r[0] for r in conn.execute("SELECT tag FROM customer_tags")] == ["爱羊绒"]

    # Later pages replace them again, down to none.
    third = purchase("O1", "C1", "2026-11-01T08:00:00Z", 0, 5)
    third["data"]["items"] = []
    replica.apply_page(
        [third, customer_change("C1", "张三", "13812345678", version=6)], "6.6", more=False
    )
    assert conn.execute("SELECT count(*) FROM purchase_items").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM customer_tags").fetchone()[0] == 0


def test_a_record_the_terminal_cannot_hold_is_skipped_and_the_rest_applies(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    """A bad record must not stop the store's sync for ever: skipped, named, reported."""
    replica.apply_page([customer_change("C1", "张三", "13812345678")], "1.1", more=False)
    bad = customer_change("C2", "李四", "13900000000", version=2)
    bad["data"]["name"] = None  # NOT NULL column: the insert fails
    no_sku = purchase("O9", "C1", "2026-11-01T08:00:00Z", 100, 3)
    no_sku["data"]["items"] = [{"qty": 1}]
    replica.apply_page(
        [customer_change("C3", "王五", "13700000000", version=2), bad, no_sku],
        "2.2",
        more=False,
    )
    assert replica.cursor() == "2.2"
    assert [r[0] for r in conn.execute("SELECT id FROM customers ORDER BY id")] == ["C1", "C3"]
    assert conn.execute("SELECT count(*) FROM purchases").fetchone()[0] == 0
    skipped = replica.skipped_records()
    assert [(s["entity"], s["id"]) for s in skipped] == [("customer", "C2"), ("purchase", "O9")]
    assert "NOT NULL" in skipped[0]["reason"] and "李四" not in str(skipped)
    status = sync_status(conn)
    assert status.skipped == 2 and status.skipped_unseen
    # The next page applies as usual, in one go.
    replica.apply_page([customer_change("C4", "赵六", "13600000000", version=4)], "4.4", more=False)
    assert replica.cursor() == "4.4" and len(replica.skipped_records()) == 2
    # HQ sends a fixed version of C2: it applies and is no longer listed as skipped.
    replica.apply_page([customer_change("C2", "李四", "13900000000", version=5)], "5.5", more=False)
    assert [(s["entity"], s["id"]) for s in replica.skipped_records()] == [("purchase", "O9")]
    assert sync_status(conn).skipped_unseen


def test_an_environmental_failure_leaves_cursor_and_rows_untouched(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    """Read-only (or disk full, locked): the page is not skipped but retried later."""
    replica.apply_page([customer_change("C1", "张三", "13812345678")], "1.1", more=False)
    conn.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError):
        replica.apply_page(
            [customer_change("C3", "王五", "13700000000", version=2)], "2.2", more=False
        )
    conn.execute("PRAGMA query_only = OFF")
    assert replica.cursor() == "1.1" and replica.skipped_records() == []
    assert [r[0] for r in conn.execute("SELECT id FROM customers")] == ["C1"]


def test_created_and_deleted_within_one_page_on_a_fresh_terminal(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678", version=1),
            purchase("O1", "C1", "2026-10-01T08:00:00Z", 1000, 2),
            {"entity": "purchase", "op": "delete", "id": "O1", "version": 3, "data": {}},
        ],
        "3.3",
        more=False,
    )
    assert conn.execute("SELECT count(*) FROM purchases").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM purchase_items").fetchone()[0] == 0


def test_moved_customer_is_dropped_but_pending_work_stays(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678"),
            purchase("O1", "C1", "2026-10-01T08:00:00Z", 1000, 2),
        ],
        "2.2",
        more=False,
    )
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="call", note="最后一次", now=NOW
    )
    replica.apply_page(
        [
            {
                "entity": "customer",
                "op": "delete",
                "id": "C1",
                "version": 9,
                "data": {"reason": "moved"},
            }
        ],
        "9.9",
        more=False,
    )
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM purchases").fetchone()[0] == 0
    assert [m["payload"]["note"] for m in replica.pending_mutations(10)] == ["最后一次"]
    assert (
        customers.search_customers(conn, customers.CustomerQuery(text="张三"), today=_today()).rows
        == []
    )


def test_acknowledge_removes_applied_and_keeps_rejected(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    replica.apply_page([customer_change("C1", "张三", "13812345678")], "1.1", more=False)
    for note in ("a", "b", "c"):
        customers.log_followup(
            conn, customer_id="C1", guide_id="G001", channel="call", note=note, now=NOW
        )
    a, b, c = (m["id"] for m in replica.pending_mutations(10))
    replica.acknowledge(
        [
            {"id": a, "status": "applied"},
            {"id": b, "status": "rejected", "reason": "顾客不属于该导购"},
        ]
    )
    assert [m["id"] for m in replica.pending_mutations(10)] == [c]
    [kept] = outbox.rejected(conn)
    assert kept.mutation_id == b and kept.reject_reason == "顾客不属于该导购"
    status = sync_status(conn)
    assert (status.pending, status.rejected) == (1, 1)


def test_reset_keeps_outbox_and_unsynced_followups(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    replica.apply_page([customer_change("C1", "张三", "13812345678")], "1.1", more=False)
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="call", note="x", now=NOW
    )
    replica.reset()
    assert replica.cursor() is None and not replica.is_ready()
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    assert replica.pending_count() == 1
    replica.apply_page([customer_change("C1", "张三", "13812345678", version=5)], "5.5", more=False)
    assert (
        customers.search_customers(conn, customers.CustomerQuery(text="zs"), today=_today()).rows[
            0
        ][0]
        == "C1"
    )


def test_wipe_leaves_no_personal_data_in_any_file(tmp_path, clock, monkeypatch) -> None:
    """A revoked terminal's files hold no name, phone or reversed phone (the tail search key)
    afterwards: not in the database, not in its WAL, not in -shm or a rollback journal.

    On a plain (unencrypted) store, so that the check can fail: the product's store is
    encrypted and its files never hold these bytes (tests/store/test_encryption.py); what
    the wipe clears here is what the app's open connections still see after a revoke."""
    from pathlib import Path

    monkeypatch.setattr(db, "cache_key_of", lambda path: None)
    conn = db.connect(tmp_path / "plain.sqlite3")
    replica = TerminalReplica(conn, clock=clock)

    name, phone = "欧阳娜娜", "13912348765"
    secrets = {
        "name": name.encode("utf-8"),
        "phone": phone.encode("ascii"),
        "reversed phone": phone[::-1].encode("ascii"),
    }
    replica.apply_page([customer_change("C1", name, phone)], "1.1", more=False)
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="call", note=f"{name} {phone}", now=NOW
    )
    [db_file] = [r["file"] for r in conn.execute("PRAGMA database_list") if r["name"] == "main"]
    db_path = Path(db_file)

    def files() -> list[Path]:
        return sorted(db_path.parent.glob(db_path.name + "*"))

    def holding() -> list[str]:
        return [
            f"{what} in {path.name}"
            for path in files()
            for what, needle in secrets.items()
            if needle in path.read_bytes()
        ]

    # The check can fail: before the wipe the data is in the files, the WAL among them.
    assert {p.name for p in files()} >= {db_path.name, db_path.name + "-wal"}
    assert {"name", "phone", "reversed phone"} <= {h.split(" in ")[0] for h in holding()}

    replica.wipe()
    for table in ("customers", "followups", "outbox", "sync_state", "purchases"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert not holding(), holding()
    conn.close()  # and after the connection is gone (a last checkpoint runs on close)
    assert not holding(), holding()


def test_unknown_entity_from_a_newer_hq_is_ignored(replica: TerminalReplica) -> None:
    replica.apply_page(
        [{"entity": "hologram", "op": "upsert", "id": "x", "version": 1, "data": {}}],
        "1.1",
        more=False,
    )
    assert replica.cursor() == "1.1"


def test_entity_versions_feed_checksums(replica: TerminalReplica) -> None:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678", version=3),
            customer_change("C2", "李四", "13900000000", version=4),
        ],
        "4.4",
        more=False,
    )
    assert sorted(replica.entity_versions("customer")) == [("C1", 3), ("C2", 4)]


def _today():
    from datetime import date

    return date(2026, 11, 22)


def test_a_page_says_what_it_touched_so_views_refresh_only_that(
    replica: TerminalReplica,
) -> None:
    replica.apply_page([customer_change("C1", "张三", "13812345678")], "1.1", more=False)
    assert replica.take_touched()[2] is True  # the first sync: everything
    older_store = {"entity": "store", "op": "upsert", "id": "S001", "version": 2}
    older_store["data"] = {"id": "S001", "name": "上海店", "city": ""}  # no timezone field
    replica.apply_page(
        [purchase("O1", "C1", "2026-11-01T08:00:00Z", 100, 3), older_store], "3.3", more=False
    )
    entities, customers_, everything = replica.take_touched()
    assert entities == {"purchase", "store"} and customers_ == {"C1"} and not everything
    assert replica.take_touched() == (frozenset(), frozenset(), False)
    # A field the older record lacks gets its declared default, not a NULL.
    assert replica.conn.execute("SELECT timezone FROM stores").fetchone()[0] == "Asia/Shanghai"
    replica.reset()
    assert replica.take_touched()[2] is True
