"""Terminals against a real HQ process over HTTP: convergence through faults and moves."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from datetime import timedelta

import httpx
import pytest

from app import terminal as terminal_services
from app.store import db, migrations
from app.store.replica import sync_status
from sync import client, credentials
from tests.store.helpers import open_raw

from .conftest import (
    HQ,
    guidedesk,
    guidedesk_killed_when,
    share_keyring_with_children,
    subprocess_env,
)


def test_second_terminal_sees_the_first_ones_followups(hq: HQ, make_terminal) -> None:
    a, b = make_terminal("a"), make_terminal("b")
    a.enroll(hq, "S001")
    b.enroll(hq, "S001")
    assert a.sync().ok and b.sync().ok
    assert a.count("customers") == 30 and a.count("purchases") == 30
    a.follow_up("C0001", "G002", "试穿了羊毛大衣，周末再来")
    report = a.sync()
    assert report.ok and report.pushed == 1 and a.status().pending == 0
    assert b.sync().ok
    assert b.followup_notes("C0001") == ["试穿了羊毛大衣，周末再来"]
    assert hq.status("S001")["counts"]["followups"] == 1
    # The echo from HQ marks the first terminal's own row as synced.
    assert a.conn.execute("SELECT version FROM followups").fetchone()[0] > 0


def test_scope_is_the_terminals_store(hq: HQ, make_terminal) -> None:
    other = make_terminal("s2")
    other.enroll(hq, "S002")
    assert other.sync().ok
    assert other.count("customers") == 10
    assert {r[0] for r in other.conn.execute("SELECT store_id FROM customers")} == {"S002"}


def test_hq_rejects_a_guide_editing_someone_elses_customer(hq: HQ, make_terminal) -> None:
    t = make_terminal("a")
    t.enroll(hq, "S001")
    t.sync()
    # G003 belongs to another store: HQ must refuse, the terminal must keep and show it.
    t.follow_up("C0002", "G003", "不该被接受")
    report = t.sync()
    assert report.ok and report.rejected == 1
    [kept] = t.conn.execute("SELECT reject_reason FROM outbox WHERE status = 'rejected'").fetchall()
    assert kept[0]
    assert hq.status("S001")["counts"]["followups"] == 0


def test_hq_down_then_back_drains_the_outbox(hq: HQ, make_terminal) -> None:
    t = make_terminal("a")
    t.enroll(hq, "S001")
    assert t.sync().ok
    hq.stop()
    for i in range(3):
        t.follow_up("C0003", "G002", f"离线记录 {i}")
    report = t.sync(backoff=client.Backoff(attempts=2, base_s=0.01))
    assert not report.ok and report.offline and t.status().pending == 3
    hq.restart()
    assert t.sync().ok and t.status().pending == 0
    assert hq.status("S001")["counts"]["followups"] == 3


def test_same_push_delivered_twice_is_applied_once(hq: HQ, make_terminal) -> None:
    t = make_terminal("a")
    t.enroll(hq, "S001")
    t.sync()
    t.follow_up("C0004", "G002", "只算一次")
    batch = t.replica().pending_mutations(10)
    token = credentials.load_token(t.replica().get_state("terminal_id"))
    body = {"protocol": 1, "mutations": batch}
    headers = {"Authorization": f"Bearer {token}"}
    first = httpx.post(hq.url + "/v1/push", json=body, headers=headers).json()
    second = httpx.post(hq.url + "/v1/push", json=body, headers=headers).json()
    assert [r["status"] for r in first["results"]] == ["applied"]
    assert [r["status"] for r in second["results"]] == ["duplicate"]
    assert t.sync().ok and t.status().pending == 0
    assert hq.status("S001")["counts"]["followups"] == 1


class LoseAnswers(httpx.HTTPTransport):
    """Forwards to the real HQ, then loses the answer of chosen calls (a lost ACK)."""

    def __init__(self, lose: set[int]) -> None:
        super().__init__()
        self.lose = lose
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.calls += 1
        if self.calls in self.lose:
            response.read()
            response.close()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


def test_lost_acknowledgement_is_retried_without_doubling(hq: HQ, make_terminal) -> None:
    t = make_terminal("a")
    t.enroll(hq, "S001")
    t.sync()
    for i in range(5):
        t.follow_up("C0005", "G002", f"note {i}")
    report = t.sync(transport=LoseAnswers({1, 2}), push_batch=2)
    assert report.ok and t.status().pending == 0
    assert hq.status("S001")["counts"]["followups"] == 5


def test_created_and_deleted_before_a_fresh_terminal_syncs(hq: HQ, make_terminal) -> None:
    hq.run("move-customer", "C0006", "--guide", "G003")  # S001 -> S002: a tombstone in S001
    fresh = make_terminal("fresh")
    fresh.enroll(hq, "S001")
    assert fresh.sync(page_size=1000).ok
    assert (
        fresh.conn.execute("SELECT count(*) FROM customers WHERE id = 'C0006'").fetchone()[0] == 0
    )
    assert (
        fresh.conn.execute("SELECT count(*) FROM purchases WHERE customer_id = 'C0006'").fetchone()[
            0
        ]
        == 0
    )
    assert fresh.count("customers") == 29


def test_orders_imported_twice_reach_a_fresh_terminal_as_last_imported(
    hq: HQ, make_terminal, tmp_path
) -> None:
    """HQ's log keeps both imports of a corrected order, so a fresh terminal meets it twice
    in one page: it must end with the correction's items, not fail the page for ever."""
    header = "order_id,customer_id,store,guide,paid_at,amount,items\n"
    orders = tmp_path / "orders.csv"
    for items in ("SKU1*1|SKU2*2", "SKU3*4"):
        orders.write_text(
            header + f"O00001,C0001,S001,G002,2026-10-02T10:00:00Z,200.00,{items}\n"
            "O00002,C0002,S001,G002,2026-10-03T10:00:00Z,201.00,SKU2*1\n",
            encoding="utf-8",
        )
        hq.run("import-purchases", str(orders))
    fresh = make_terminal("fresh")
    fresh.enroll(hq, "S001")
    report = fresh.sync(page_size=1000)
    assert report.ok and report.ready, report
    items = fresh.conn.execute(
        "SELECT sku, qty FROM purchase_items WHERE purchase_id = 'O00001' ORDER BY line"
    ).fetchall()
    assert [tuple(r) for r in items] == [("SKU3", 4)]
    assert fresh.count("purchases") == 30


def test_clock_skew_of_hours_changes_nothing(hq: HQ, make_terminal) -> None:
    fast, slow = make_terminal("fast"), make_terminal("slow")
    fast.now += timedelta(hours=7)
    slow.now -= timedelta(hours=9)
    for t in (fast, slow):
        t.enroll(hq, "S001")
        assert t.sync().ok
    fast.follow_up("C0007", "G002", "来自未来的终端")
    slow.follow_up("C0007", "G002", "来自过去的终端")
    assert fast.sync().ok and slow.sync().ok and fast.sync().ok
    assert (
        fast.followup_notes("C0007")
        == slow.followup_notes("C0007")
        == ["来自未来的终端", "来自过去的终端"]
    )


def test_move_with_pending_edits_and_back_again(hq: HQ, make_terminal) -> None:
    a, b = make_terminal("a"), make_terminal("b")
    a.enroll(hq, "S001")
    b.enroll(hq, "S002")
    assert a.sync().ok and b.sync().ok
    a.follow_up("C0008", "G002", "搬走前写的")  # pending on A when HQ moves the customer
    hq.run("move-customer", "C0008", "--guide", "G003")
    assert a.sync().ok
    assert a.status().pending == 0  # pushed first, accepted as a late edit…
    assert (
        a.conn.execute("SELECT count(*) FROM customers WHERE id = 'C0008'").fetchone()[0] == 0
    )  # …then dropped
    assert b.sync().ok
    assert b.followup_notes("C0008") == ["搬走前写的"]
    assert (
        b.conn.execute("SELECT count(*) FROM purchases WHERE customer_id = 'C0008'").fetchone()[0]
        == 1
    )
    b.follow_up("C0008", "G003", "新导购的自我介绍")
    assert b.sync().ok
    hq.run("move-customer", "C0008", "--guide", "G002")  # and back: A -> B -> A
    assert a.sync().ok and b.sync().ok
    assert a.followup_notes("C0008") == ["搬走前写的", "新导购的自我介绍"]
    assert (
        a.conn.execute("SELECT count(*) FROM purchases WHERE customer_id = 'C0008'").fetchone()[0]
        == 1
    )
    assert b.conn.execute("SELECT count(*) FROM customers WHERE id = 'C0008'").fetchone()[0] == 0


class CutAfter(httpx.HTTPTransport):
    """Lets ``pages`` pull requests through, then the network drops."""

    def __init__(self, pages: int) -> None:
        super().__init__()
        self.left = pages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/pull":
            if self.left == 0:
                raise httpx.ConnectError("network cut", request=request)
            self.left -= 1
        return super().handle_request(request)


def test_first_sync_cut_every_few_pages_resumes(hq: HQ, make_terminal) -> None:
    t = make_terminal("cut")
    t.enroll(hq, "S001")
    total = hq.status("S001")["counts"]
    rounds = 0
    while True:
        rounds += 1
        report = t.sync(transport=CutAfter(2), page_size=7, backoff=client.Backoff(attempts=1))
        if report.ok:
            break
        assert not report.ready and not t.replica().is_ready()
        assert rounds < 100
    assert rounds > 2 and t.replica().is_ready()
    assert t.count("customers") == total["customers"] and t.count("purchases") == total["purchases"]
    # The search index was rebuilt once the first sync completed.
    from app.store.customers import CustomerQuery, search_customers

    assert search_customers(t.conn, CustomerQuery(text="0001"), today=t.now.date()).rows


def test_outbox_from_the_previous_schema_is_pushed_after_upgrade(hq: HQ, make_terminal) -> None:
    t = make_terminal("old")
    t.enroll(hq, "S001")
    assert t.sync().ok
    terminal_id = t.replica().get_state("terminal_id")
    t.close()
    # Rebuild the file as the previous app version wrote it: schema 1, outbox without guide_id.
    path = t.db_file
    src = open_raw(path, isolation_level=None)  # the encrypted file, with its key
    state = src.execute("SELECT key, value FROM sync_state").fetchall()
    src.close()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    old = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(old, target=1)
    old.executemany(
        "INSERT INTO sync_state VALUES (?, ?)",
        [s for s in state if s[0] not in ("cursor", "ready")],
    )
    payload = {
        "id": "f-legacy-0001",
        "customer_id": "C0009",
        "guide_id": "G002",
        "channel": "call",
        "note": "旧版本写的跟进",
        "next_followup_on": None,
        "created_at": "2026-11-01T09:00:00Z",
        "task_id": None,
    }
    old.execute(
        "INSERT INTO outbox (mutation_id, entity, entity_id, op, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            "legacy-mutation-0001",
            "followup",
            "f-legacy-0001",
            "create",
            json.dumps(payload),
            payload["created_at"],
        ),
    )
    old.close()
    t.conn = db.connect(path)  # the new app opens it: migrated to the latest schema
    assert migrations.current_version(t.conn) == migrations.LATEST
    assert t.replica().get_state("terminal_id") == terminal_id
    assert t.sync().ok and t.status().pending == 0
    assert t.followup_notes("C0009") == ["旧版本写的跟进"]


def test_revoked_terminal_with_pending_edits_wipes_itself(hq: HQ, make_terminal) -> None:
    t = make_terminal("lost")
    t.enroll(hq, "S001")
    assert t.sync().ok
    terminal_id = t.replica().get_state("terminal_id")
    t.follow_up("C0010", "G002", "终端丢失前写的")
    hq.run("revoke-terminal", terminal_id)
    report = t.sync()
    assert report.revoked and not report.ok
    assert t.count("customers") == 0 and t.count("outbox") == 0 and t.count("followups") == 0
    assert credentials.load_token(terminal_id) is None
    # A lost terminal's unsent edits are not trusted: HQ never applied them.
    assert hq.status("S001")["counts"]["followups"] == 0


class HoldBeforePush(httpx.HTTPTransport):
    """Forwards to the real HQ; before push number ``pushes + 1`` it says so and waits."""

    def __init__(self, pushes: int) -> None:
        super().__init__()
        self.left = pushes
        self.holding = threading.Event()
        self.go_on = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/push":
            if self.left == 0:
                self.holding.set()
                if not self.go_on.wait(60):
                    raise httpx.ConnectError("the test never let the push go on", request=request)
            self.left -= 1
        return super().handle_request(request)


def test_hq_killed_mid_sync_converges_after_restart(hq: HQ, make_terminal) -> None:
    t = make_terminal("a")
    t.enroll(hq, "S001")
    assert t.sync().ok
    for i in range(300):
        t.follow_up(f"C{1 + i % 30:04d}", "G002", f"批量 {i}")
    gate = HoldBeforePush(7)
    result: dict[str, client.SyncReport] = {}
    worker = threading.Thread(
        target=lambda: result.setdefault(
            "r", t.sync(transport=gate, push_batch=5, backoff=client.Backoff(attempts=1))
        )
    )
    # The sync opens its own connection in its own thread, as in the app.
    worker.start()
    assert gate.holding.wait(60), "the sync never got to its eighth push"
    # Mid-push: seven batches acknowledged by HQ and out of the outbox, the rest still in it.
    assert t.status().pending == 300 - 35
    assert hq.status("S001")["counts"]["followups"] == 35
    hq.kill()
    gate.go_on.set()
    worker.join(60)
    assert not worker.is_alive()
    report = result["r"]
    assert not report.ok and report.offline and report.pushed == 35
    assert t.status().pending == 265
    hq.restart()
    assert hq.status("S001")["counts"]["followups"] == 35  # what HQ acknowledged, it kept
    assert t.sync().ok and t.status().pending == 0
    assert hq.status("S001")["counts"]["followups"] == 300


def pending_in(home) -> int:
    """The outbox of a terminal whose process was killed (opening it recovers the WAL)."""
    conn = db.connect(home / db.DB_FILENAME)
    try:
        return sync_status(conn).pending
    finally:
        conn.close()


def test_client_killed_mid_push_and_mid_pull_converges(
    hq: HQ, make_terminal, tmp_path, monkeypatch
) -> None:
    keyrings = tmp_path / "keyring"
    share_keyring_with_children(keyrings, monkeypatch)  # the test reads the pusher's outbox
    pusher_home = tmp_path / "pusher"
    env = subprocess_env(pusher_home, keyrings)
    enroll = guidedesk("enroll", "--server", hq.url, "--code", hq.enroll_code("S001"), env=env)
    assert enroll.returncode == 0, enroll.stderr
    first = guidedesk("sync", "--once", "--quiet", env=env)
    assert first.returncode == 0, first.stderr
    pusher = db.connect(pusher_home / db.DB_FILENAME)
    from app.store.customers import log_followup

    for i in range(400):
        log_followup(
            pusher,
            customer_id=f"C{1 + i % 30:04d}",
            guide_id="G002",
            channel="call",
            note=f"kill {i}",
            now="2026-11-22T10:00:00Z",
        )
    pusher.close()
    batch = 5
    pending = 400
    for _ in range(2):  # killed twice while pushing, each time after 50 more were acknowledged
        killed = guidedesk_killed_when(
            lambda phase, done, total: phase == "push" and done >= 50,
            *("sync", "--once", "--push-batch", str(batch)),
            env=env,
        )
        assert killed is not None, "the sync ended before the kill"
        assert killed.returncode == -signal.SIGKILL
        left = pending_in(pusher_home)
        # The kill landed mid-push: some acknowledged (and gone from the outbox), some not.
        assert 0 < left <= pending - 50
        on_hq = hq.status("S001")["counts"]["followups"]
        # HQ holds what was acknowledged, plus at most the batch whose answer the kill lost.
        assert 400 - left <= on_hq <= 400 - left + batch
        pending = left
    final = guidedesk("sync", "--once", "--quiet", env=env)
    assert final.returncode == 0, final.stderr
    assert pending_in(pusher_home) == 0
    assert hq.status("S001")["counts"]["followups"] == 400

    # A fresh terminal killed while applying its first pull, twice.
    fresh_env = subprocess_env(tmp_path / "fresh", keyrings)
    enroll = guidedesk(
        "enroll", "--server", hq.url, "--code", hq.enroll_code("S001"), env=fresh_env
    )
    assert enroll.returncode == 0, enroll.stderr
    applied = 0
    for _ in range(2):
        killed = guidedesk_killed_when(
            lambda phase, done, total: phase == "pull" and done >= 30 and done < total,
            *("sync", "--once", "--page-size", "3"),
            env=fresh_env,
        )
        assert killed is not None, "the first sync ended before the kill"
        assert killed.returncode == -signal.SIGKILL
        status = json.loads(guidedesk("status", "--json", env=fresh_env).stdout)
        held = sum(status["counts"].values())
        # Mid-pull: pages applied and kept (more each time), the first sync not finished.
        assert status["ready"] is False
        assert held > applied
        applied = held
    final = guidedesk("sync", "--once", "--quiet", env=fresh_env)
    assert final.returncode == 0, final.stderr
    status = json.loads(guidedesk("status", "--json", env=fresh_env).stdout)
    expected = hq.status("S001")["counts"]
    assert status["ready"] is True
    assert status["counts"]["customers"] == expected["customers"]
    assert status["counts"]["followups"] == expected["followups"] == 400
    assert status["counts"]["purchases"] == expected["purchases"]
    assert applied < sum(status["counts"].values())


def test_status_json_and_sync_once_exit_codes(hq: HQ, tmp_path) -> None:
    env = subprocess_env(tmp_path / "cli", tmp_path / "keyring")
    not_enrolled = guidedesk("sync", "--once", env=env)
    assert not_enrolled.returncode == 1 and "登记" in not_enrolled.stderr
    enrolled = guidedesk("enroll", "--server", hq.url, "--code", hq.enroll_code("S001"), env=env)
    assert enrolled.returncode == 0, enrolled.stderr
    assert guidedesk("sync", "--once", "--quiet", env=env).returncode == 0
    status = json.loads(guidedesk("status", "--json", env=env).stdout)
    assert {"terminal_id", "server", "store", "last_sync", "pending", "counts"} <= set(status)
    assert (
        status["store"] == "S001" and status["counts"]["customers"] == 30 and status["pending"] == 0
    )
    hq.stop()
    failing = guidedesk("sync", "--once", "--quiet", env=env, timeout=120)
    assert failing.returncode == 1 and failing.stderr


def test_enroll_code_is_single_use(hq: HQ, make_terminal) -> None:
    code = hq.enroll_code("S001")
    first, second = make_terminal("one"), make_terminal("two")
    terminal_services.enroll_terminal(first.db_file, hq.url, code)
    with pytest.raises(client.SyncError):
        terminal_services.enroll_terminal(second.db_file, hq.url, code)
